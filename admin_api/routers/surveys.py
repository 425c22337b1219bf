"""Survey waves and their results for gfs (its own Bündnis) and admin (all): create a wave from a
survey flow, open, close, invite, response count; frequencies, cross-tabs, the exports of
`results/export.py` (csv, xlsx, json, floip) with small-cell suppression, and the gap signals
of the Erstberatung with the same k. Servicestellen have no access (403).

Everything here is anonymous aggregate data; changes and exports are audited.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.audit import audit
from admin_api.deps import (
    MAX_ID,
    AdminOrGfs,
    DbSession,
    Id,
    Limit,
    Offset,
    Principal,
    buendnis_filter,
    get_scoped,
    target_buendnis,
)
from admin_api.errors import ERROR_RESPONSES, conflict, invalid, not_found
from admin_api.schemas import (
    DbId,
    Download,
    MonthParam,
    Name,
    Orm,
    Page,
    Strict,
    month_of,
    with_examples,
)
from dialogs.expr import evaluate
from results.charts import charts as make_charts
from results.export import to_csv, to_floip, to_json, to_xlsx
from results.gaps import gap_tables
from results.tables import Codebook, Report, build_report, requested_pairs
from results.texts import text_answers
from store.models import Buendnis, EntryPoint, SurveyWave
from surveys import waves as store_waves

router = APIRouter(tags=["survey waves and results"], responses=ERROR_RESPONSES)

StartCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
FlowId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
ItemId = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Format = Literal["csv", "xlsx", "json", "floip"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "floip": "application/json",
}
Figure = int | str


@dataclass
class SurveyConfig:
    """What wave operations need besides the database: the loaded flows (by id), the main
    secret (participation markers, so invitations skip people who took part) and the
    fallback locale of invitations. `wegweiser serve` passes its own."""

    flows: dict[str, Any] = field(default_factory=dict)
    secret: bytes | None = None
    default_locale: str = "de"


def _config(request: Request) -> SurveyConfig:
    config: SurveyConfig = request.app.state.surveys
    return config


# ---------------------------------------------------------------- shapes


class WaveIn(Strict):
    buendnis_id: DbId | None = None
    flow_id: FlowId = "befragung-lebenslage"
    title: Name
    code: StartCode | None = Field(default=None, description="start code; default random")

    model_config = with_examples(
        {"title": "Frühjahr 2027", "flow_id": "befragung-lebenslage", "code": "fj27"}
    )


class WaveOut(Orm):
    id: int
    buendnis_id: int
    flow_id: str
    flow_version: str
    title: str
    status: str = Field(description="draft | open | closed")
    code: str | None = Field(description="`/start <code>` takes part")
    opened_on: dt.date | None
    closed_on: dt.date | None
    responses: int = Field(description="completed responses")


class Invited(BaseModel):
    queued: int = Field(description="invitations put into the outbox")


class ResultTable(BaseModel):
    item: str
    question: str
    by: str | None = Field(description="cross-tab variable (item id); null: frequencies")
    rows: list[dict[str, str]]
    columns: list[dict[str, str]]
    cells: list[list[Figure]] = Field(description="numbers, `<k` or `x` (suppressed)")
    row_totals: list[Figure]
    column_totals: list[Figure]
    total: Figure


class Results(BaseModel):
    notice: str
    n: int
    suppression_k: int
    merged_gemeinden: dict[str, str]
    tables: list[ResultTable]


class GapTableOut(BaseModel):
    need_areas: list[str]
    gemeinden: list[dict[str, str]]
    cells: list[list[Figure]]
    row_totals: list[Figure]
    column_totals: list[Figure]
    total: Figure


class Gaps(BaseModel):
    buendnis_id: int
    month: str = Field(description="the calendar month shown (YYYY-MM)")
    suppression_k: int
    needs: GapTableOut = Field(description="need areas chosen in the Erstberatung")
    gaps: GapTableOut = Field(description="need areas for which no offer was found")


# ---------------------------------------------------------------- helpers


async def _out(s: AsyncSession, wave: SurveyWave) -> WaveOut:
    return WaveOut(
        id=wave.id,
        buendnis_id=wave.buendnis_id,
        flow_id=wave.flow_id,
        flow_version=wave.flow_version,
        title=wave.title,
        status=wave.status,
        code=await store_waves.start_code(s, wave.id),
        opened_on=wave.opened_on,
        closed_on=wave.closed_on,
        responses=await store_waves.response_count(s, wave.id),
    )


async def _wave(s: AsyncSession, who: Principal, wave_id: int) -> SurveyWave:
    return await get_scoped(s, who, SurveyWave, wave_id, "wave")


@dataclass
class WaveReport:
    """A wave's suppressed results and its reviewed free-text answers."""

    wave: SurveyWave
    report: Report
    texts: list[Any]


WAVE_NOT_CLOSED = (
    "results of a wave are published from the second day after it closed: two exports of a"
    " running wave would differ by the answers of whoever took part in between, and the last"
    " answers are written in batches up to a day later (store.holding)"
)
SETTLED_DAYS = 2  # held responses of the closing day are written once that day is over


def published(wave: SurveyWave, today: dt.date | None = None) -> bool:
    """Whether a wave's results may be shown: closed, and its last held answers written."""
    if wave.status != "closed":
        return False
    day = today or dt.date.today()
    return wave.closed_on is None or wave.closed_on + dt.timedelta(days=SETTLED_DAYS) <= day


async def wave_report(
    s: AsyncSession,
    who: Principal,
    config: SurveyConfig,
    wave_id: int,
    *,
    crosstabs: bool = True,
    item: str | None = None,
    by: str | None = None,
) -> WaveReport:
    """The suppressed report of a wave in the caller's scope (409 if its flow is not loaded):
    its frequency tables and, with `crosstabs`, the cross-tables `item` by `by` (see
    `requested_pairs`; neither: every item by each breakdown dimension)."""
    wave = await _wave(s, who, wave_id)
    if not published(wave):  # two looks at a running wave would show one person's answers
        raise conflict("wave_not_closed", WAVE_NOT_CLOSED, "wave_id")
    flow = config.flows.get(wave.flow_id)
    if flow is None:
        raise conflict("flow_not_loaded", f"flow {wave.flow_id!r} of this wave is not loaded")
    codebook = Codebook.from_flow(flow, evaluate)  # skip logic: suppression knows it
    pairs = requested_pairs(codebook, item, by) if crosstabs else []
    report = await build_report(s, wave.id, codebook, pairs)
    texts = list(await text_answers(s, wave.id, reviewed=True))
    return WaveReport(wave, report, texts)


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


# ---------------------------------------------------------------- waves


async def find_waves(
    s: AsyncSession,
    who: Principal,
    buendnis_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[WaveOut], int]:
    """A page of the caller's waves (admin: all) with response counts, and the total."""
    where = buendnis_filter(who, SurveyWave.buendnis_id)
    if buendnis_id is not None:
        where = where & (SurveyWave.buendnis_id == buendnis_id)
    if status is not None:
        where = where & (SurveyWave.status == status)
    total = await s.scalar(select(func.count()).select_from(SurveyWave).where(where)) or 0
    rows = await s.scalars(
        select(SurveyWave).where(where).order_by(SurveyWave.id).limit(limit).offset(offset)
    )
    return [await _out(s, w) for w in rows], total


@router.get("/waves", response_model=Page[WaveOut], summary="Survey waves")
async def list_waves(
    who: AdminOrGfs,
    s: DbSession,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Literal["draft", "open", "closed"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[WaveOut]:
    items, total = await find_waves(s, who, buendnis_id, status, limit, offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


async def new_wave(s: AsyncSession, who: Principal, config: SurveyConfig, body: WaveIn) -> WaveOut:
    """Create a draft wave from a loaded survey flow, audited."""
    buendnis_id = target_buendnis(who, body.buendnis_id)
    if await s.get(Buendnis, buendnis_id) is None:
        raise not_found("Bündnis", "buendnis_id")
    flow = config.flows.get(body.flow_id)
    if flow is None or flow.kind != "survey":  # a reference to nothing there: like an id
        raise not_found("survey flow", "flow_id")
    if body.code is not None:
        taken = await s.scalar(select(EntryPoint.id).where(EntryPoint.code == body.code))
        if taken is not None:
            raise conflict("code_taken", "this start code is already in use", "code")
    try:
        wave = await store_waves.create(s, buendnis_id, flow, body.title, body.code)
    except store_waves.WaveError as exc:
        raise invalid(str(exc), "title") from None
    await audit(s, who, "create", "survey_wave", wave.id)
    out = await _out(s, wave)
    await s.commit()
    return out


@router.post(
    "/waves", response_model=WaveOut, status_code=201, summary="Create a draft wave from a flow"
)
async def create_wave(body: WaveIn, who: AdminOrGfs, s: DbSession, request: Request) -> WaveOut:
    return await new_wave(s, who, _config(request), body)


@router.get("/waves/{wave_id}", response_model=WaveOut, summary="One wave with its response count")
async def get_wave(wave_id: Id, who: AdminOrGfs, s: DbSession) -> WaveOut:
    return await _out(s, await _wave(s, who, wave_id))


async def set_wave_status(
    s: AsyncSession, who: Principal, config: SurveyConfig, wave_id: int, status: str
) -> WaveOut:
    """Open (pins the flow version) or close a wave; 409 for a transition not allowed."""
    await _wave(s, who, wave_id)
    try:
        wave = await store_waves.set_status(s, wave_id, status, config.flows)
    except store_waves.WaveError as exc:
        await s.rollback()
        raise conflict("invalid_transition", str(exc), "status") from None
    await audit(s, who, status, "survey_wave", wave_id)
    out = await _out(s, wave)
    await s.commit()
    return out


@router.post(
    "/waves/{wave_id}/open",
    response_model=WaveOut,
    summary="Open a draft wave (pins the flow version loaded now)",
)
async def open_wave(wave_id: Id, who: AdminOrGfs, s: DbSession, request: Request) -> WaveOut:
    return await set_wave_status(s, who, _config(request), wave_id, "open")


@router.post("/waves/{wave_id}/close", response_model=WaveOut, summary="Close an open wave")
async def close_wave(wave_id: Id, who: AdminOrGfs, s: DbSession, request: Request) -> WaveOut:
    return await set_wave_status(s, who, _config(request), wave_id, "closed")


async def invite_to_wave(
    s: AsyncSession, who: Principal, config: SurveyConfig, wave_id: int
) -> int:
    """Queue invitations to an open wave; returns how many were queued."""
    await _wave(s, who, wave_id)
    if config.secret is None:
        raise conflict("not_configured", "invitations need the server secret (wegweiser serve)")
    try:
        queued = await store_waves.invite(s, wave_id, config.secret, config.default_locale)
    except store_waves.WaveError as exc:
        await s.rollback()
        raise conflict("wave_not_open", str(exc)) from None
    await audit(s, who, "invite", "survey_wave", wave_id)
    await s.commit()
    return queued


@router.post(
    "/waves/{wave_id}/invitations",
    response_model=Invited,
    summary="Invite everyone of the Bündnis who agreed to invitations and has not taken part",
)
async def invite(wave_id: Id, who: AdminOrGfs, s: DbSession, request: Request) -> Invited:
    return Invited(queued=await invite_to_wave(s, who, _config(request), wave_id))


# ---------------------------------------------------------------- results


@router.get(
    "/waves/{wave_id}/results/frequencies",
    response_model=Results,
    summary="Frequency tables (suppressed)",
)
async def frequencies(
    wave_id: Id, who: AdminOrGfs, s: DbSession, request: Request, item: ItemId = None
) -> Results:
    found = await wave_report(s, who, _config(request), wave_id, crosstabs=False)
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
    found = await wave_report(s, who, _config(request), wave_id, item=item, by=by)
    return _results(found.report, _tables(found, "crosstabs"))


async def export_file(
    s: AsyncSession,
    who: Principal,
    config: SurveyConfig,
    wave_id: int,
    format: str = "xlsx",
    sep: str = ",",
) -> Download:
    """The suppressed results of a wave as csv, xlsx, json or floip; the export is audited."""
    found = await wave_report(s, who, config, wave_id)
    report, texts = found.report, found.texts
    if format == "csv":
        data: str | bytes = to_csv(report, texts, sep)
    elif format == "xlsx":
        data = to_xlsx(report, texts, make_charts(report, "png"))
    elif format == "json":
        data = to_json(report, texts)
    elif format == "floip":
        data = to_floip(report)
    else:
        raise invalid(f"unknown format {format!r}", "format")
    await audit(s, who, "export", "survey_wave", found.wave.id)
    await s.commit()
    suffix = "datapackage.json" if format == "floip" else format
    body = data.encode() if isinstance(data, str) else data
    return Download(body, f"wegweiser-welle-{found.wave.id}.{suffix}", MEDIA[format])


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
    return (await export_file(s, who, _config(request), wave_id, format, sep)).response()


# ---------------------------------------------------------------- gap signals


def _gap_out(table: Any) -> GapTableOut:
    return GapTableOut(
        need_areas=table.rows,
        gemeinden=[{"code": c, "name": n} for c, n in table.cols],
        cells=table.cells,
        row_totals=table.row_totals,
        column_totals=table.col_totals,
        total=table.total,
    )


async def gap_signals(
    s: AsyncSession,
    who: Principal,
    buendnis_id: int | None = None,
    month: str | None = None,
) -> Gaps:
    """Needs and "no offer found" per need area and Gemeinde of the caller's Bündnis, for one
    calendar month that is over (default: the last one; results/periods.py)."""
    period = month_of(month)
    target = target_buendnis(who, buendnis_id)
    try:
        found = await gap_tables(s, target, period.start, period.end)
    except LookupError:
        raise not_found("Bündnis", "buendnis_id") from None
    return Gaps(
        buendnis_id=target,
        month=period.label,
        suppression_k=found["suppression_k"],
        needs=_gap_out(found["needs"]),
        gaps=_gap_out(found["gaps"]),
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
    return await gap_signals(s, who, buendnis_id, month)
