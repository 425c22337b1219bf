"""The shapes of the referral API: what staff send and what they read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    field_validator,
)

from admin_api.schemas import CLEAN, Orm, Strict, UtcDateTime, bounded, with_examples
from offers.taxonomy import NEED_AREAS
from referrals import lifecycle

Status = Literal[
    "new", "in_review", "contacted", "appointment", "handed_on", "closed", "withdrawn", "declined"
]
# What staff may set; `withdrawn` is the person's own step (/delete in the chat).
StaffStatus = Literal["in_review", "contacted", "appointment", "handed_on", "closed", "declined"]
if TYPE_CHECKING:
    NeedArea = str
else:  # the taxonomy's codes, as an enum in the OpenAPI
    NeedArea = Literal[tuple(NEED_AREAS)]
Sort = Literal["created_at", "-created_at", "status", "-status", "id", "-id"]
MessageText = Annotated[str, bounded(lifecycle.MAX_RELAY, 1), CLEAN]
Addressee = Annotated[str, bounded(200, 1), CLEAN]


# ---------------------------------------------------------------- shapes


class SharedAnswer(BaseModel):
    item: str = Field(description="item id of the Erstberatung flow")
    question: str = Field(description="German short name of the question")
    answer: str = Field(description="German answer as shown on the consent screen")


class EventOut(Orm):
    id: int
    at: UtcDateTime
    actor: str = Field(description="`person`, or the staff actor (`user:3`, `token:7`)")
    kind: str = Field(description="transition | note | relay | reply")
    to_status: str | None
    note: str | None


class ReferralSummary(BaseModel):
    id: int
    buendnis_id: int
    servicestelle_id: int
    status: str
    created_at: UtcDateTime
    closed_at: UtcDateTime | None
    last_activity_at: UtcDateTime
    locale: str
    contact_via: str
    need_areas: list[str]
    gemeinde_id: int | None
    urgent: bool = Field(
        description="the person spoke of danger and asked to be contacted soon; open urgent "
        "referrals come first in every listing"
    )


class ReferralDetail(ReferralSummary):
    shared: list[SharedAnswer]
    contact_value: str | None
    reachable: bool = Field(description="relay messages can reach the person through the bot")
    allowed: list[str] = Field(description="statuses staff may move the referral to")
    events: list[EventOut]


_NOTED: list[JsonValue] = [*sorted(lifecycle.NOTE_REQUIRED)]


class TransitionIn(Strict):
    to: StaffStatus
    note: Annotated[str, bounded(lifecycle.MAX_RELAY), CLEAN] | None = Field(
        default=None,
        validate_default=True,  # a missing note is checked too
        description="required for appointment (when), handed_on (to whom), closed (outcome), "
        "declined (reason); appointment, handed_on and declined notes are told to the person",
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"to": "in_review"},
                {"to": "appointment", "note": "Di, 3.12., 10 Uhr, Hafenweg 2"},
            ],
            # the schema says it too: these statuses need the note (a string, not null)
            "if": {
                "properties": {"to": {"enum": list[JsonValue](sorted(lifecycle.NOTE_REQUIRED))}}
            },
            "then": {"required": ["note"], "properties": {"note": {"type": "string"}}},
        },
    )

    @field_validator("note")
    @classmethod
    def _note_where_needed(cls, note: str | None, info: ValidationInfo) -> str | None:
        to = info.data.get("to")  # validated before the note (declared first)
        if note is None and to in lifecycle.NOTE_REQUIRED:
            raise ValueError(f"{to} needs {lifecycle.NOTE_REQUIRED[to]} as the note")
        return note


class OnwardIn(Strict):
    addressee: Addressee

    model_config = with_examples({"addressee": "Integration Point Moers"})


class TextIn(Strict):
    text: MessageText

    model_config = with_examples({"text": "Bitte bring deinen Ausweis mit."})


Figure = int | str  # for gfs: below k shown as "<k", hidden to protect those as "x"


class Addressed(BaseModel):
    addressee: str
    count: Figure


class ReferralStats(BaseModel):
    total: Figure
    by_status: dict[str, Figure] = Field(description="every status, zero included")
    contacted: Figure = Field(description="referrals that reached `contacted`")
    median_hours_to_first_contact: float | None = Field(
        description="from creation to the first `contacted`; null without any (for gfs: "
        "null unless at least k were contacted)"
    )
    onward: list[Addressed] = Field(description="onward referrals (handed_on) by addressee")
    suppression_k: int | None = Field(
        description="gfs: the Bündnis' k the figures are suppressed with; admin: null (raw)"
    )
