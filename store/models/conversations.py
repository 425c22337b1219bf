"""(a) Conversation state: keyed by a channel pseudonym, expires after inactivity; the keys
seen and the outbox go with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, utcnow


class Conversation(Base):
    __tablename__ = "conversation"
    __table_args__ = (UniqueConstraint("pseudonym"), Index(None, "updated_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64))  # HMAC(secret, channel:user_id)
    channel: Mapped[str] = mapped_column(String(16))
    # Where replies go (the chat id), sealed: only a sender opens it. Lives and dies with the
    # conversation.
    address: Mapped[str] = mapped_column(String(64))  # sealed: store.addresses
    locale: Mapped[str | None] = mapped_column(String(8))
    buendnis_id: Mapped[int | None] = mapped_column(ForeignKey("buendnis.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(String(120))
    entry_flow: Mapped[str | None] = mapped_column(String(64))  # from the deep link, if any
    # The survey wave the deep link pointed to (conversation space only; responses never
    # point back here).
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("survey_wave.id", ondelete="SET NULL"))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    invitations: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Messenger delivery: the message that shows the current buttons (removed after an answer)
    # and the per-chat pacing clock (theoretical arrival time of the next message, GCRA).
    keyboard_message_id: Mapped[int | None] = mapped_column(Integer)
    keyboard_ask: Mapped[str | None] = mapped_column(String(64))
    pace_tat: Mapped[dt.datetime | None] = mapped_column(DateTime)


class InboundSeen(Base):
    """Idempotency keys of handled inbound messages (a redelivered update is ignored)."""

    __tablename__ = "inbound_seen"
    __table_args__ = (UniqueConstraint("conversation_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OutboxMessage(Base):
    """A reply waiting to be sent; written in the same transaction as the state change."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "status", "priority", "id"),
        Index("ix_outbox_chat", "channel", "address", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # None only for a goodbye after `/delete`: the conversation is gone, the row is deleted
    # as soon as it is sent.
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))  # sealed: store.addresses
    payload: Mapped[dict[str, Any]] = mapped_column()  # rendered text + buttons
    priority: Mapped[int] = mapped_column(Integer, default=0)  # 0 reply, 1 broadcast
    # pending | sending (claimed by a sender until not_before) | sent | dead
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
