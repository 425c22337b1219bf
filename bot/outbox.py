"""The outbox: replies committed with the state change, sent afterwards by a channel sender.

Rows are claimed in order (replies before broadcasts, oldest first); a failed send is retried
with backoff and dead-lettered with its reason after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from store.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
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
) -> int:
    """Send what is due for `channel`; returns how many were sent."""
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
        if s.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await s.execute(query)).scalars().all()
        blocked: set[int] = set()  # keep order per chat: stop a chat at its first failure
        for row in rows:
            if row.conversation_id in blocked:
                continue
            try:
                await send(row)
            except SendFailed as e:
                blocked.add(row.conversation_id)
                _failed(row, str(e))
                continue
            row.status, row.sent_at, row.attempts = "sent", utcnow(), row.attempts + 1
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


def payload_text(payload: dict[str, Any]) -> str:
    return str(payload.get("text", ""))
