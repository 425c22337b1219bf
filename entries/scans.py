"""Scans of a poster, counted per entry point: a conversation started with the code adds one.

The count is only a number on the entry point — no day, no person, no conversation — and it
is written in shuffled batches outside the person's transaction (`store/batched.py`), so the
row's metadata cannot tie it to the conversation that caused it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from store.batched import BatchedCounts
from store.models import EntryPoint, today

Key = tuple[int, dt.date]  # entry point, day (only for when a small batch may be written)


class ScanTally(BatchedCounts[Key]):
    what = "entry point scans"

    def add(self, entry_point_id: int) -> None:
        self.count((entry_point_id, today()))

    def day_of(self, key: Key) -> dt.date:
        return key[1]

    async def increment(self, s: AsyncSession, key: Key, n: int) -> None:
        # An entry point deleted meanwhile takes its count with it.
        await s.execute(
            update(EntryPoint).where(EntryPoint.id == key[0]).values(scans=EntryPoint.scans + n)
        )
