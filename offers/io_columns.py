"""The offer catalogue's file format: columns, row errors, and reading a CSV or XLSX file
into rows (within the bounds of offers/sheets.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offers import io_texts
from offers.sheets import SheetRefused, read_table
from offers.taxonomy import (
    KNOWN_STATUSES,
)

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
