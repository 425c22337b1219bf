"""An inbound message's arrival (bot/arrival.py) on SQLite and PostgreSQL: the conversation row,
the idempotency key, the flood count and the Bündnis' language — and on PostgreSQL all of it
in one statement, with the row locked until the transaction ends."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import event, func, select

from bot.arrival import arrive
from bot.runtime import Inbound
from dialogs.buttons import Op, encode
from dialogs.io import Command, Press
from store.db import make_engine, sessions
from store.models import Buendnis, Conversation, InboundSeen
from tests.conftest import settings_for
from wegweiser.services import build

NOW = dt.datetime(2026, 5, 4, 12, 0, 0)


async def _arrive(db, key, *, now=NOW, pn="p1", address="sealed-1", window=10.0):
    async with db() as s, s.begin():
        a = await arrive(
            s, pseudonym=pn, channel="telegram", address=address, key=key, now=now, window=window
        )
        return a, a.conversation.id


async def test_first_arrival_creates_the_row_and_counts_itself(db) -> None:
    a, cid = await _arrive(db, "k1")
    assert (a.duplicate, a.recent, a.fallback_locale) == (False, 1, None)
    assert a.conversation.state == {} and a.conversation.opted_out is False
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(Conversation)) == 1
        seen = (await s.execute(select(InboundSeen.conversation_id, InboundSeen.key))).all()
        assert seen == [(cid, "k1")]


async def test_a_key_seen_before_is_a_duplicate_and_not_stored_twice(db) -> None:
    await _arrive(db, "k1")
    again, _ = await _arrive(db, "k1", now=NOW + dt.timedelta(seconds=1))
    assert again.duplicate is True
    assert again.recent == 1  # the earlier arrival only
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(InboundSeen)) == 1


async def test_the_window_counts_recent_keys_only(db) -> None:
    for i in range(3):
        await _arrive(db, f"old{i}", now=NOW - dt.timedelta(seconds=60))
    for i in range(4):
        a, _ = await _arrive(db, f"new{i}", now=NOW + dt.timedelta(seconds=i))
        assert a.recent == i + 1
    none, _ = await _arrive(db, None, now=NOW + dt.timedelta(seconds=5))
    assert (none.duplicate, none.recent) == (False, 4)  # no key: nothing recorded


async def test_the_row_is_kept_and_refreshed_not_replaced(db) -> None:
    _, cid = await _arrive(db, "k1")
    async with db() as s, s.begin():
        conv = await s.get(Conversation, cid)
        assert conv is not None
        conv.state, conv.opted_out, conv.locale = {"flow_id": "x"}, True, "ar"
    later = NOW + dt.timedelta(minutes=3)
    a, same = await _arrive(db, "k2", now=later, address="sealed-2")
    assert same == cid
    c = a.conversation
    assert (c.state, c.locale, c.opted_out) == ({"flow_id": "x"}, "ar", False)
    assert (c.address, c.updated_at, c.created_at) == ("sealed-2", later, NOW)


async def test_the_buendnis_language_comes_with_the_row(db) -> None:
    _, cid = await _arrive(db, "k1")
    async with db() as s, s.begin():
        b = Buendnis(name="Bündnis Test", code="test", default_locale="en")
        s.add(b)
        await s.flush()
        conv = await s.get(Conversation, cid)
        assert conv is not None
        conv.buendnis_id = b.id
    a, _ = await _arrive(db, "k2")
    assert a.fallback_locale == "en"


async def test_changes_after_arrival_are_written_by_the_session(db) -> None:
    async with db() as s, s.begin():
        a = await arrive(
            s, pseudonym="p9", channel="web", address="x", key=None, now=NOW, window=10
        )
        a.conversation.state = {"locale": "uk"}
        a.conversation.locale = "uk"
    async with db() as s:
        row = (await s.execute(select(Conversation.state, Conversation.locale))).one()
    assert tuple(row) == ({"locale": "uk"}, "uk")


@pytest.mark.postgres
async def test_on_postgres_a_second_arrival_waits_for_the_first_transaction(pg_url) -> None:
    engine = make_engine(pg_url)
    db = sessions(engine)
    pn = uuid.uuid4().hex  # the shared database is not emptied for this test
    order: list[str] = []
    first_in = asyncio.Event()

    async def first() -> None:
        async with db() as s, s.begin():
            await arrive(s, pseudonym=pn, channel="t", address="a", key="1", now=NOW, window=9)
            first_in.set()
            await asyncio.sleep(0.3)  # holds the row lock while the second one arrives
            order.append("first done")

    async def second() -> None:
        await first_in.wait()
        async with db() as s, s.begin():
            a = await arrive(s, pseudonym=pn, channel="t", address="a", key="2", now=NOW, window=9)
            order.append("second in")
        assert not a.duplicate

    try:
        await asyncio.gather(first(), second())
        assert order == ["first done", "second in"]
        # Once the first has committed, a later arrival counts both (a waiting one may not:
        # its statement's snapshot is older — flood control across workers is approximate).
        third, _ = await _arrive(db, "3", pn=pn)
        assert third.recent == 3
    finally:
        await engine.dispose()


async def test_one_statement_for_arrival_three_per_answer(db_url, tmp_path) -> None:
    """The database work of a step on PostgreSQL: arrival, the conversation's UPDATE and the
    replies' INSERT (SQLite runs arrival as three statements in-process)."""
    services = build(settings_for(db_url, tmp_path))
    statements: list[str] = []

    def count(_c: object, _cur: object, statement: str, *_a: object) -> None:
        statements.append(statement.split()[0].upper())

    try:
        rt = services.runtime
        await rt.handle(Inbound("telegram", "7", "7", Command("start"), "u1"))
        event.listen(services.engine.sync_engine, "before_cursor_execute", count)
        german = Press(encode(Op.LANGUAGE, "", "", "de"))  # the first question: answered
        await rt.handle(Inbound("telegram", "7", "7", german, "u2"))
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", count)
        await services.close()
    assert "SELECT" not in statements[3:], statements  # after arrival: writes only
    if db_url.startswith("postgresql"):
        assert statements[0] == "WITH" and "SELECT" not in statements, statements
        assert statements == ["WITH", "UPDATE", "INSERT"], statements  # arrival, state, replies
    else:
        assert statements[:3] == ["INSERT", "INSERT", "SELECT"], statements
