"""CPU-heavy work (password hashing, reading and writing spreadsheets, counting survey results)
in processes of their own.

The server is one event loop: a hash or a parse in the server's process would hold the interpreter
lock and every chat would wait. The processes run at a lower CPU priority (nice 10: about a
tenth of the CPU where the event loop wants it too), so the loop answers first; not the idle
class, which would leave logins waiting for as long as the machine stays busy (it measured no
better: bench/hostile.py).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # prctl(2)


LOWER_PRIORITY = 10


def lower_priority() -> None:
    """In a worker process: the event loop and the database come first."""
    os.nice(LOWER_PRIORITY)


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
        pool = self._executor()
        try:
            return await loop.run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            if self._pool is pool:  # not a fresh one another call has started meanwhile
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


FILE_MEMORY = 1024 * 1024 * 1024  # address space of a file process


def _limit_memory() -> None:
    """In a file process: whatever slips past a reader's bounds fails there, alone."""
    resource.setrlimit(resource.RLIMIT_AS, (FILE_MEMORY, FILE_MEMORY))


# Two long-lived file processes, started with the server. `uploads` reads what staff upload
# (untrusted: up to 20 s per file within its bounds); `files` writes spreadsheets and charts and
# counts survey results (an XLSX of 10,000 offers took 3.2 s to write, a results XLSX with 22
# charts about 2 s: on the event loop every chat would have waited that long). Apart, so a
# hostile upload cannot hold up the results pages.
uploads = Workers(1, _limit_memory)
files = Workers(1, _limit_memory)


def _prepare(setup: Callable[[], None] | None) -> None:
    _end_with_parent()
    lower_priority()
    if setup is not None:
        setup()


def _end_with_parent() -> None:
    """A worker blocks reading its task queue, which it holds open itself: when the server
    ends without shutting the pool down (killed, or a signal the shutdown could not finish
    after), the worker would live on, an orphan of 60 MB. Linux ends it with its parent."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the pool's shutdown is all there is
        return
    if os.getppid() == 1:  # the parent ended before the line above
        os._exit(0)
