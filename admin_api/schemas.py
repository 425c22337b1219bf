"""Request and response models shared by the routers, with the input rules that keep bad data
out of the database (lengths, ranges, no control characters)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Generic, TypeVar

from fastapi import Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from admin_api.deps import MAX_ID
from admin_api.text_rules import (
    EMAIL_PATTERN,
    MAX_EMAIL,
    MAX_PASSWORD,
    MIN_PASSWORD,
    PASSWORD_PATTERN,
    REFUSED,
)
from base.download import Download
from results import periods

# REFUSED (admin_api/text_rules.py) is also the schema's `pattern`, so the OpenAPI description
# says exactly what is accepted.
_REFUSED = re.compile(rf"[{REFUSED}\ud800-\udfff]")  # JSON cannot carry lone surrogates anyway


def _clean(value: str) -> str:
    if _REFUSED.search(value):
        raise ValueError("must not contain control characters")
    return value


def _clean_and_strip(value: str) -> str:
    return _clean(value).strip()


# Checked as sent, stripped afterwards (so the documented bounds hold for the text as sent).
CLEAN = AfterValidator(_clean_and_strip)


def bounded(max_length: int, min_length: int = 0) -> StringConstraints:
    """Of bounded length without control characters: with CLEAN the rule for every text field
    (`Annotated[str, bounded(n), CLEAN]`, spelt out so that type checkers see a type)."""
    # not only spaces, when something is required (`[^\S…]`: a space that is not refused)
    pattern = (
        rf"^[^\S{REFUSED}]*[^\s{REFUSED}][^{REFUSED}]*$" if min_length else rf"^[^{REFUSED}]*$"
    )
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern)


Name = Annotated[str, bounded(200, 1), CLEAN]
# An account's e-mail address: the pattern is the one `security.normalise_email` checks.
Email = Annotated[str, StringConstraints(max_length=MAX_EMAIL, pattern=EMAIL_PATTERN), CLEAN]
# A new password: the rule `security.check_password_strength` checks.
Password = Annotated[
    str,
    StringConstraints(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD, pattern=PASSWORD_PATTERN),
]
Short = Annotated[str, bounded(120), CLEAN]
Long = Annotated[str, bounded(300), CLEAN]
Code = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$"), AfterValidator(_clean)
]
LocaleCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")]
Tag = Annotated[str, bounded(60, 1), CLEAN]
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
Tags = Annotated[list[Tag], Field(max_length=50)]
Ids = Annotated[list[DbId], Field(max_length=200)]
Locales = Annotated[list[LocaleCode], Field(max_length=30)]


# A calendar month that is over (results/periods.py); the pattern is the one `month` checks.
MonthParam = Annotated[
    str | None,
    Query(
        pattern=periods.MONTH.pattern,
        description="YYYY-MM, a month that is over (default: the last); one not over yet: 409",
    ),
]


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


# Stored times are naive UTC; answers carry the offset (RFC 3339 `date-time`).
UtcDateTime = Annotated[dt.datetime, AfterValidator(_as_utc)]

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="matching items in all pages")
    limit: int
    offset: int


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Patch(BaseModel):
    """Base for partial updates: only the fields sent are changed; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def with_examples(*examples: dict[str, JsonValue]) -> ConfigDict:
    """Config of an input model: unknown fields refused, examples shown in the OpenAPI."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def attachment(file: Download) -> Response:
    """A file for the browser to save (exports)."""
    return Response(
        file.data,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
