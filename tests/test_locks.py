"""Per-key locks serialise work per key and are dropped when nobody holds or waits."""

from __future__ import annotations

import asyncio

from bot.locks import KeyedLocks


async def test_one_holder_per_key_and_nothing_left_behind():
    locks = KeyedLocks()
    order: list[str] = []
    gate = asyncio.Event()

    async def work(key: str, name: str, wait: bool) -> None:
        async with locks.hold(key):
            order.append(f"{name}+")
            if wait:
                await gate.wait()
            order.append(f"{name}-")

    first = asyncio.create_task(work("a", "1", True))
    await asyncio.sleep(0)
    second = asyncio.create_task(work("a", "2", False))
    other = asyncio.create_task(work("b", "3", False))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == ["1+", "3+", "3-"] and len(locks) == 1  # "2" waits on "a"
    gate.set()
    await asyncio.gather(first, second, other)
    assert order[3:] == ["1-", "2+", "2-"] and len(locks) == 0


async def test_a_cancelled_waiter_leaves_no_lock():
    locks = KeyedLocks()
    held = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("k"):
            held.set()
            await release.wait()

    async def waiter() -> None:
        async with locks.hold("k"):
            raise AssertionError("never reached")

    h = asyncio.create_task(holder())
    await held.wait()
    w = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    w.cancel()
    release.set()
    await h
    await asyncio.gather(w, return_exceptions=True)
    assert len(locks) == 0
