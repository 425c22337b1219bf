"""Per-person flood control, shared by all workers through the database.

The idempotency keys in `inbound_seen` carry the time they were seen, so the number of
updates of one conversation in the last window is one indexed count — correct however many
workers take the updates. Above the limit the first extra update gets one polite "slow down"
reply; the rest are counted and dropped (not errors).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import InboundSeen, utcnow

log = logging.getLogger(__name__)

dropped: Counter[str] = Counter()  # per channel, for operators (no ids, no text)


class Verdict(enum.Enum):
    OK = "ok"
    WARN = "warn"  # the first update over the limit: say "slow down" once
    DROP = "drop"  # later ones: counted and ignored


async def check(
    s: AsyncSession, conversation_id: int, channel: str, *, limit: int, window: float
) -> Verdict:
    """Call after this update's key was added (it counts itself)."""
    await s.flush()
    since = utcnow() - dt.timedelta(seconds=window)
    count = await s.scalar(
        select(func.count())
        .select_from(InboundSeen)
        .where(InboundSeen.conversation_id == conversation_id, InboundSeen.seen_at >= since)
    )
    if (count or 0) <= limit:
        return Verdict.OK
    dropped[channel] += 1
    log.info("flood control channel=%s over_by=%d", channel, (count or 0) - limit)
    return Verdict.WARN if count == limit + 1 else Verdict.DROP
