"""Conversation state that must not outlive its use: inactive conversations, answers left
lying in an unfinished Erstberatung, and old idempotency keys."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime import forget_delivered
from dialogs.io import State
from dialogs.model import Flow
from store.models import Conversation, InboundSeen, utcnow

log = logging.getLogger(__name__)

KEYS_TTL = dt.timedelta(days=1)  # longer than any redelivery or flood window
ANSWERS_HOURS = 24  # personal answers of an unfinished Erstberatung are kept this long

# SQL condition on Conversation: keep it past its time to live (e.g. an open referral).
KeepAlive = Callable[[], ColumnElement[bool]]


async def expire(
    sessions: async_sessionmaker[AsyncSession],
    ttl: dt.timedelta,
    keep_alive: KeepAlive | None = None,
    keys_ttl: dt.timedelta = KEYS_TTL,
) -> int:
    """Delete conversations inactive for longer than `ttl` (their outbox and keys go too),
    except those `keep_alive` names (a Servicestelle still working on a referral: the person
    must stay reachable and able to `/delete`). Idempotency keys older than `keys_ttl` go as
    well — past the redelivery window they only record when someone wrote."""
    now = utcnow()
    query = delete(Conversation).where(Conversation.updated_at < now - ttl)
    if keep_alive is not None:
        query = query.where(~keep_alive())
    async with sessions() as s, s.begin():
        result = await s.execute(query)
        await s.execute(delete(InboundSeen).where(InboundSeen.seen_at < now - keys_ttl))
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_stale_answers(
    sessions: async_sessionmaker[AsyncSession],
    flows: Mapping[str, Flow],
    hours: int = ANSWERS_HOURS,
    now: dt.datetime | None = None,
) -> int:
    """Answers of an Erstberatung (personal, unlike a survey's) untouched for `hours` are
    removed; the person starts again next time. Returns how many conversations were cleared."""
    cutoff = (now or utcnow()) - dt.timedelta(hours=hours)
    intake = {flow.id for flow in flows.values() if flow.kind == "intake"}
    cleared = 0
    async with sessions() as s, s.begin():
        query = select(Conversation).where(Conversation.updated_at < cutoff)
        for conv in (await s.scalars(query)).all():
            state = State.from_json(conv.state)
            if state.flow_id not in intake or not (state.answers or state.data):
                continue
            conv.state = State(locale=state.locale).to_json()
            await forget_delivered(s, conv)
            cleared += 1
    if cleared:
        log.info("stale intake answers cleared conversations=%d", cleared)
    return cleared
