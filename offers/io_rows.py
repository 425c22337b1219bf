"""Checking one row of an offer file: every value to the form the catalogue stores, or a
RowError naming row, column and reason."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import String

from base.spreadsheet import unneutralise
from offers.fuzzy import match_gemeinde
from offers.io_columns import ACCESS_COLUMNS, LIST_SEPARATOR, TEXT_FIELDS, RowError
from offers.taxonomy import (
    ACCESS_VALUES,
    CATEGORIES,
    GERMAN_LEVELS,
    GERMAN_RANK,
    KNOWN_STATUSES,
    NEED_AREAS,
    TOPICS,
)
from store.models import Offer

_ACCESS_WORDS = {
    "yes": "yes",
    "ja": "yes",
    "no": "no",
    "nein": "no",
    "ask": "ask",
    "fragen": "ask",
    "prüfen": "ask",
    "": "ask",
}
_TRUE = {"yes", "ja", "true", "wahr", "1", "x"}
_FALSE = {"no", "nein", "false", "falsch", "0", ""}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[a-z]{2})?$")
_AREA_BY_NAME = {name.casefold(): code for code, name in NEED_AREAS.items()}
_CATEGORY_BY_NAME = {name.casefold(): code for code, name in CATEGORIES.items()}
_GERMAN = {**{code: code for code in GERMAN_LEVELS}, "a0": "none"}

# ---------------------------------------------------------------- validating rows


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return unneutralise(str(value).strip())


def _list(value: Any) -> list[str]:
    return [p.strip() for p in cell_text(value).split(LIST_SEPARATOR) if p.strip()]


def _max_length(column: str) -> int | None:
    col_type = Offer.__table__.c[column].type
    return col_type.length if isinstance(col_type, String) else None


class Row:
    """Collects the problems of one row while converting its cells."""

    def __init__(self, number: int, values: dict[str, Any]) -> None:
        self.number = number
        self.values = values
        self.errors: list[RowError] = []

    def error(self, column: str, reason: str, kind: str = "", value: str = "") -> None:
        self.errors.append(RowError(self.number, column, reason, kind, value))

    def text(self, column: str, *, required: bool = False) -> str:
        value = cell_text(self.values.get(column))
        limit = _max_length(column)
        if required and not value:
            self.error(column, "must not be empty", "empty")
        elif limit is not None and len(value) > limit:
            self.error(
                column,
                f"too long ({len(value)} characters, at most {limit})",
                "too_long",
                str(limit),
            )
        return value

    def integer(self, column: str) -> int | None:
        raw = self.values.get(column)
        text = cell_text(raw)
        if not text:
            return None
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif re.fullmatch(r"\d{1,3}", text):
            number = int(text)
        else:
            self.error(column, f"{text!r} is not a whole number", "not_number", text)
            return None
        if not 0 <= number <= 120:
            self.error(
                column, f"{number} is not an age between 0 and 120", "age_range", str(number)
            )
            return None
        return number

    def boolean(self, column: str) -> bool:
        raw = self.values.get(column)
        if isinstance(raw, bool):
            return raw
        text = cell_text(raw).casefold()
        if text in _TRUE:
            return True
        if text not in _FALSE:
            self.error(column, f"{text!r} is not one of ja/nein (yes/no)", "not_yes_no", text)
        return False

    def date(self, column: str) -> dt.date | None:
        raw = self.values.get(column)
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        text = cell_text(raw)
        if not text:
            return None
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        self.error(column, f"{text!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)", "not_date", text)
        return None

    def access(self, column: str) -> str:
        text = cell_text(self.values.get(column)).casefold()
        if text in _ACCESS_WORDS:
            return _ACCESS_WORDS[text]
        self.error(column, f"{text!r} is not one of {'/'.join(ACCESS_VALUES)}", "bad_access", text)
        return "ask"

    def german(self, column: str) -> str | None:
        text = cell_text(self.values.get(column)).casefold()
        if not text:
            return None
        if text not in _GERMAN:
            known = "A0, A1, A2, B1, B2, C1"
            self.error(column, f"{text!r} is not a German level ({known})", "bad_german", text)
            return None
        return _GERMAN[text]


def validate_row(row: Row, gemeinden: dict[str, int], gemeinde_names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in TEXT_FIELDS:
        out[column] = row.text(column, required=column in ("title", "provider"))

    category = row.text("category", required=True)
    if category:
        code = category if category in CATEGORIES else _CATEGORY_BY_NAME.get(category.casefold())
        if code is None:
            row.error(
                "category",
                f"{category!r} is not one of {', '.join(CATEGORIES)}",
                "bad_category",
                category,
            )
        out["category"] = code or category

    areas: list[str] = []
    for item in _list(row.values.get("need_areas")):
        code = (
            item.casefold() if item.casefold() in NEED_AREAS else _AREA_BY_NAME.get(item.casefold())
        )
        if code is None:
            row.error(
                "need_areas",
                f"{item!r} is not one of {', '.join(NEED_AREAS)}",
                "bad_need_area",
                item,
            )
        elif code not in areas:
            areas.append(code)
    if not areas and not any(e.column == "need_areas" for e in row.errors):
        row.error("need_areas", "at least one need area is required", "need_area_missing")
    out["need_areas"] = areas

    ids: list[int] = []
    for name in _list(row.values.get("gemeinden")):
        gid = gemeinden.get(name.casefold())
        if gid is None:
            _, _, suggestions = match_gemeinde(gemeinde_names, name)
            hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
            row.error(
                "gemeinden",
                f"{name!r} is not a Gemeinde of this Bündnis{hint}",
                "bad_gemeinde",
                name,
            )
        elif gid not in ids:
            ids.append(gid)
    out["gemeinde_ids"] = ids

    languages = [x.casefold() for x in _list(row.values.get("languages"))]
    for lang in languages:
        if not _LANGUAGE.match(lang):
            row.error(
                "languages",
                f"{lang!r} is not a language code such as de, ar, fa_af",
                "bad_language",
                lang,
            )
    out["languages"] = list(dict.fromkeys(languages))
    out["keywords"] = list(dict.fromkeys(_list(row.values.get("keywords"))))

    out["age_min"] = row.integer("age_min")
    out["age_max"] = row.integer("age_max")
    if out["age_min"] is not None and out["age_max"] is not None:
        if out["age_min"] > out["age_max"]:
            row.error("age_max", f"{out['age_max']} is below age_min {out['age_min']}", "age_order")

    out["german_min"] = row.german("german_min")
    out["german_max"] = row.german("german_max")
    low, high = (GERMAN_RANK.get(out[k] or "") for k in ("german_min", "german_max"))
    if low is not None and high is not None and low > high:
        row.error("german_max", "is below german_min", "german_order")
    topics = list(dict.fromkeys(t.casefold() for t in _list(row.values.get("topics"))))
    for topic in topics:
        if topic not in TOPICS:
            reason = f"{topic!r} is not one of {', '.join(TOPICS)}"
            row.error("topics", reason, "bad_topic", topic)
    out["topics"] = [t for t in topics if t in TOPICS]

    out["access"] = {
        status: row.access(column)
        for status, column in zip(KNOWN_STATUSES, ACCESS_COLUMNS, strict=True)
    }
    out["opening_possible"] = row.boolean("opening_possible")
    out["is_sample"] = row.boolean("is_sample")
    out["valid_from"] = row.date("valid_from")
    out["valid_to"] = row.date("valid_to")
    out["last_checked"] = row.date("last_checked")
    if out["valid_from"] and out["valid_to"] and out["valid_from"] > out["valid_to"]:
        row.error(
            "valid_to", f"{out['valid_to']} is before valid_from {out['valid_from']}", "date_order"
        )
    return out
