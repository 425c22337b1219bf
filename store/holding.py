"""The holding area: what must never be written in a person's transaction waits here, in
memory, and is written later in shuffled batches, each kind in a transaction of its own.

Completed survey responses, participation markers and anonymous counts (needs, gaps, help
after danger) would otherwise share PostgreSQL's `xmin` with the person's `conversation`,
`inbound_seen` and `outbox` rows, and their physical order (`ctid`) would be the order in
which people finished. A holding *table* would not help: its row would be written in the
person's transaction and carry that `xmin` until moved, and the dead row stays readable on
disk until VACUUM. So the area is memory only:

- a handler hands an item to `Turn.hold`; the runtime passes it here only once the person's
  transaction has committed (a step that rolls back leaves nothing behind);
- `flush` (housekeeping, and on stopping) writes a *group* once it holds at least
  `min_batch` items, items of a day that is over (the stored date says no more), or
  everything when forced; the items of one kind go in random order into one transaction,
  and every kind gets its own transaction (markers never share one with responses).

Residual risks (docs/architecture.md): a crash loses what is held; a forced flush on
stopping may write a smaller batch, whose time then says "finished since the last flush";
a process holds only what it handled itself (another worker does not see its markers).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import today

log = logging.getLogger(__name__)

MIN_BATCH = 5  # the default k of small-cell suppression: no batch says less than a cell may
HELD_KEY = "wegweiser.held"  # where a turn's items wait in the session until its commit


@dataclass(frozen=True)
class Held:
    kind: str  # which writer stores it
    group: Hashable  # items written together: a group waits for `min_batch` items
    day: dt.date  # the day it happened (what the stored rows may say)
    value: Any


# A writer stores a batch of one kind (already shuffled) in the given transaction.
Writer = Callable[[AsyncSession, list[Any]], Awaitable[None]]


class Holding:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writers: Mapping[str, Writer],
        min_batch: int = MIN_BATCH,
        rng: random.Random | None = None,
    ) -> None:
        self.sessions = sessions
        self.writers = dict(writers)  # in this order: responses before markers before counts
        self.min_batch = min_batch
        self.rng = rng or random.SystemRandom()
        self._held: dict[str, list[Held]] = defaultdict(list)
        self._lock = asyncio.Lock()

    @property
    def pending(self) -> int:
        return sum(len(items) for items in self._held.values())

    def add(self, items: Iterable[Held]) -> None:
        for item in items:
            if item.kind not in self.writers:
                raise ValueError(f"nothing writes held items of kind {item.kind!r}")
            self._held[item.kind].append(item)

    def waiting(self, kind: str) -> list[Any]:
        """The values of this kind not written yet (e.g. markers a start check must see)."""
        return [item.value for item in self._held.get(kind, [])]

    def _ready(self, kind: str, force: bool, current: dt.date) -> list[Held]:
        items = self._held.get(kind, [])
        if force:
            return list(items)
        sizes: dict[Hashable, int] = defaultdict(int)
        for item in items:
            sizes[item.group] += 1
        return [i for i in items if sizes[i.group] >= self.min_batch or i.day < current]

    async def flush(self, *, force: bool = False, now: dt.date | None = None) -> int:
        """Write what may be written now; returns how many items were written."""
        written, failed = 0, None
        async with self._lock:
            current = now or today()
            for kind, writer in self.writers.items():
                batch = self._ready(kind, force, current)
                if not batch:
                    continue
                chosen = {id(i) for i in batch}
                self._held[kind] = [i for i in self._held[kind] if id(i) not in chosen]
                self.rng.shuffle(batch)  # no order to read the arrival from
                try:
                    async with self.sessions() as s, s.begin():
                        await writer(s, [i.value for i in batch])
                except Exception as e:
                    self._held[kind] = batch + self._held[kind]  # kept for the next try
                    failed = failed or e
                    continue
                written += len(batch)
                log.info("held items written kind=%s n=%d", kind, len(batch))
        if failed is not None:
            raise failed
        return written


def hold(session: AsyncSession, item: Held) -> None:
    """Write this later, outside the transaction of `session` (dropped if it fails)."""
    session.info.setdefault(HELD_KEY, []).append(item)


def held_in(session: AsyncSession) -> list[Held]:
    """The items a turn handed over in this session (taken out: they go to the holding area
    once, after the commit)."""
    items: list[Held] = session.info.pop(HELD_KEY, [])
    return items
