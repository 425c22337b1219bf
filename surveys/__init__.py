"""Anonymous survey waves: participation, unlinkable storage, invitations, drop-out counts.

See docs/survey.md for the guarantees. On `/start` the runtime runs `responses.may_start`;
a completed survey flow's `Completed` effect is stored by `responses.on_completed`; staff
tools call the wave functions.
"""
