"""Reading and checking an offer file in one step, run in the reading process (offers/sheets.py).

Checking 10,000 rows is CPU work on untrusted input just like parsing them, so both happen
there, away from the event loop; the database facts the checks need travel in as a picklable
`Reference`, and the checked rows (or every problem, as `ImportRefused`) travel back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offers import io_texts
from offers.io_columns import ImportRefused, RowError, read_rows
from offers.io_rows import Row, cell_text, validate_row


@dataclass(frozen=True)
class Reference:
    """What the checks need from the database: the Bündnisse (code → id) and, per Bündnis id,
    its Gemeinden as (id, name) in id order."""

    buendnisse: dict[str, int]
    gemeinden: dict[int, list[tuple[int, str]]]


@dataclass(frozen=True)
class CheckedRow:
    buendnis_id: int
    buendnis_code: str
    data: dict[str, Any]  # the offer's columns as stored
    texts: io_texts.Translations


def check_file(
    path: Path, buendnis: str | None, ref: Reference
) -> tuple[list[str], list[CheckedRow]]:
    """Header and checked rows of `path`. `buendnis` (a code) applies to rows with an empty
    `buendnis` column; a row naming another Bündnis is a problem. Raises `ImportRefused` with
    every problem found."""
    header, rows = read_rows(path)
    known = ref.buendnisse
    if buendnis is not None and buendnis not in known:
        reason = f"unknown Bündnis {buendnis!r}; known: {', '.join(known)}"
        raise ImportRefused([RowError(0, "buendnis", reason, "unknown_buendnis", buendnis)])
    lookups = {
        bid: ({name.casefold(): gid for gid, name in gs}, [name for _, name in gs])
        for bid, gs in ref.gemeinden.items()
    }
    translated = [h for h in header if io_texts.SEPARATOR in h]
    errors: list[RowError] = []
    checked: list[CheckedRow] = []
    seen: dict[tuple[int, str, str], int] = {}
    for number, values in rows:
        row = Row(number, values)
        code = cell_text(values.get("buendnis")) or buendnis
        if code is None:
            reason = "empty; give the Bündnis code here or with --buendnis"
            row.error("buendnis", reason, "buendnis_empty")
            errors += row.errors
            continue
        if buendnis is not None and code != buendnis:
            reason = f"row belongs to {code!r}, the import is for {buendnis!r}"
            row.error("buendnis", reason, "buendnis_other", code)
        target = known.get(code)
        if target is None:
            row.error("buendnis", f"unknown Bündnis {code!r}", "unknown_buendnis", code)
            errors += row.errors
            continue
        by_name, names = lookups.get(target, ({}, []))
        data = validate_row(row, by_name, names)
        key = (target, data["title"], data["provider"])
        if data["title"] and data["provider"] and key in seen:
            reason = f"same title and provider as row {seen[key]}"
            row.error("title", reason, "duplicate_row", str(seen[key]))
        seen.setdefault(key, number)
        cells = {c: cell_text(values.get(c)) for c in translated}
        _, texts = io_texts.parse(cells, header, row.error)
        errors += row.errors
        checked.append(CheckedRow(target, code, data, texts))
    if errors:
        raise ImportRefused(errors)
    return header, checked
