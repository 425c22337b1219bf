"""Anonymous counts of help shown after danger messages, written in shuffled batches outside
any person's transaction (`store/batched.py`; docs/safety.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from store.batched import MIN_BATCH, BatchedCounts
from store.models import SafetyCount

__all__ = ["MIN_BATCH", "SafetyTally"]

Key = tuple[int | None, str, dt.date]  # Bündnis, category, day


class SafetyTally(BatchedCounts[Key]):
    what = "safety counts"

    def add(self, buendnis_id: int | None, categories: Iterable[str], day: dt.date) -> None:
        for category in dict.fromkeys(categories):
            self.count((buendnis_id, category, day))

    def day_of(self, key: Key) -> dt.date:
        return key[2]

    async def increment(self, s: AsyncSession, key: Key, n: int) -> None:
        buendnis_id, category, day = key
        where = [
            SafetyCount.category == category,
            SafetyCount.day == day,
            SafetyCount.buendnis_id.is_(None)
            if buendnis_id is None
            else SafetyCount.buendnis_id == buendnis_id,
        ]
        result = await s.execute(
            update(SafetyCount).where(*where).values(count=SafetyCount.count + n)
        )
        if not getattr(result, "rowcount", 0):
            s.add(SafetyCount(buendnis_id=buendnis_id, category=category, day=day, count=n))
            await s.flush()
