"""The offer catalogue as a file: export to and import from CSV or XLSX (offers/io.py), for
the caller's Bündnis (admin: one or all)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_api.audit import audit
from admin_api.deps import (
    MAX_ID,
    AdminOrGfs,
    DbSession,
    Principal,
    target_buendnis,
)
from admin_api.errors import ERROR_RESPONSES, ApiError, invalid, not_found
from admin_api.limits import MAX_UPLOAD
from admin_api.schemas import (
    Download,
    Strict,
)
from offers.io import export_offers, import_offers
from offers.io_columns import ImportRefused, ImportReport, RowError
from store.models import Buendnis

router = APIRouter(prefix="/offers", tags=["offers"], responses=ERROR_RESPONSES)


# ---------------------------------------------------------------- CSV / XLSX


FileFormat = Literal["csv", "xlsx"]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def _scope_code(s: AsyncSession, who: Principal, buendnis_id: int | None) -> str | None:
    """The Bündnis code an import/export is limited to (admin without one: every Bündnis)."""
    if who.is_admin and buendnis_id is None:
        return None
    found = await s.get(Buendnis, target_buendnis(who, buendnis_id))
    if found is None:
        raise not_found("Bündnis", "buendnis_id")
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
    return Download(data, f"angebote-{code or 'alle'}.{format}", _MEDIA[format])


@router.get(
    "/export",
    summary="The catalogue as CSV (UTF-8 with BOM) or XLSX, in the import's columns",
    response_class=Response,
    responses={200: {"content": {m: {} for m in _MEDIA.values()}}},
)
async def export_catalogue(
    who: AdminOrGfs,
    s: DbSession,
    format: FileFormat = "csv",
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sep: Literal[";", ","] = ";",
) -> Response:
    return (await export_file(s, who, format, buendnis_id, sep)).response()


class ImportProblem(Strict):
    row: int = Field(description="spreadsheet row (1 = header, 0 = the whole file)")
    column: str
    reason: str


class ImportOut(Strict):
    created: int
    updated: int


@dataclass
class ImportResult:
    """What an import did: `report` when it was written, else every `problem` (nothing was)."""

    report: ImportReport | None = None
    problems: list[RowError] = field(default_factory=list)


async def import_file(
    sessions: async_sessionmaker[AsyncSession],
    s: AsyncSession,
    who: Principal,
    data: bytes,
    format: str,
    buendnis_id: int | None = None,
) -> ImportResult:
    """Validate and import a CSV or XLSX catalogue, all or nothing, and audit it.

    An empty or too large body is an `ApiError` (nothing is read); a file with any bad row
    gives the problems and imports nothing."""
    if not data:
        raise invalid("the request body must be the CSV or XLSX file", "body")
    if len(data) > MAX_UPLOAD:
        raise ApiError(413, "payload_too_large", f"at most {MAX_UPLOAD} bytes", "body")
    if format not in _MEDIA:
        return ImportResult(
            problems=[RowError(0, "", "unknown file type; use .csv or .xlsx", "file_type")]
        )
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


@router.post(
    "/import",
    response_model=ImportOut,
    summary="Import offers from a CSV or XLSX file sent as the request body",
    description=(
        "All or nothing: when any row is invalid nothing is imported and the answer is 422 "
        "`import_refused` with `problems` (row, column, reason) for every problem found."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media.split(";")[0]: {
                    "schema": {"type": "string", "format": "binary", "minLength": 1}
                }
                for media in _MEDIA.values()
            },
        }
    },
)
async def import_catalogue(
    request: Request,
    who: AdminOrGfs,
    s: DbSession,
    format: FileFormat,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    data = await request.body()
    result = await import_file(request.app.state.sessions, s, who, data, format, buendnis_id)
    if result.report is None:
        problems = [
            ImportProblem(row=e.row, column=e.column, reason=e.reason) for e in result.problems
        ]
        return JSONResponse(
            status_code=422,
            content={
                "error": {
                    "code": "import_refused",
                    "message": f"{len(problems)} problem(s); nothing imported",
                    "field": "body",
                },
                "problems": [p.model_dump() for p in problems],
            },
        )
    return ImportOut(created=result.report.created, updated=result.report.updated)
