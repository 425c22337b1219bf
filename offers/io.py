"""Import and export of the offer catalogue as CSV (UTF-8, `;` or `,`) or XLSX.

One row per offer, the columns in `COLUMNS` (header names as written there, any order,
case-insensitive) and translation columns such as `title::ar` (offers/io_texts.py). Lists are
separated by `|`. Every row is validated first; if any row has a
problem, the whole import is refused and every problem is reported as (row, column, reason) —
nothing is written. Rows are matched to existing offers of the same Bündnis by title and
provider: a match is updated, anything else is created. Export neutralises cells that a
spreadsheet would run as a formula (leading `=`, `+`, `-`, `@`, tab, carriage return) with a
leading apostrophe, which import removes again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from base.spreadsheet import neutralise, unneutralise
from offers import io_texts
from offers.fuzzy import match_gemeinde
from offers.ranking import gemeinde_ids
from offers.sheets import SheetRefused, read_table, run_apart
from offers.taxonomy import (
    ACCESS_VALUES,
    CATEGORIES,
    GERMAN_LEVELS,
    GERMAN_RANK,
    KNOWN_STATUSES,
    NEED_AREAS,
    TOPICS,
)
from offers.texts import replace_texts, texts_of
from store.models import Buendnis, Gemeinde, Offer

LIST_SEPARATOR = "|"
ACCESS_COLUMNS = tuple(f"access_{s}" for s in KNOWN_STATUSES)
COLUMNS: tuple[str, ...] = (
    "buendnis",
    "title",
    "summary",
    "provider",
    "category",
    "need_areas",
    "gemeinden",
    "address",
    "directions",
    "contact",
    "opening_hours",
    "languages",
    "cost",
    "capacity_note",
    "what_to_bring",
    "age_min",
    "age_max",
    "german_min",
    "german_max",
    "topics",
    *ACCESS_COLUMNS,
    "opening_possible",
    "keywords",
    "valid_from",
    "valid_to",
    "source",
    "last_checked",
    "is_sample",
)
REQUIRED = ("title", "provider", "category", "need_areas")
TEXT_FIELDS = (
    "title",
    "summary",
    "provider",
    "address",
    "directions",
    "contact",
    "opening_hours",
    "cost",
    "capacity_note",
    "what_to_bring",
    "source",
)
MAX_ROWS = 10_000
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


@dataclass(frozen=True)
class RowError:
    """One problem: `row` is the spreadsheet row (header = 1; 0 = the file as a whole)."""

    row: int
    column: str
    reason: str
    kind: str = ""  # stable reason code, so pages can say it in their language
    value: str = ""  # the offending value or limit, for that message

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return (
            f"{where}, column {self.column}: {self.reason}"
            if self.column
            else (f"{where}: {self.reason}")
        )


class ImportRefused(Exception):
    """The file was not imported; `errors` lists every problem found."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} problem(s); nothing imported")

    def __reduce__(self) -> tuple[type[ImportRefused], tuple[list[RowError]]]:
        return ImportRefused, (self.errors,)  # raised in the reading process, re-raised here


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    per_buendnis: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"offers: {self.created} created, {self.updated} updated"


# ---------------------------------------------------------------- reading files


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header and (row number, values by column) of a CSV or XLSX file; checks the header."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportRefused(
            [RowError(0, "", f"unknown file type {suffix!r}; use .csv or .xlsx", "file_type")]
        )
    try:
        table = read_table(path)
    except SheetRefused as refused:
        raise ImportRefused(
            [RowError(0, "", refused.reason, refused.kind, refused.value)]
        ) from None
    except OSError as e:
        raise ImportRefused(
            [RowError(0, "", f"cannot read file: {e.strerror}", "unreadable")]
        ) from None
    if not table or not any(str(v or "").strip() for v in table[0]):
        raise ImportRefused([RowError(1, "", "the file has no header row", "no_header")])
    canonical = {c.casefold(): c for c in (*COLUMNS, *io_texts.ALL_COLUMNS)}
    header = [str(v or "").strip() for v in table[0]]
    header = [canonical.get(h.casefold(), h) for h in header]
    while header and not header[-1]:
        header.pop()
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in header:
        if not name:
            errors.append(RowError(1, "", "a column without a name", "unnamed_column"))
        elif name not in COLUMNS and name not in io_texts.ALL_COLUMNS:
            errors.append(
                RowError(
                    1,
                    name,
                    f"unknown column; known: {', '.join(COLUMNS)}, and translations such as "
                    "title::ar and review::ar",
                    "unknown_column",
                )
            )
        elif name in seen:
            errors.append(RowError(1, name, "column appears twice", "duplicate_column"))
        seen.add(name)
    errors += [
        RowError(1, c, "required column is missing", "missing_column")
        for c in REQUIRED
        if c not in seen
    ]
    if errors:
        raise ImportRefused(errors)
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(table[1:], start=2):
        if not any(str(v if v is not None else "").strip() for v in values):
            continue
        extra = values[len(header) :]
        if any(str(v if v is not None else "").strip() for v in extra):
            errors.append(
                RowError(number, "", "more cells than the header has columns", "extra_cells")
            )
            continue
        padded = list(values[: len(header)]) + [None] * (len(header) - len(values))
        rows.append((number, dict(zip(header, padded, strict=True))))
    if len(rows) > MAX_ROWS:
        errors.append(RowError(0, "", f"more than {MAX_ROWS} rows", "too_many_rows", str(MAX_ROWS)))
    if errors:
        raise ImportRefused(errors)
    return header, rows


# ---------------------------------------------------------------- validating rows


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return unneutralise(str(value).strip())


def _list(value: Any) -> list[str]:
    return [p.strip() for p in _text(value).split(LIST_SEPARATOR) if p.strip()]


def _max_length(column: str) -> int | None:
    col_type = Offer.__table__.c[column].type
    return col_type.length if isinstance(col_type, String) else None


class _Row:
    """Collects the problems of one row while converting its cells."""

    def __init__(self, number: int, values: dict[str, Any]) -> None:
        self.number = number
        self.values = values
        self.errors: list[RowError] = []

    def error(self, column: str, reason: str, kind: str = "", value: str = "") -> None:
        self.errors.append(RowError(self.number, column, reason, kind, value))

    def text(self, column: str, *, required: bool = False) -> str:
        value = _text(self.values.get(column))
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
        text = _text(raw)
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
        text = _text(raw).casefold()
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
        text = _text(raw)
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
        text = _text(self.values.get(column)).casefold()
        if text in _ACCESS_WORDS:
            return _ACCESS_WORDS[text]
        self.error(column, f"{text!r} is not one of {'/'.join(ACCESS_VALUES)}", "bad_access", text)
        return "ask"

    def german(self, column: str) -> str | None:
        text = _text(self.values.get(column)).casefold()
        if not text:
            return None
        if text not in _GERMAN:
            known = "A0, A1, A2, B1, B2, C1"
            self.error(column, f"{text!r} is not a German level ({known})", "bad_german", text)
            return None
        return _GERMAN[text]


def _validate_row(
    row: _Row, gemeinden: dict[str, int], gemeinde_names: list[str]
) -> dict[str, Any]:
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


# ---------------------------------------------------------------- import


async def _buendnisse(s: AsyncSession) -> dict[str, Buendnis]:
    return {b.code: b for b in await s.scalars(select(Buendnis))}


async def import_offers(
    sessions: async_sessionmaker[AsyncSession], path: Path, *, buendnis: str | None = None
) -> ImportReport:
    """Validate every row of `path`, then create/update all offers in one transaction.

    `buendnis` (a code) applies to rows with an empty `buendnis` column; a row naming another
    Bündnis is a problem. Raises `ImportRefused` with every problem, having written nothing.
    """
    # Reading is CPU work on untrusted input: in a process of its own, bounded (sheets.py).
    try:
        header, rows = await run_apart(read_rows, Path(path))
    except SheetRefused as refused:
        raise ImportRefused([RowError(0, "", refused.reason, refused.kind)]) from None
    translated = [h for h in header if io_texts.SEPARATOR in h]
    errors: list[RowError] = []
    async with sessions() as s, s.begin():
        known = await _buendnisse(s)
        if buendnis is not None and buendnis not in known:
            raise ImportRefused(
                [
                    RowError(
                        0,
                        "buendnis",
                        f"unknown Bündnis {buendnis!r}; known: {', '.join(known)}",
                        "unknown_buendnis",
                        buendnis,
                    )
                ]
            )
        gemeinden: dict[int, list[Gemeinde]] = {}
        for g in await s.scalars(select(Gemeinde).order_by(Gemeinde.id)):
            gemeinden.setdefault(g.buendnis_id, []).append(g)

        parsed: list[tuple[Buendnis, dict[str, Any], io_texts.Translations]] = []
        seen: dict[tuple[int, str, str], int] = {}
        for number, values in rows:
            row = _Row(number, values)
            code = _text(values.get("buendnis")) or buendnis
            if code is None:
                row.error(
                    "buendnis",
                    "empty; give the Bündnis code here or with --buendnis",
                    "buendnis_empty",
                )
                errors += row.errors
                continue
            if buendnis is not None and code != buendnis:
                row.error(
                    "buendnis",
                    f"row belongs to {code!r}, the import is for {buendnis!r}",
                    "buendnis_other",
                    code,
                )
            target = known.get(code)
            if target is None:
                row.error("buendnis", f"unknown Bündnis {code!r}", "unknown_buendnis", code)
                errors += row.errors
                continue
            gs = gemeinden.get(target.id, [])
            data = _validate_row(row, {g.name.casefold(): g.id for g in gs}, [g.name for g in gs])
            key = (target.id, data["title"], data["provider"])
            if data["title"] and data["provider"] and key in seen:
                row.error(
                    "title",
                    f"same title and provider as row {seen[key]}",
                    "duplicate_row",
                    str(seen[key]),
                )
            seen.setdefault(key, number)
            cells = {c: _text(values.get(c)) for c in translated}
            _, texts = io_texts.parse(cells, header, row.error)
            errors += row.errors
            parsed.append((target, data, texts))
        if errors:
            raise ImportRefused(errors)

        report = ImportReport()
        existing = {
            (o.buendnis_id, o.title, o.provider): o
            for o in await s.scalars(
                select(Offer).where(Offer.buendnis_id.in_({b.id for b, _, _ in parsed}))
            )
        }
        locales = io_texts.locales_in(header)
        translated_offers = []
        for target, data, texts in parsed:
            offer = existing.get((target.id, data["title"], data["provider"]))
            if offer is None:
                offer = Offer(buendnis_id=target.id, **data)
                s.add(offer)
                report.created += 1
            else:
                for name, value in data.items():
                    setattr(offer, name, value)
                report.updated += 1
            translated_offers.append((offer, texts))
            report.per_buendnis[target.code] = report.per_buendnis.get(target.code, 0) + 1
        await s.flush()
        await replace_texts(s, translated_offers, locales)
    return report


# ---------------------------------------------------------------- export


def _export_row(
    offer: Offer, code: str, gemeinde_names: dict[int, str], *, as_text: bool
) -> list[Any]:
    def date(d: dt.date | None) -> Any:
        if d is None:
            return ""
        return d.isoformat() if as_text else d

    def listed(items: Iterable[Any]) -> str:
        return f" {LIST_SEPARATOR} ".join(str(x) for x in items)

    access = offer.access or {}
    values: dict[str, Any] = {
        "buendnis": code,
        "gemeinden": listed(gemeinde_names.get(g, "") for g in gemeinde_ids(offer.gemeinde_ids)),
        "need_areas": listed(offer.need_areas or []),
        "languages": listed(offer.languages or []),
        "keywords": listed(offer.keywords or []),
        "age_min": "" if offer.age_min is None else offer.age_min,
        "age_max": "" if offer.age_max is None else offer.age_max,
        "german_min": (offer.german_min or "").upper().replace("NONE", "A0"),
        "german_max": (offer.german_max or "").upper().replace("NONE", "A0"),
        "topics": listed(offer.topics or []),
        "opening_possible": "ja" if offer.opening_possible else "nein",
        "is_sample": "ja" if offer.is_sample else "nein",
        "valid_from": date(offer.valid_from),
        "valid_to": date(offer.valid_to),
        "last_checked": date(offer.last_checked),
        "category": offer.category,
    }
    for status, column in zip(KNOWN_STATUSES, ACCESS_COLUMNS, strict=True):
        values[column] = access.get(status, "ask")
    for name in TEXT_FIELDS:
        values[name] = getattr(offer, name) or ""
    return [neutralise(values[c]) for c in COLUMNS]


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def export_offers(
    session: AsyncSession, path: Path, *, buendnis: str | None = None, delimiter: str = ";"
) -> int:
    """Write the catalogue (one Bündnis, or all) to a CSV or XLSX file; returns the row count.

    The file is written completely or not at all (temporary file, then renamed)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(f"unknown file type {suffix!r}; use .csv or .xlsx")
    if delimiter not in (";", ","):
        raise ValueError("the delimiter must be ';' or ','")
    known = {b.id: b for b in await session.scalars(select(Buendnis))}
    if buendnis is not None and buendnis not in {b.code for b in known.values()}:
        raise ValueError(f"unknown Bündnis {buendnis!r}")
    names = {g.id: g.name for g in await session.scalars(select(Gemeinde))}
    query = select(Offer).order_by(Offer.buendnis_id, Offer.category, Offer.title, Offer.id)
    offers = [
        o
        for o in await session.scalars(query)
        if buendnis is None or known[o.buendnis_id].code == buendnis
    ]
    as_text = suffix == ".csv"
    texts = await texts_of(session, [o.id for o in offers])
    locales = io_texts.export_locales(offers, texts)
    header = [*COLUMNS, *io_texts.columns(locales)]
    rows = [
        _export_row(o, known[o.buendnis_id].code, names, as_text=as_text)
        + [neutralise(c) for c in io_texts.export_cells(o, texts[o.id], locales)]
        for o in offers
    ]
    if as_text:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        _atomic_write(path, buffer.getvalue().encode("utf-8-sig"))
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "Angebote"
        ws.append(header)
        for r in rows:
            ws.append(r)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula
        buffer_b = io.BytesIO()
        wb.save(buffer_b)
        _atomic_write(path, buffer_b.getvalue())
    return len(rows)
