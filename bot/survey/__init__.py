"""Anonymous survey waves: participation, unlinkable storage, invitations, drop-out counts.

See docs/survey.md for the guarantees. The runtime calls `check_participation` on `/start`
and `store_response` when a survey flow completes; staff tools call the wave functions.
"""
