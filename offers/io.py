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
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from base.spreadsheet import neutralise
from base.workers import files
from offers import io_texts
from offers.io_check import Reference, check_file
from offers.io_columns import (
    ACCESS_COLUMNS,
    COLUMNS,
    LIST_SEPARATOR,
    TEXT_FIELDS,
    ImportRefused,
    ImportReport,
    RowError,
)
from offers.ranking import gemeinde_ids
from offers.sheets import SheetRefused, run_apart
from offers.taxonomy import (
    KNOWN_STATUSES,
)
from offers.texts import replace_texts, texts_of
from store.models import Buendnis, Gemeinde, Offer

# ---------------------------------------------------------------- import


async def _reference(sessions: async_sessionmaker[AsyncSession]) -> Reference:
    async with sessions() as s:
        buendnisse = {b.code: b.id for b in await s.scalars(select(Buendnis))}
        gemeinden: dict[int, list[tuple[int, str]]] = {}
        for g in await s.scalars(select(Gemeinde).order_by(Gemeinde.id)):
            gemeinden.setdefault(g.buendnis_id, []).append((g.id, g.name))
    return Reference(buendnisse, gemeinden)


async def import_offers(
    sessions: async_sessionmaker[AsyncSession], path: Path, *, buendnis: str | None = None
) -> ImportReport:
    """Validate every row of `path`, then create/update all offers in one transaction.

    `buendnis` (a code) applies to rows with an empty `buendnis` column; a row naming another
    Bündnis is a problem. Raises `ImportRefused` with every problem, having written nothing.
    """
    ref = await _reference(sessions)
    # Reading and checking are CPU work on untrusted input: in a process of its own, bounded
    # (sheets.py, io_check.py); no database connection is held meanwhile.
    try:
        header, checked = await run_apart(check_file, Path(path), buendnis, ref)
    except SheetRefused as refused:
        raise ImportRefused([RowError(0, "", refused.reason, refused.kind)]) from None
    async with sessions() as s, s.begin():
        targets = {r.buendnis_id for r in checked}
        present = set(await s.scalars(select(Buendnis.id).where(Buendnis.id.in_(targets))))
        gone = sorted({r.buendnis_code for r in checked if r.buendnis_id not in present})
        if gone:  # deleted while the file was checked
            raise ImportRefused(
                [
                    RowError(0, "buendnis", f"unknown Bündnis {c!r}", "unknown_buendnis", c)
                    for c in gone
                ]
            )
        report = ImportReport()
        existing = {
            (o.buendnis_id, o.title, o.provider): o
            for o in await s.scalars(select(Offer).where(Offer.buendnis_id.in_(targets)))
        }
        locales = io_texts.locales_in(header)
        translated_offers = []
        for row in checked:
            data = row.data
            offer = existing.get((row.buendnis_id, data["title"], data["provider"]))
            if offer is None:
                offer = Offer(buendnis_id=row.buendnis_id, **data)
                s.add(offer)
                report.created += 1
            else:
                for name, value in data.items():
                    setattr(offer, name, value)
                report.updated += 1
            translated_offers.append((offer, row.texts))
            code = row.buendnis_code
            report.per_buendnis[code] = report.per_buendnis.get(code, 0) + 1
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


def write_table(path: Path, header: list[str], rows: list[list[Any]], delimiter: str) -> None:
    """The table as CSV (by `path`'s suffix; `delimiter`, UTF-8 with BOM) or XLSX, written
    completely or not at all."""
    if path.suffix.lower() == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        _atomic_write(path, buffer.getvalue().encode("utf-8-sig"))
        return
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
    # writing (an XLSX of 10,000 offers: 3 s of CPU) happens in the file process
    await files.run(write_table, path, header, rows, delimiter)
    return len(rows)
