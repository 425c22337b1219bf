"""Anonymous counts of help shown after danger messages, written so that nobody can tie them
to the person — not by columns, not by row metadata, not by timing.

A count never enters the person's transaction: the handler only adds it here, in memory.
`flush` writes what has gathered in its own transaction once at least `min_batch` counts wait
(or their day is over, or the process stops), as increments in random order. A crash loses the
counts not yet written — a statistic, never a person's data (docs/safety.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import SafetyCount, today

log = logging.getLogger(__name__)

MIN_BATCH = 5  # the default k of small-cell suppression: no batch says less than a cell may

Key = tuple[int | None, str, dt.date]  # Bündnis, category, day


class SafetyTally:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], min_batch: int = MIN_BATCH
    ) -> None:
        self.sessions = sessions
        self.min_batch = min_batch
        self._pending: Counter[Key] = Counter()
        self._lock = asyncio.Lock()

    @property
    def pending(self) -> int:
        return sum(self._pending.values())

    def add(self, buendnis_id: int | None, categories: Iterable[str], day: dt.date) -> None:
        for category in dict.fromkeys(categories):
            self._pending[(buendnis_id, category, day)] += 1

    async def flush(self, *, force: bool = False, now: dt.date | None = None) -> int:
        """Write the counts that may be written now; returns how many were written."""
        async with self._lock:
            current = now or today()
            if force or self.pending >= self.min_batch:
                batch = Counter(self._pending)
            else:  # a day that is over says nothing finer than the day
                batch = Counter({k: n for k, n in self._pending.items() if k[2] < current})
            if not batch:
                return 0
            self._pending -= batch
            keys = list(batch)
            random.shuffle(keys)  # no order to read the arrival from
            try:
                async with self.sessions() as s, s.begin():
                    for key in keys:
                        await _increment(s, key, batch[key])
            except Exception:
                self._pending += batch  # kept for the next try
                raise
            written = sum(batch.values())
            log.info("safety counts written n=%d", written)
            return written


async def _increment(s: AsyncSession, key: Key, n: int) -> None:
    buendnis_id, category, day = key
    where = [
        SafetyCount.category == category,
        SafetyCount.day == day,
        SafetyCount.buendnis_id.is_(None)
        if buendnis_id is None
        else SafetyCount.buendnis_id == buendnis_id,
    ]
    result = await s.execute(update(SafetyCount).where(*where).values(count=SafetyCount.count + n))
    if not getattr(result, "rowcount", 0):
        s.add(SafetyCount(buendnis_id=buendnis_id, category=category, day=day, count=n))
        await s.flush()
