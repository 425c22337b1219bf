"""Request and response models shared by the routers, with the input rules that keep bad data
out of the database (lengths, ranges, no control characters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from admin_api.deps import MAX_ID


def _clean(value: str) -> str:
    """No control characters (except tab/newline) and no unpaired surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    if any((not c.isprintable()) and c not in "\n\t" for c in value):
        raise ValueError("must not contain control characters")
    return value


CLEAN = AfterValidator(_clean)


def bounded(max_length: int, min_length: int = 0) -> StringConstraints:
    """Stripped, of bounded length: with CLEAN the rule for every text field
    (`Annotated[str, bounded(n), CLEAN]`, spelt out so that type checkers see a type)."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


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


@dataclass
class Download:
    """A file for the browser to save (exports)."""

    data: bytes
    filename: str
    media_type: str

    def response(self) -> Response:
        return Response(
            self.data,
            media_type=self.media_type,
            headers={"Content-Disposition": f'attachment; filename="{self.filename}"'},
        )
