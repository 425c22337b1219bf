"""The offer catalogue as a file over HTTP: export to and import from CSV or XLSX
(`offers/file_service.py`), for the caller's Bündnis (admin: one or all)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from access.errors import Invalid
from admin_api.deps import MAX_ID, AdminOrGfs, DbSession
from admin_api.errors import ERROR_RESPONSES, ApiError
from admin_api.limits import MAX_UPLOAD
from admin_api.schemas import Strict, attachment
from offers.file_service import MEDIA, FileFormat, export_file, import_file

router = APIRouter(prefix="/offers", tags=["offers"], responses=ERROR_RESPONSES)


# ---------------------------------------------------------------- CSV / XLSX


@router.get(
    "/export",
    summary="The catalogue as CSV (UTF-8 with BOM) or XLSX, in the import's columns",
    response_class=Response,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
async def export_catalogue(
    who: AdminOrGfs,
    s: DbSession,
    format: FileFormat = "csv",
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sep: Literal[";", ","] = ";",
) -> Response:
    return attachment(await export_file(s, who, format, buendnis_id, sep))


class ImportProblem(Strict):
    row: int = Field(description="spreadsheet row (1 = header, 0 = the whole file)")
    column: str
    reason: str


class ImportOut(Strict):
    created: int
    updated: int


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
                for media in MEDIA.values()
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
    if not data:
        raise Invalid("the request body must be the CSV or XLSX file", "body")
    if len(data) > MAX_UPLOAD:
        raise ApiError(413, "payload_too_large", f"at most {MAX_UPLOAD} bytes", "body")
    state = request.app.state
    result = await import_file(
        state.sessions, s, who, data, format, buendnis_id, limit=state.import_limit
    )
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
