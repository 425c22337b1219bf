"""Results of survey waves and the gap signals of the Erstberatung for gfs (its own Bündnis)
and admin (all) over HTTP: frequencies, cross-tabs, the exports of `results/export.py` (csv,
xlsx, json, floip) with small-cell suppression, and the gap signals with the same k
(`results/service.py`: publication rule, scoping, audit). Servicestellen have no access (403).

Everything here is anonymous aggregate data; exports are audited.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from admin_api.deps import MAX_ID, AdminOrGfs, DbSession, Id, survey_config
from admin_api.errors import ERROR_RESPONSES
from admin_api.schemas import MonthParam, attachment
from admin_api.schemas_surveys import Format, Gaps, GapTableOut, Results, ResultTable
from results.export import to_json
from results.gaps import GapTable
from results.service import MEDIA, WaveReport, export_results, gap_signals, wave_report
from results.tables import Report

router = APIRouter(tags=["survey waves and results"], responses=ERROR_RESPONSES)

ItemId = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


def _tables(found: WaveReport, key: str) -> list[ResultTable]:
    doc = json.loads(to_json(found.report, found.texts))
    return [ResultTable(**t) for t in doc[key]]


def _results(report: Report, tables: list[ResultTable]) -> Results:
    return Results(
        notice=report.notice,
        n=report.n,
        suppression_k=report.k,
        merged_gemeinden=report.merged,
        tables=tables,
    )


@router.get(
    "/waves/{wave_id}/results/frequencies",
    response_model=Results,
    summary="Frequency tables (suppressed)",
)
async def frequencies(
    wave_id: Id, who: AdminOrGfs, s: DbSession, request: Request, item: ItemId = None
) -> Results:
    flows = survey_config(request).flows
    found = await wave_report(s, who, flows, wave_id, crosstabs=False)
    tables = [t for t in _tables(found, "frequencies") if item in (None, t.item)]
    return _results(found.report, tables)


@router.get(
    "/waves/{wave_id}/results/crosstabs",
    response_model=Results,
    summary="Cross-tables of any item by any item (suppressed)",
    description="`item` by `by` (any two coded items); only `by`: every item by it; only "
    "`item`: it by age band, status, Gemeinde and gender; neither: every item by those four. "
    "Unknown items, free-text items and an item by itself give no table.",
)
async def crosstabs(
    wave_id: Id,
    who: AdminOrGfs,
    s: DbSession,
    request: Request,
    item: ItemId = None,
    by: ItemId = None,
) -> Results:
    found = await wave_report(s, who, survey_config(request).flows, wave_id, item=item, by=by)
    return _results(found.report, _tables(found, "crosstabs"))


@router.get(
    "/waves/{wave_id}/export",
    summary="Export the suppressed results: csv, xlsx, json or floip",
    response_class=Response,
    responses={
        200: {
            "description": "the export file",
            "content": {media: {} for media in dict.fromkeys(MEDIA.values())},
        }
    },
)
async def export(
    wave_id: Id,
    who: AdminOrGfs,
    s: DbSession,
    request: Request,
    format: Format = "xlsx",
    sep: Literal[",", ";"] = ",",
) -> Response:
    flows = survey_config(request).flows
    return attachment(await export_results(s, who, flows, wave_id, format, sep))


def _gap_out(table: GapTable) -> GapTableOut:
    return GapTableOut(
        need_areas=table.rows,
        gemeinden=[{"code": c, "name": n} for c, n in table.cols],
        cells=table.cells,
        row_totals=table.row_totals,
        column_totals=table.col_totals,
        total=table.total,
    )


@router.get(
    "/gaps",
    response_model=Gaps,
    summary="Erstberatung gap signals: needs and 'no offer found' per area and Gemeinde",
)
async def gaps(
    who: AdminOrGfs,
    s: DbSession,
    buendnis_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="admin: required; gfs: its own")
    ] = None,
    month: MonthParam = None,
) -> Gaps:
    found = await gap_signals(s, who, buendnis_id, month)
    return Gaps(
        buendnis_id=found.buendnis_id,
        month=found.month,
        suppression_k=found.suppression_k,
        needs=_gap_out(found.needs),
        gaps=_gap_out(found.gaps),
    )
