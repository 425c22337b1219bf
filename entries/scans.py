"""Scans of a poster, counted per entry point: a conversation started with the code adds one.

The count is only a number on the entry point — no day, no person, no conversation. It is
held in the one holding area (store/holding.py) and written there in shuffled batches of at
least k, in a transaction of its own, so the row's metadata cannot tie it to the
conversation that caused it.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from store.holding import Held, Writer
from store.models import EntryPoint, today

SCAN = "entry_scan"  # kind of held item
ALL = "all"  # one group: a batch holds at least k scans, whichever posters they came from


def held_scan(entry_point_id: int) -> Held:
    return Held(SCAN, ALL, today(), entry_point_id)


async def write_scans(s: AsyncSession, batch: list[int]) -> None:
    for entry_point_id, n in Counter(batch).items():
        # An entry point deleted meanwhile takes its count with it.
        await s.execute(
            update(EntryPoint)
            .where(EntryPoint.id == entry_point_id)
            .values(scans=EntryPoint.scans + n)
        )


WRITERS: dict[str, Writer] = {SCAN: write_scans}
