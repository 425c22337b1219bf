"""SQLAlchemy models, grouped by the three data spaces of the privacy model (DESIGN.md).

(a) conversation state — keyed by a channel pseudonym; expires after inactivity.
(b) survey responses — random id, flow version, submission *date*, answer codes (packed
    into one row per response); no pseudonym and no foreign key into (a).
(c) referrals — personal data, only after consent; deleted on withdrawal and after retention.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Naive UTC timestamp (SQLite keeps no time zone; all stored times are UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


# ---------------------------------------------------------------- tenancy and catalogue


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


# ---------------------------------------------------------------- (a) conversation state


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


# ---------------------------------------------------------------- (b) survey responses


class SurveyWave(Base):
    __tablename__ = "survey_wave"
    id: Mapped[int] = mapped_column(primary_key=True)
    buendnis_id: Mapped[int] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(64))
    flow_version: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft|open|closed
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)


def _random_id() -> str:
    return uuid.uuid4().hex


class SurveyLayout(Base):
    """How the answers of one flow version are packed into `survey_response.codes`
    (results/storage.py): slots of 16-bit words, one per single-valued item, a bitset per
    multiple-choice item. A flow version may have several layouts (a later one when answers
    no longer fit an earlier one); each response names its own."""

    __tablename__ = "survey_layout"
    __table_args__ = (Index(None, "flow_id", "flow_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    flow_version: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)  # words per response
    slots: Mapped[list[Any]] = mapped_column()  # [[item id, kind, offset, words], ...]


class SurveyCode(Base):
    """The answer categories of one item of a layout and their numbers in the packed answers
    (1 is always "keine Angabe"). Grows when a category first appears (a Gemeinde, a number)."""

    __tablename__ = "survey_code"
    __table_args__ = (UniqueConstraint("layout_id", "item_id", "value"),)
    layout_id: Mapped[int] = mapped_column(
        ForeignKey("survey_layout.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class SurveyResponse(Base):
    """One completed questionnaire. Deliberately: no pseudonym, no conversation link, no time.

    All coded answers sit in this one row (`codes`, packed by its layout), so counting a wave
    reads each response once instead of joining answer rows per breakdown variable."""

    __tablename__ = "survey_response"
    __table_args__ = (Index(None, "wave_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("survey_wave.id", ondelete="CASCADE"))
    buendnis_id: Mapped[int | None] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(String(64))
    flow_version: Mapped[str] = mapped_column(String(16))
    submitted_on: Mapped[dt.date] = mapped_column(Date, default=today)
    layout_id: Mapped[int] = mapped_column(ForeignKey("survey_layout.id"))
    codes: Mapped[bytes] = mapped_column(LargeBinary)
    texts: Mapped[list[SurveyTextAnswer]] = relationship(cascade="all, delete-orphan")


class SurveyTextAnswer(Base):
    """Free text, kept apart: it leaves the system only after scrubbing and a review."""

    __tablename__ = "survey_text_answer"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)


class SurveyDropout(Base):
    """Anonymous drop-out counts: how many abandoned surveys stopped at which item.

    Written by the housekeeping when abandoned in-progress answers expire; no date, no link.
    """

    __tablename__ = "survey_dropout"
    __table_args__ = (UniqueConstraint("flow_id", "flow_version", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    flow_version: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(64))  # the question that was waiting
    count: Mapped[int] = mapped_column(Integer, default=0)


class ParticipationMarker(Base):
    """HMAC(participation secret, wave:pseudonym): blocks a second response, links to nothing."""

    __tablename__ = "participation_marker"
    marker: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("survey_wave.id", ondelete="CASCADE"))


# ---------------------------------------------------------------- (c) referrals


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


# ---------------------------------------------------------------- intake aggregates (anonymous)


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


# ---------------------------------------------------------------- staff, tokens, audit


class StaffUser(Base):
    """A person working with the admin API: operator (admin), GfS of one Bündnis, or staff of
    one Servicestelle. The password is stored as an argon2 hash only."""

    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin | gfs | servicestelle
    buendnis_id: Mapped[int | None] = mapped_column(
        ForeignKey("buendnis.id", ondelete="CASCADE"), index=True
    )
    servicestelle_id: Mapped[int | None] = mapped_column(
        ForeignKey("servicestelle.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ApiToken(Base):
    """A bearer token, shown once; only its SHA-256 is kept. Scoped like its user at creation."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a token
    label: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16))
    buendnis_id: Mapped[int | None] = mapped_column(ForeignKey("buendnis.id", ondelete="CASCADE"))
    servicestelle_id: Mapped[int | None] = mapped_column(
        ForeignKey("servicestelle.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class StaffSession(Base):
    """A browser login. The cookie holds a random value; the table keeps its SHA-256 and the
    CSRF token that state-changing requests must echo in `X-CSRF-Token`."""

    __tablename__ = "staff_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """Who did what to which object, and when — never the personal data itself.

    `actor` is `user:<id>`, `token:<id>` or `cli`; no foreign keys, so entries outlive the
    accounts and objects they name."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index(None, "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
