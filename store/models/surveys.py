"""(b) Survey responses: random id, flow version, submission *date*, answer codes packed into
one row per response; no pseudonym and no foreign key into (a). Also the waves, drop-out
counts and participation markers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, today


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
