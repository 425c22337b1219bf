"""Request and response models shared by the routers, with the input rules that keep bad data
out of the database (lengths, ranges, no control characters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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


def text(max_length: int, min_length: int = 0) -> type[str]:
    """A stripped string of bounded length without control characters."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_clean),
    ]


Name = text(200, 1)
Short = text(120)
Long = text(300)
Code = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$"), AfterValidator(_clean)
]
LocaleCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")]
Tag = text(60, 1)
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


def with_examples(*examples: dict[str, object]) -> ConfigDict:
    """Config of an input model: unknown fields refused, examples shown in the OpenAPI."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})  # type: ignore[dict-item]


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
