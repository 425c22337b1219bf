"""Anonymous counts of help shown after danger messages, written so that nobody can tie them
to the person — not by columns, not by row metadata, not by timing.

A count never enters the person's transaction: the handler holds it (store/holding.py, the
one holding area of survey responses, markers and intake counts), and the housekeeping
writes held counts in their own transaction once at least k wait (or their day is over, or
the process stops), as increments in random order. A crash loses the counts not yet
written — a statistic, never a person's data (docs/safety.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from store.holding import Held, Writer
from store.models import SafetyCount

SAFETY = "safety_count"  # kind of held item
ALL = "all"  # one group: a batch holds at least k counts, whatever they say


class Counted(NamedTuple):
    buendnis_id: int | None
    category: str
    day: dt.date


def held_counts(buendnis_id: int | None, categories: Iterable[str], day: dt.date) -> list[Held]:
    """One held count per category (a category named twice counts once)."""
    return [
        Held(SAFETY, ALL, day, Counted(buendnis_id, category, day))
        for category in dict.fromkeys(categories)
    ]


async def write_counts(s: AsyncSession, batch: list[Counted]) -> None:
    for key, n in Counter(batch).items():
        where = [
            SafetyCount.category == key.category,
            SafetyCount.day == key.day,
            SafetyCount.buendnis_id.is_(None)
            if key.buendnis_id is None
            else SafetyCount.buendnis_id == key.buendnis_id,
        ]
        result = await s.execute(
            update(SafetyCount).where(*where).values(count=SafetyCount.count + n)
        )
        if not getattr(result, "rowcount", 0):
            s.add(SafetyCount(**key._asdict(), count=n))
            await s.flush()


WRITERS: dict[str, Writer] = {SAFETY: write_counts}
