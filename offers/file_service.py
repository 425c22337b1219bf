"""The offer catalogue as a file for staff: export to and import from CSV or XLSX
(`offers/io.py`), limited to the caller's Bündnis (admin: one or all), the import audited.
How big an upload may be is the HTTP layer's limit (`admin_api/limits.py`)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from access.audit import audit
from access.errors import NotFound, TooMany
from access.scope import Principal, target_buendnis
from base.download import Download
from base.ratelimit import RateLimit
from offers.io import export_offers, import_offers
from offers.io_columns import ImportRefused, ImportReport, RowError
from store.models import Buendnis

FileFormat = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Reading a catalogue is the heaviest thing staff can ask for; a person fixing a file uploads
# it a few times a minute, a script sending files in a loop is held (bench/hostile.py).
IMPORTS_PER_MINUTE = 10


def import_limit() -> RateLimit:
    """The limit `import_file` applies per account (one per server)."""
    return RateLimit("offer-imports", IMPORTS_PER_MINUTE, 60)


@dataclass
class ImportResult:
    """What an import did: `report` when it was written, else every `problem` (nothing was)."""

    report: ImportReport | None = None
    problems: list[RowError] = field(default_factory=list)


async def _scope_code(s: AsyncSession, who: Principal, buendnis_id: int | None) -> str | None:
    """The Bündnis code an import/export is limited to (admin without one: every Bündnis)."""
    if who.is_admin and buendnis_id is None:
        return None
    found = await s.get(Buendnis, target_buendnis(who, buendnis_id))
    if found is None:
        raise NotFound("Bündnis", "buendnis_id")
    return found.code


async def export_file(
    s: AsyncSession,
    who: Principal,
    format: FileFormat = "csv",
    buendnis_id: int | None = None,
    sep: str = ";",
) -> Download:
    """The caller's catalogue (admin: one Bündnis or all) as a CSV or XLSX file."""
    code = await _scope_code(s, who, buendnis_id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"angebote.{format}"
        await export_offers(s, path, buendnis=code, delimiter=sep)
        data = path.read_bytes()
    return Download(data, f"angebote-{code or 'alle'}.{format}", MEDIA[format])


async def import_file(
    sessions: async_sessionmaker[AsyncSession],
    s: AsyncSession,
    who: Principal,
    data: bytes,
    format: str,
    buendnis_id: int | None = None,
    limit: RateLimit | None = None,
) -> ImportResult:
    """Validate and import a CSV or XLSX catalogue, all or nothing, and audit it: a file of an
    unknown type or with any bad row gives the problems and imports nothing. At most
    `IMPORTS_PER_MINUTE` per account with `limit` (`TooMany` beyond)."""
    if format not in MEDIA:
        return ImportResult(
            problems=[RowError(0, "", "unknown file type; use .csv or .xlsx", "file_type")]
        )
    wait = limit.hit(str(who.user_id)) if limit is not None else 0.0
    if wait:
        raise TooMany(f"at most {IMPORTS_PER_MINUTE} imports a minute; try again later", wait)
    code = await _scope_code(s, who, buendnis_id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload.{format}"
        path.write_bytes(data)
        try:
            report = await import_offers(sessions, path, buendnis=code)
        except ImportRefused as refused:
            return ImportResult(problems=refused.errors)
    await audit(s, who, "import", "offer", f"{report.created}+{report.updated}")
    await s.commit()
    return ImportResult(report=report)
