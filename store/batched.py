"""Anonymous counts written so that nobody can tie them to a person — not by columns, not by
row metadata, not by timing.

A count never enters the person's transaction: it is only added here, in memory. `flush`
writes what has gathered in its own transaction once at least `min_batch` counts wait (or
their day is over, or the process stops), as increments in random order. A crash loses the
counts not yet written — a statistic, never a person's data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import Counter
from collections.abc import Hashable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import today

log = logging.getLogger(__name__)

MIN_BATCH = 5  # the default k of small-cell suppression: no batch says less than a cell may

K = TypeVar("K", bound=Hashable)


class BatchedCounts(Generic[K]):
    """Counts by key, held until they may be written. A subclass says how one key's increment
    is written (`increment`) and which day a key belongs to (`day_of`)."""

    what = "counts"  # for the log line

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], min_batch: int = MIN_BATCH
    ) -> None:
        self.sessions = sessions
        self.min_batch = min_batch
        self._pending: Counter[K] = Counter()
        self._lock = asyncio.Lock()

    @property
    def pending(self) -> int:
        return sum(self._pending.values())

    def count(self, key: K, n: int = 1) -> None:
        self._pending[key] += n

    def day_of(self, key: K) -> dt.date:
        raise NotImplementedError

    async def increment(self, s: AsyncSession, key: K, n: int) -> None:
        raise NotImplementedError

    async def flush(self, *, force: bool = False, now: dt.date | None = None) -> int:
        """Write the counts that may be written now; returns how many were written."""
        async with self._lock:
            current = now or today()
            if force or self.pending >= self.min_batch:
                batch = Counter(self._pending)
            else:  # a day that is over says nothing finer than the day
                batch = Counter(
                    {k: n for k, n in self._pending.items() if self.day_of(k) < current}
                )
            if not batch:
                return 0
            self._pending -= batch
            keys = list(batch)
            random.shuffle(keys)  # no order to read the arrival from
            try:
                async with self.sessions() as s, s.begin():
                    for key in keys:
                        await self.increment(s, key, batch[key])
            except Exception:
                self._pending += batch  # kept for the next try
                raise
            written = sum(batch.values())
            log.info("%s written n=%d", self.what, written)
            return written
