"""(c) Referrals: personal data, only after consent; deleted on withdrawal and after
retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, utcnow


class Referral(Base):
    """Personal data a person chose to share with one named Servicestelle."""

    __tablename__ = "referral"
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    servicestelle_id: Mapped[int] = mapped_column(
        ForeignKey("servicestelle.id", ondelete="CASCADE")
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversation.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="new")
    locale: Mapped[str] = mapped_column(String(8))
    shared: Mapped[dict[str, Any]] = mapped_column(default=dict)  # exactly what was consented
    contact_via: Mapped[str] = mapped_column(String(10), default="bot")  # bot|phone|email
    contact_value: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The person spoke of danger and asked to be contacted soon: first in the queue.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    events: Mapped[list[ReferralEvent]] = relationship(cascade="all, delete-orphan")


class ReferralEvent(Base):
    __tablename__ = "referral_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # transition | note | relay | reply | urgent
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
