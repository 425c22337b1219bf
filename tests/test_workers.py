"""CPU-heavy work runs in processes of its own at a lower priority (`base.workers`)."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from base.workers import LOWER_PRIORITY, Workers


def _scheduling() -> tuple[int, int]:
    return os.getpid(), os.nice(0)


def _die() -> None:
    os._exit(3)  # as the kernel's memory limit would end it


async def test_work_runs_in_another_process_at_a_lower_priority():
    workers = Workers(1)
    try:
        pid, niceness = await workers.run(_scheduling)
    finally:
        workers.close()
    assert pid != os.getpid()
    assert niceness >= os.nice(0) + LOWER_PRIORITY or niceness == 19


async def test_warm_starts_the_processes_before_any_work():
    workers = Workers(2)
    try:
        await workers.warm()
        assert workers._pool is not None
        assert len(workers._pool._processes) == 2
    finally:
        workers.close()


async def test_a_dead_process_fails_its_call_and_the_next_call_gets_a_fresh_one():
    workers = Workers(1)
    try:
        with pytest.raises(BrokenProcessPool):
            await workers.run(_die)
        pid, _ = await workers.run(_scheduling)
        assert pid != os.getpid()
    finally:
        workers.close()
