"""An inbound message's arrival: the person's conversation row (created if new, locked), the
idempotency key, the flood count and the Bündnis' language — in one round trip on PostgreSQL.

PostgreSQL runs one statement of data-modifying CTEs: `INSERT … ON CONFLICT DO UPDATE …
RETURNING` creates or locks the row (the lock `SELECT … FOR UPDATE` would take), the key is
inserted `ON CONFLICT DO NOTHING` (no row back: a redelivered update), and the number of
updates in the flood window is counted beside it. The count runs on the statement's snapshot,
which does not hold the key inserted by the same statement, so this update is added to it.
SQLite has no data-modifying CTEs; it runs the same parts as three statements in-process,
under the runtime's single writer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    false,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import configure_mappers, make_transient_to_detached

from store.models import Buendnis, Conversation, InboundSeen

configure_mappers()  # every model is imported above: the attributes are fully instrumented
CONVERSATION = cast(Table, Conversation.__table__)
_MANAGER = Conversation.__mapper__.class_manager
_NAMES = tuple(c.key for c in CONVERSATION.c)  # the attributes are named as the columns
SEEN = cast(Table, InboundSeen.__table__)


@dataclass(frozen=True)
class Arrival:
    conversation: Conversation  # persistent in the session, locked until it ends
    duplicate: bool  # the key was seen before: the update was already handled
    recent: int  # updates of this conversation within the flood window, this one included
    fallback_locale: str | None  # the Bündnis' default language, if attributed


async def arrive(
    s: AsyncSession,
    *,
    pseudonym: str,
    channel: str,
    address: str,
    key: str | None,
    now: dt.datetime,
    window: float,
) -> Arrival:
    """Create or lock the conversation, record `key` and count the window (see module doc)."""
    params: dict[str, Any] = {
        "pseudonym": pseudonym,
        "channel": channel,
        "address": address,
        "key": key,
        "now": now,
        "since": now - dt.timedelta(seconds=window),
    }
    if s.get_bind().dialect.name == "postgresql":
        row = (await s.execute(_IN_ONE[key is not None], params)).one()._mapping
        fresh, recent, fallback = row["fresh_"], row["recent_"], row["fallback_"]
        conv = _persistent(s, row)
    else:
        conv = _persistent(s, (await s.execute(_UPSERT["sqlite"], params)).one()._mapping)
        params["conversation_id"] = conv.id
        fresh = 0 if key is None else len((await s.execute(_SEEN_SQLITE, params)).all())
        recent = (await s.scalar(_RECENT, params) or 0) - fresh  # SQLite sees its own insert
        fallback = await buendnis_locale(s, conv.buendnis_id)
    return Arrival(conv, key is not None and not fresh, recent + fresh, fallback)


def _persistent(s: AsyncSession, row: RowMapping) -> Conversation:
    """The row as an object of the session, as if loaded by a query: later changes become
    one UPDATE. Built from the row directly — the ORM's loading machinery is set up anew for
    every query and costs more than the statement on this path."""
    conv = _MANAGER.new_instance()
    conv.__dict__.update({name: row[name] for name in _NAMES})
    make_transient_to_detached(conv)
    s.add(conv)
    return conv


# The statements are built once, with bound parameters: building them costs more than running.


def _upsert(insert: Any) -> Any:
    now = bindparam("now", type_=DateTime())
    values = insert(CONVERSATION).values(
        pseudonym=bindparam("pseudonym", type_=String()),
        channel=bindparam("channel", type_=String()),
        address=bindparam("address", type_=String()),
        state=literal({}, CONVERSATION.c.state.type),
        opted_out=false(),
        invitations=false(),
        created_at=now,
        updated_at=now,
    )
    # They wrote to us: the current address, reachable again. The update also takes the lock.
    return values.on_conflict_do_update(
        index_elements=[CONVERSATION.c.pseudonym],
        set_={"address": values.excluded.address, "opted_out": false(), "updated_at": now},
    ).returning(*CONVERSATION.c)


_UPSERT = {"postgresql": _upsert(pg_insert), "sqlite": _upsert(sqlite_insert)}
_KEY = bindparam("key", type_=String())
_SINCE = bindparam("since", type_=DateTime())


def _in_one(with_key: bool) -> Select[Any]:
    conv = _UPSERT["postgresql"].cte("arrived")
    fresh: Any = literal(0)
    if with_key:
        seen = (
            pg_insert(SEEN)
            .from_select(
                ["conversation_id", "key", "seen_at"],
                select(conv.c.id, _KEY, bindparam("now", type_=DateTime())),
            )
            .on_conflict_do_nothing(index_elements=[SEEN.c.conversation_id, SEEN.c.key])
            .returning(SEEN.c.id)
            .cte("seen")
        )
        fresh = select(func.count()).select_from(seen).scalar_subquery()
    recent = select(func.count()).select_from(SEEN)
    recent = recent.where(SEEN.c.conversation_id == conv.c.id, SEEN.c.seen_at >= _SINCE)
    fallback = select(Buendnis.default_locale).where(Buendnis.id == conv.c.buendnis_id)
    return select(
        conv,
        fresh.label("fresh_"),
        recent.scalar_subquery().label("recent_"),
        fallback.scalar_subquery().label("fallback_"),
    )


_IN_ONE = {True: _in_one(True), False: _in_one(False)}
_CONVERSATION_ID = bindparam("conversation_id", type_=Integer())
_SEEN_SQLITE = (
    sqlite_insert(SEEN)
    .values(conversation_id=_CONVERSATION_ID, key=_KEY, seen_at=bindparam("now", type_=DateTime()))
    .on_conflict_do_nothing(index_elements=[SEEN.c.conversation_id, SEEN.c.key])
    .returning(SEEN.c.id)
)
_RECENT = (
    select(func.count())
    .select_from(SEEN)
    .where(SEEN.c.conversation_id == _CONVERSATION_ID, SEEN.c.seen_at >= _SINCE)
)
_FALLBACK = select(Buendnis.default_locale).where(Buendnis.id == bindparam("buendnis_id"))


async def buendnis_locale(s: AsyncSession, buendnis_id: int | None) -> str | None:
    """Second link of the language fallback chain: the Bündnis' default language."""
    if buendnis_id is None:
        return None
    return await s.scalar(_FALLBACK, {"buendnis_id": buendnis_id})
