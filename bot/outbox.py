"""The outbox: replies committed with the state change, sent afterwards by a channel sender.

Rows are claimed in order (replies before broadcasts, oldest first); a failed send is retried
with backoff and dead-lettered with its reason after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from bot.clock import SYSTEM_CLOCK, Clock
from store.models import Conversation, OutboxMessage, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MERGE_MAX = 8  # rows that may go in one message
MERGE_CHARS = 4096  # Telegram's longest message
Sender = Callable[[OutboxMessage], Awaitable[None]]


class SendFailed(Exception):
    """A send that may succeed later (network, 5xx)."""


async def drain(
    sessions: async_sessionmaker[AsyncSession],
    channel: str,
    send: Sender,
    *,
    limit: int = 100,
    conversation_id: int | None = None,
    address: str | None = None,
) -> int:
    """Send what is due for `channel` (only one conversation's rows, or only one sealed
    address's — which include a goodbye after `/delete`); returns how many were sent."""
    sent = 0
    async with sessions() as s, s.begin():
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == "pending",
                OutboxMessage.not_before <= utcnow(),
            )
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .limit(limit)
        )
        if conversation_id is not None:
            query = query.where(OutboxMessage.conversation_id == conversation_id)
        if address is not None:
            query = query.where(OutboxMessage.address == address)
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await s.execute(query)).scalars().all()
        blocked: set[int] = set()  # keep order per chat: stop a chat at its first failure
        for row in rows:
            if row.conversation_id in blocked:
                continue
            try:
                await send(row)
            except SendFailed as e:
                if row.conversation_id is not None:
                    blocked.add(row.conversation_id)
                _failed(row, str(e))
                continue
            await s.delete(row)  # a delivered reply may repeat answers: keep nothing of it
            sent += 1
    return sent


def _failed(row: OutboxMessage, reason: str) -> None:
    row.attempts += 1
    row.last_error = reason[:300]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "dead"
        log.warning("outbox message dead-lettered id=%d reason=%s", row.id, reason[:80])
    else:
        row.not_before = utcnow() + dt.timedelta(seconds=2**row.attempts)


# ---------------------------------------------------------------- shared, paced outbox
#
# Several workers may send from one outbox. A worker *claims* rows in a short transaction
# (status "sending", lease until `not_before`), sends outside any transaction, then records
# the outcome in another short one. Only the oldest unfinished row of each chat can be
# claimed, so the order per chat holds across workers; `FOR UPDATE SKIP LOCKED` keeps two
# workers from claiming the same row on PostgreSQL. A worker that dies mid-send leaves a
# lease that runs out: the row is sent again (at least once, never lost). Per-chat pacing
# is a GCRA clock on the conversation (`pace_tat`), so it holds across workers too.


@dataclass(frozen=True)
class Pacing:
    chat_rate: float = 1.0  # messages per second per chat
    chat_burst: int = 3  # messages a quiet chat may get at once
    lease_seconds: float = 60.0  # a claim older than this is taken to be lost

    @property
    def interval(self) -> dt.timedelta:
        return dt.timedelta(seconds=1 / self.chat_rate)

    @property
    def tolerance(self) -> dt.timedelta:
        return self.interval * (self.chat_burst - 1)


@dataclass(frozen=True)
class Claimed:
    id: int
    conversation_id: int | None
    address: str
    payload: dict[str, Any]
    priority: int
    attempts: int
    lease: dt.datetime
    keyboard_message_id: int | None
    keyboard_ask: str | None
    merged: tuple[int, ...] = ()  # later rows of the chat sent in this one message


@dataclass(frozen=True)
class Sent:
    calls: int = 1  # API calls it took (each counts against the chat's pace)
    keyboard: tuple[int | None, str | None] | None = None  # new (message id, ask); None: as is


@dataclass(frozen=True)
class Retry:
    delay: float
    reason: str
    counts: bool = True  # False for "too many requests": not the message's fault


@dataclass(frozen=True)
class Dead:
    reason: str


@dataclass(frozen=True)
class Unreachable:
    """The person blocked the bot or deleted their account: opt them out, stop sending."""

    reason: str


Outcome = Sent | Retry | Dead | Unreachable
UNFINISHED = ("pending", "sending")


def _is_postgres(s: AsyncSession) -> bool:
    return s.get_bind().dialect.name == "postgresql"


async def claim(
    sessions: async_sessionmaker[AsyncSession],
    channel: str,
    pacing: Pacing,
    *,
    limit: int = 50,
    write_lock: asyncio.Lock | None = None,
    merge: bool = True,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Claimed]:
    """Claim up to `limit` due rows: replies before broadcasts, oldest first, one per chat
    (`merge`: with the rows after it that go in the same message)."""
    async with write_lock or contextlib.nullcontext(), sessions() as s, s.begin():
        now = clock.now()
        earlier = aliased(OutboxMessage)
        is_head = ~exists().where(
            earlier.channel == OutboxMessage.channel,
            earlier.address == OutboxMessage.address,
            earlier.status.in_(UNFINISHED),
            earlier.id < OutboxMessage.id,
        )
        query = (
            select(OutboxMessage, Conversation.keyboard_message_id, Conversation.keyboard_ask)
            .outerjoin(Conversation, Conversation.id == OutboxMessage.conversation_id)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status.in_(UNFINISHED),
                OutboxMessage.not_before <= now,
                is_head,
                or_(
                    Conversation.pace_tat.is_(None),
                    Conversation.pace_tat <= now + pacing.tolerance,
                ),
                or_(Conversation.id.is_(None), Conversation.opted_out.is_(False)),
            )
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .limit(limit)
        )
        if _is_postgres(s):
            query = query.with_for_update(of=OutboxMessage, skip_locked=True)
        lease = now + dt.timedelta(seconds=pacing.lease_seconds)
        claimed = []
        for row, kb_id, kb_ask in (await s.execute(query)).all():
            row.status, row.not_before = "sending", lease
            followers = await _followers(s, row, now) if merge else []
            for later in followers:
                later.status, later.not_before = "sending", lease
            payload = combine([row.payload, *(f.payload for f in followers)])
            claimed.append(
                Claimed(
                    row.id,
                    row.conversation_id,
                    row.address,
                    payload,
                    row.priority,
                    row.attempts,
                    lease,
                    kb_id,
                    kb_ask,
                    tuple(f.id for f in followers),
                )
            )
    return claimed


async def _followers(s: AsyncSession, head: OutboxMessage, now: dt.datetime) -> list[OutboxMessage]:
    """The rows right after `head` in its chat from the same step (`turn`) that can go in the
    same message: texts before a question go with it, so a step is one message (one call)."""
    turn = head.payload.get("turn")
    if turn is None or head.payload.get("buttons") or head.payload.get("replace"):
        return []
    due = (OutboxMessage.not_before <= now).label("due")
    query = (
        select(OutboxMessage, due)
        .where(
            OutboxMessage.channel == head.channel,
            OutboxMessage.address == head.address,
            OutboxMessage.status.in_(UNFINISHED),
            OutboxMessage.id > head.id,
        )
        .order_by(OutboxMessage.id)
        .limit(MERGE_MAX)
    )
    if _is_postgres(s):
        query = query.with_for_update(of=OutboxMessage, skip_locked=True)
    taken: list[OutboxMessage] = []
    size = len(str(head.payload.get("text") or ""))
    for row, is_due in (await s.execute(query)).all():
        size += 2 + len(str(row.payload.get("text") or ""))
        fits = row.status == "pending" and is_due and size <= MERGE_CHARS
        same = row.payload.get("turn") == turn and row.priority == head.priority
        if not fits or not same or row.payload.get("replace"):
            break
        taken.append(row)
        if row.payload.get("buttons"):
            break  # a question ends the message: its keyboard goes under it
    return taken


def combine(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Several payloads as one message: the texts as paragraphs, the last one's buttons."""
    if len(payloads) == 1:
        return dict(payloads[0])
    texts = [str(p.get("text") or "").strip() for p in payloads]
    return dict(payloads[-1]) | {"text": "\n\n".join(t for t in texts if t)}


async def next_due(
    sessions: async_sessionmaker[AsyncSession],
    channel: str,
    pacing: Pacing,
    clock: Clock = SYSTEM_CLOCK,
) -> float | None:
    """Seconds until a waiting row may be claimed (its retry time or its chat's pace), so
    a sender sleeps exactly that long and a paced question goes out the moment it may."""
    async with sessions() as s:
        now = clock.now()
        waiting = (
            OutboxMessage.channel == channel,
            OutboxMessage.status == "pending",
        )
        retry = await s.scalar(
            select(func.min(OutboxMessage.not_before)).where(
                *waiting, OutboxMessage.not_before > now
            )
        )
        paced = await s.scalar(
            select(func.min(Conversation.pace_tat))
            .join(OutboxMessage, OutboxMessage.conversation_id == Conversation.id)
            .where(*waiting, Conversation.pace_tat > now + pacing.tolerance)
        )
    times = [t for t in (retry, paced and paced - pacing.tolerance) if t is not None]
    return max(0.01, (min(times) - now).total_seconds()) if times else None


async def settle(
    sessions: async_sessionmaker[AsyncSession],
    results: list[tuple[Claimed, Outcome]],
    pacing: Pacing,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    write_lock: asyncio.Lock | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> None:
    """Record what happened to claimed rows. A sent row leaves the outbox."""
    if not results:
        return
    async with write_lock or contextlib.nullcontext(), sessions() as s, s.begin():
        now = clock.now()
        for row, outcome in results:
            mine = _mine(row)
            # conversation first, then the outbox row: the same lock order as the runtime
            # (which locks the conversation and may delete its rows), so no deadlock
            if isinstance(outcome, Sent):
                if row.conversation_id is not None:
                    await _after_send(s, row, outcome, pacing, now)
                await s.execute(delete(OutboxMessage).where(*mine))
            elif isinstance(outcome, Retry):
                attempts = row.attempts + (1 if outcome.counts else 0)
                if attempts >= max_attempts:
                    await _dead(s, row, outcome.reason, attempts)
                    continue
                await s.execute(
                    update(OutboxMessage)
                    .where(*mine)
                    .values(
                        status="pending",
                        attempts=attempts,
                        last_error=outcome.reason[:300],
                        not_before=now + dt.timedelta(seconds=outcome.delay),
                    )
                )
            elif isinstance(outcome, Dead):
                await _dead(s, row, outcome.reason, row.attempts + 1)
            else:
                if row.conversation_id is not None:
                    await opt_out(s, row.conversation_id, outcome.reason)
                await _dead(s, row, outcome.reason, row.attempts + 1)


async def opt_out(s: AsyncSession, conversation_id: int, reason: str) -> None:
    """Nothing more is sent to this conversation: opted out, unsent rows dead-lettered."""
    await s.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(opted_out=True, keyboard_message_id=None, keyboard_ask=None)
    )
    await s.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.conversation_id == conversation_id,
            OutboxMessage.status.in_(UNFINISHED),
        )
        .values(status="dead", last_error=reason[:300])
    )
    log.info("conversation opted out: unreachable")


async def _after_send(
    s: AsyncSession, row: Claimed, sent: Sent, pacing: Pacing, now: dt.datetime
) -> None:
    query = select(Conversation.pace_tat).where(Conversation.id == row.conversation_id)
    tat = await s.scalar(query)
    values: dict[str, Any] = {"pace_tat": max(tat or now, now) + pacing.interval * sent.calls}
    if sent.keyboard is not None:
        values["keyboard_message_id"], values["keyboard_ask"] = sent.keyboard
    await s.execute(
        update(Conversation).where(Conversation.id == row.conversation_id).values(**values)
    )


def _mine(row: Claimed) -> tuple[Any, ...]:
    """The claimed rows (a message may carry several) as this worker left them."""
    return (OutboxMessage.id.in_((row.id, *row.merged)), OutboxMessage.status == "sending")


async def _dead(s: AsyncSession, row: Claimed, reason: str, attempts: int) -> None:
    mine = _mine(row)
    if row.conversation_id is None:  # a goodbye after /delete keeps nothing
        await s.execute(delete(OutboxMessage).where(*mine))
    else:
        await s.execute(
            update(OutboxMessage)
            .where(*mine)
            .values(status="dead", attempts=attempts, last_error=reason[:300])
        )
    log.warning("outbox message dead-lettered id=%d reason=%s", row.id, reason[:80])
