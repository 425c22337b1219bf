"""What the offer endpoints and pages take and give: one offer's fields, for creating, changing
and reading it (lengths and ranges as the catalogue stores them)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from admin_api.schemas import (
    CLEAN,
    DbId,
    Ids,
    Locales,
    Long,
    Name,
    Orm,
    Patch,
    Strict,
    Tags,
    bounded,
    with_examples,
)
from offers.taxonomy import TOPICS
from offers.texts import TRANSLATED_FIELDS

Access = Literal["yes", "no", "ask"]
AccessMap = Annotated[
    dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_§-]{1,20}$")], Access],
    Field(
        max_length=20,
        description="residence status → yes | no | ask (e.g. {'AG': 'yes', 'D': 'ask'})",
        json_schema_extra={"additionalProperties": False},  # only keys of that pattern
    ),
]
Age = Annotated[int, Field(ge=0, le=120)]
Category = Annotated[str, bounded(60, 1), CLEAN]
Short = Annotated[str, bounded(120), CLEAN]
German = Literal["none", "a1", "a2", "b1", "b2", "c1"]  # offers.taxonomy.GERMAN_LEVELS
Topics = Annotated[
    list[Annotated[str, Field(pattern=r"^[a-z_]{2,20}$", json_schema_extra={"enum": [*TOPICS]})]],
    Field(max_length=30, description="offers.taxonomy.TOPICS codes, e.g. ['no_home', 'debts']"),
]


class OfferFields(Strict):
    title: Name
    summary: Long = ""
    provider: Name
    category: Category
    need_areas: Tags = Field(default_factory=list)
    gemeinde_ids: Ids = Field(default_factory=list)
    address: Long = ""
    directions: Long = ""
    contact: Long = ""
    opening_hours: Long = ""
    languages: Locales = Field(default_factory=list)
    cost: Short = ""
    capacity_note: Long = ""
    what_to_bring: Long = ""
    age_min: Age | None = None
    age_max: Age | None = None
    german_min: German | None = None
    german_max: German | None = None
    topics: Topics = Field(default_factory=list)
    access: AccessMap = Field(default_factory=dict)
    opening_possible: bool = False
    keywords: Tags = Field(default_factory=list)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    source: Long = ""
    last_checked: dt.date | None = None


class OfferIn(OfferFields):
    buendnis_id: DbId | None = None

    model_config = with_examples(
        {
            "title": "Jugendintegrationskurs",
            "provider": "VHS Moers",
            "category": "Sprache",
            "need_areas": ["Sprache"],
            "languages": ["de"],
            "age_min": 16,
            "age_max": 26,
            "access": {"AG": "yes", "D": "ask"},
            "last_checked": "2026-05-04",
        }
    )


class OfferPatch(Patch):
    title: Name | None = None
    summary: Long | None = None
    provider: Name | None = None
    category: Category | None = None
    need_areas: Tags | None = None
    gemeinde_ids: Ids | None = None
    address: Long | None = None
    directions: Long | None = None
    contact: Long | None = None
    opening_hours: Long | None = None
    languages: Locales | None = None
    cost: Short | None = None
    capacity_note: Long | None = None
    what_to_bring: Long | None = None
    age_min: Age | None = None
    age_max: Age | None = None
    german_min: German | None = None
    german_max: German | None = None
    topics: Topics | None = None
    access: AccessMap | None = None
    opening_possible: bool | None = None
    keywords: Tags | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    source: Long | None = None
    last_checked: dt.date | None = None


class OfferOut(Orm):
    id: int
    buendnis_id: int
    title: str
    summary: str
    provider: str
    category: str
    need_areas: list[str]
    gemeinde_ids: list[int]
    address: str
    directions: str
    contact: str
    opening_hours: str
    languages: list[str]
    cost: str
    capacity_note: str
    what_to_bring: str
    age_min: int | None
    age_max: int | None
    german_min: str | None
    german_max: str | None
    topics: list[str]
    access: dict[str, str]
    opening_possible: bool
    keywords: list[str]
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    last_checked: dt.date | None
    is_sample: bool


Field_ = Literal[
    "title", "summary", "opening_hours", "cost", "what_to_bring", "capacity_note", "directions"
]


class TextIn(Strict):
    text: Annotated[str, bounded(300), CLEAN]
    reviewed: bool = False


class LanguageTextsIn(Strict):
    """One language's translations of an offer; a field not sent (or sent empty) has none."""

    texts: Annotated[dict[Field_, TextIn], Field(max_length=len(TRANSLATED_FIELDS))]

    def values(self) -> dict[str, tuple[str, bool]]:
        """field → (text, reviewed), as `offers.text_service.save_language` takes them."""
        return {name: (t.text, t.reviewed) for name, t in self.texts.items()}

    model_config = with_examples(
        {
            "texts": {
                "title": {"text": "دورة ألمانية مسائية", "reviewed": True},
                "summary": {"text": "تعلّم الألمانية في المساء، للمبتدئين."},
            }
        }
    )
