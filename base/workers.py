"""CPU-heavy work (password hashing, reading uploaded tables) in processes of its own.

The server is one event loop: a hash or a parse in its own process would hold the interpreter
lock and every chat would wait. The processes run at the lowest CPU priority the system has
(Linux `SCHED_IDLE`: the scheduler gives a waking event loop the CPU at once instead of
letting a nice-10 process finish its time slice), so the loop answers first and the heavy
work takes what is left.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")


def lowest_priority() -> None:
    """In a worker process: yield the CPU to everything else on the machine."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):  # not Linux: the weakest nice level instead
        os.nice(19)


class Workers:
    """A lazily started pool of `count` spawned processes; `setup` runs first in each
    (picklable, at module level). A process that dies (memory limit, signal) breaks the pool:
    the call raises `BrokenProcessPool` and the next call starts fresh processes."""

    def __init__(self, count: int, setup: Callable[[], None] | None = None) -> None:
        self.count = count
        self.setup = setup
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.count,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_prepare,
                initargs=(self.setup,),
            )
        return self._pool

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` in a worker process; `fn` importable, its result and errors picklable."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), fn, *args)
        except BrokenProcessPool:
            self._pool = None
            raise

    async def warm(self) -> None:
        """Start every process now (at server start), not during a first request: starting
        one imports the project anew, seconds of CPU the first login would otherwise wait for."""
        await asyncio.gather(*(self.run(os.getpid) for _ in range(self.count)))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _prepare(setup: Callable[[], None] | None) -> None:
    lowest_priority()
    if setup is not None:
        setup()
