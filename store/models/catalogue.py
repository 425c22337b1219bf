"""Tenancy and catalogue: Bündnisse, Gemeinden, Servicestellen, offers with their
translations, per-Bündnis access rules and entry points (start codes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base


class Buendnis(Base):
    """The tenant: one local alliance (kreisfreie Stadt or Kreis)."""

    __tablename__ = "buendnis"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    default_locale: Mapped[str] = mapped_column(String(8), default="de")
    suppression_k: Mapped[int] = mapped_column(Integer, default=5)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    gemeinden: Mapped[list[Gemeinde]] = relationship(back_populates="buendnis")


class Gemeinde(Base):
    __tablename__ = "gemeinde"
    __table_args__ = (UniqueConstraint("buendnis_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    kreis: Mapped[str | None] = mapped_column(String(120))  # None for a kreisfreie Stadt
    buendnis: Mapped[Buendnis] = relationship(back_populates="gemeinden")


class Servicestelle(Base):
    __tablename__ = "servicestelle"
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    contact: Mapped[str] = mapped_column(String(300), default="")
    languages: Mapped[list[Any]] = mapped_column(default=list)
    gemeinde_ids: Mapped[list[Any]] = mapped_column(default=list)  # empty: whole Bündnis
    need_areas: Mapped[list[Any]] = mapped_column(default=list)  # empty: all areas
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Working days until it usually gets in touch after a referral (told to the person).
    response_days: Mapped[int] = mapped_column(Integer, default=3)


class Offer(Base):
    """One row of the Arbeitshilfe offer tables (DOMAIN.md), plus what a person needs to go."""

    __tablename__ = "offer"
    __table_args__ = (Index(None, "buendnis_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")  # one plain sentence
    provider: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(60))  # Arbeitshilfe category
    need_areas: Mapped[list[Any]] = mapped_column(default=list)
    gemeinde_ids: Mapped[list[Any]] = mapped_column(default=list)  # empty: whole Bündnis
    address: Mapped[str] = mapped_column(String(300), default="")
    directions: Mapped[str] = mapped_column(String(300), default="")  # how to get there
    contact: Mapped[str] = mapped_column(String(300), default="")
    opening_hours: Mapped[str] = mapped_column(String(300), default="")
    languages: Mapped[list[Any]] = mapped_column(default=list)
    cost: Mapped[str] = mapped_column(String(120), default="")
    capacity_note: Mapped[str] = mapped_column(String(300), default="")
    what_to_bring: Mapped[str] = mapped_column(String(300), default="")
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    # German the offer needs at least / is meant for at most (offers.taxonomy.GERMAN_LEVELS)
    german_min: Mapped[str | None] = mapped_column(String(4))
    german_max: Mapped[str | None] = mapped_column(String(4))
    topics: Mapped[list[Any]] = mapped_column(default=list)  # offers.taxonomy.TOPICS
    access: Mapped[dict[str, Any]] = mapped_column(default=dict)  # status -> yes | no | ask
    opening_possible: Mapped[bool] = mapped_column(Boolean, default=False)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300), default="")
    last_checked: Mapped[dt.date | None] = mapped_column(Date)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)


class OfferText(Base):
    """One text field of an offer in one language, with its review status.

    `source` is the German text it was translated from: when the offer's German text changes,
    the translation no longer counts (the person sees German with a note until it is redone)."""

    __tablename__ = "offer_text"
    __table_args__ = (UniqueConstraint("offer_id", "locale", "field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    field: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(300))
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)  # else a machine draft


class AccessOverride(Base):
    """A Bündnis' local access rule: for one offer, or for every offer of one Arbeitshilfe
    category, people with `status` get `access` (yes | no | ask) from `valid_from` on.

    Eligibility is data: the rules in `offer.access` are the catalogue's default, these rows
    are what the local Bündnis decided (offers/eligibility.py applies them)."""

    __tablename__ = "access_override"
    __table_args__ = (
        CheckConstraint("(offer_id IS NULL) <> (category IS NULL)", name="target"),
        Index(None, "buendnis_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(8))
    access: Mapped[str] = mapped_column(String(4))  # yes | no | ask
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(300), default="")


class EntryPoint(Base):
    """A deep-link code (`/start <code>`): attributes a conversation to a Bündnis and a source
    (poster, multiplier) without identifying anyone."""

    __tablename__ = "entry_point"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    buendnis_id: Mapped[int] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(120), default="")
    flow_id: Mapped[str | None] = mapped_column(String(64))
    # A survey wave to take part in (its flow is then the wave's flow).
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("survey_wave.id", ondelete="SET NULL"))
    # How often a conversation was started with the code: a number, never who or when
    # (written in batches outside the person's transaction, `entries/scans.py`).
    scans: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
