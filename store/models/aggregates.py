"""Anonymous aggregates written in batches: intake need counts, gap signals, safety counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, today


class IntakeNeedCount(Base):
    """How many completed Erstberatungen named a need area, per Bündnis, Gemeinde and day.

    Nothing else: no answers, no pseudonym, no time finer than a date. Rows are incremented
    in place; two workers racing may add a second row for the same key, so readers SUM(count).
    """

    __tablename__ = "intake_need_count"
    __table_args__ = (Index(None, "buendnis_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int | None] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    gemeinde_id: Mapped[int | None] = mapped_column(ForeignKey("gemeinde.id", ondelete="CASCADE"))
    need_area: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column(Date, default=today)
    count: Mapped[int] = mapped_column(Integer, default=0)


class OfferGap(Base):
    """A need area for which an Erstberatung found no offer ("Angebotslücke"): anonymous."""

    __tablename__ = "offer_gap"
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int | None] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    gemeinde_id: Mapped[int | None] = mapped_column(ForeignKey("gemeinde.id", ondelete="CASCADE"))
    need_area: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column(Date, default=today)


class SafetyCount(Base):
    """How often help was shown after a danger message, per Bündnis, category and day.

    Nothing else — never the message, no Gemeinde, no time finer than a day — and never written
    in the person's transaction: counts gather in memory and are added in batches of at least
    k (or once their day is over), in random order (care/tally.py). Readers SUM(count).
    """

    __tablename__ = "safety_count"
    __table_args__ = (Index(None, "buendnis_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int | None] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    day: Mapped[dt.date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=0)
