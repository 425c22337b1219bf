"""SQLite's adapter makes one hop to aiosqlite's thread per statement, none for a commit or
rollback with no transaction open, and still commits, rolls back and reports errors as
SQLAlchemy's own adapter does. Checked against the database file, read with sqlite3."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import make_engine


class Hops:
    def __init__(self) -> None:
        self.count = 0


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hops]:
    seen = Hops()
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.count += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield seen


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with eng.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield eng
    await eng.dispose()


def on_disk(engine: AsyncEngine) -> list[tuple[int, str]]:
    with sqlite3.connect(str(engine.url.database)) as conn:
        return conn.execute("SELECT id, v FROM t ORDER BY id").fetchall()


async def test_a_read_is_one_hop_and_giving_the_connection_back_is_none(
    engine: AsyncEngine, hops: Hops
) -> None:
    async with engine.connect() as conn:  # warm: the pool holds a connection
        await conn.execute(text("SELECT 1"))
    hops.count = 0
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    assert hops.count == 1  # SQLAlchemy's own adapter: five


async def test_a_transaction_commits_in_one_hop_more_than_its_statements(
    engine: AsyncEngine, hops: Hops
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    hops.count = 0
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        rows = (await conn.execute(text("SELECT v FROM t"))).scalars().all()
        assert rows == ["a"]
    assert hops.count == 3
    assert on_disk(engine) == [(1, "a")]


async def test_a_rollback_undoes_the_writes(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('gone')"))
        await conn.rollback()
        await conn.execute(text("INSERT INTO t (v) VALUES ('kept')"))
        await conn.commit()
    async with engine.connect() as conn:  # left open: rolled back on its way to the pool
        await conn.execute(text("INSERT INTO t (v) VALUES ('never')"))
    assert [v for _, v in on_disk(engine)] == ["kept"]


async def test_a_failed_statement_is_sqlalchemys_error_and_its_transaction_rolls_back(
    engine: AsyncEngine,
) -> None:
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
            await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
    assert on_disk(engine) == []
    async with engine.begin() as conn:  # the pooled connection is usable again
        await conn.execute(text("INSERT INTO t (v) VALUES ('y')"))
    assert [v for _, v in on_disk(engine)] == ["y"]


async def test_many_rows_and_row_counts(engine: AsyncEngine, hops: Hops) -> None:
    async with engine.begin() as conn:
        many = [{"v": str(i)} for i in range(50)]
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), many)
        hops.count = 0
        updated = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id <= 10"))
        assert updated.rowcount == 10 and hops.count == 1
        result = await conn.execute(text("SELECT v FROM t ORDER BY id"))
        assert result.fetchmany(3) == [("0!",), ("1!",), ("2!",)]
        assert len(result.fetchall()) == 47
    assert len(on_disk(engine)) == 50


async def test_a_streamed_result_then_a_rollback(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
        streamed = await conn.stream(text("SELECT v FROM t ORDER BY id"))
        assert [row.v async for row in streamed] == ["a", "b"]
        await conn.rollback()
    assert on_disk(engine) == []
