"""Per-person flood control, shared by all workers through the database.

The idempotency keys in `inbound_seen` carry the time they were seen, so the number of
updates of one conversation in the last window is one indexed count, taken with the
conversation row when the update arrives (bot/arrival.py) — correct however many workers take
the updates. Above the limit the first extra update gets one polite "slow down" reply; the
rest are counted and dropped (not errors).
"""

from __future__ import annotations

import enum
import logging
from collections import Counter

log = logging.getLogger(__name__)

dropped: Counter[str] = Counter()  # per channel, for operators (no ids, no text)


class Verdict(enum.Enum):
    OK = "ok"
    WARN = "warn"  # the first update over the limit: say "slow down" once
    DROP = "drop"  # later ones: counted and ignored


def verdict(recent: int, channel: str, *, limit: int) -> Verdict:
    """`recent`: the updates of the conversation in the window, this one included."""
    if recent <= limit:
        return Verdict.OK
    dropped[channel] += 1
    log.info("flood control channel=%s over_by=%d", channel, recent - limit)
    return Verdict.WARN if recent == limit + 1 else Verdict.DROP
