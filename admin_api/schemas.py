"""Request and response models shared by the routers, with the input rules that keep bad data
out of the database (lengths, ranges, no control characters)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Generic, TypeVar

from fastapi import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from admin_api.deps import MAX_ID
from base.download import Download

# What no text field takes: control characters (but tab and newline), bidi overrides and
# isolates (they make one name display as another) and unpaired surrogates. Also the schema's
# `pattern`, so the OpenAPI description says exactly what is accepted.
REFUSED = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
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
    # not only spaces, when something is required
    pattern = rf"^\s*[^\s{REFUSED}][^{REFUSED}]*$" if min_length else rf"^[^{REFUSED}]*$"
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=pattern)


Name = Annotated[str, bounded(200, 1), CLEAN]
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
