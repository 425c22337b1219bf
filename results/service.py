"""Published figures as staff get them: the suppressed report and exports of a survey wave
(only once it is closed and settled) and the monthly gap signals of the Erstberatung, scoped to
the caller's Bündnis (admin: all); exports are audited. The admin API and the staff pages both
call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from access.audit import audit
from access.errors import Conflict, Invalid, NotFound
from access.scope import Principal, get_scoped, target_buendnis
from base.download import Download
from base.workers import files
from dialogs.expr import evaluate
from results import periods
from results.export import to_csv, to_floip, to_json, xlsx_with_charts
from results.gaps import GapTable, gap_tables
from results.tables import Codebook, Report, build_report, requested_pairs
from results.texts import text_answers
from store.models import SurveyWave

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "floip": "application/json",
}
WAVE_NOT_CLOSED = (
    "results of a wave are published from the second day after it closed: two exports of a"
    " running wave would differ by the answers of whoever took part in between, and the last"
    " answers are written in batches up to a day later (store.holding)"
)
SETTLED_DAYS = 2  # held responses of the closing day are written once that day is over


@dataclass
class WaveReport:
    """A wave's suppressed results and its reviewed free-text answers."""

    wave: SurveyWave
    report: Report
    texts: list[Any]


@dataclass(frozen=True)
class GapSignals:
    """Needs and "no offer found" per need area and Gemeinde of one Bündnis and month."""

    buendnis_id: int
    month: str  # YYYY-MM
    suppression_k: int
    needs: GapTable
    gaps: GapTable


def published(wave: SurveyWave, today: dt.date | None = None) -> bool:
    """Whether a wave's results may be shown: closed, and its last held answers written."""
    if wave.status != "closed":
        return False
    day = today or dt.date.today()
    return wave.closed_on is None or wave.closed_on + dt.timedelta(days=SETTLED_DAYS) <= day


async def wave_report(
    s: AsyncSession,
    who: Principal,
    flows: Mapping[str, Any],
    wave_id: int,
    *,
    crosstabs: bool = True,
    item: str | None = None,
    by: str | None = None,
) -> WaveReport:
    """The suppressed report of a wave in the caller's scope (`Conflict` if it is not
    published or its flow is not among `flows`): its frequency tables and, with `crosstabs`,
    the cross-tables `item` by `by` (see `requested_pairs`; neither: every item by each
    breakdown dimension)."""
    wave = await get_scoped(s, who, SurveyWave, wave_id, "wave")
    if not published(wave):  # two looks at a running wave would show one person's answers
        raise Conflict("wave_not_closed", WAVE_NOT_CLOSED, "wave_id")
    flow = flows.get(wave.flow_id)
    if flow is None:
        raise Conflict("flow_not_loaded", f"flow {wave.flow_id!r} of this wave is not loaded")
    codebook = Codebook.from_flow(flow, evaluate)  # skip logic: suppression knows it
    pairs = requested_pairs(codebook, item, by) if crosstabs else []
    report = await build_report(s, wave.id, codebook, pairs)
    texts = list(await text_answers(s, wave.id, reviewed=True))
    return WaveReport(wave, report, texts)


async def export_results(
    s: AsyncSession,
    who: Principal,
    flows: Mapping[str, Any],
    wave_id: int,
    format: str = "xlsx",
    sep: str = ",",
) -> Download:
    """The suppressed results of a wave as csv, xlsx, json or floip; the export is audited."""
    found = await wave_report(s, who, flows, wave_id)
    report, texts = found.report, found.texts
    if format == "csv":
        data: str | bytes = to_csv(report, texts, sep)
    elif format == "xlsx":
        data = await files.run(xlsx_with_charts, report, texts)
    elif format == "json":
        data = to_json(report, texts)
    elif format == "floip":
        data = to_floip(report)
    else:
        raise Invalid(f"unknown format {format!r}", "format")
    await audit(s, who, "export", "survey_wave", found.wave.id)
    await s.commit()
    suffix = "datapackage.json" if format == "floip" else format
    body = data.encode() if isinstance(data, str) else data
    return Download(body, f"wegweiser-welle-{found.wave.id}.{suffix}", MEDIA[format])


def published_month(text: str | None) -> periods.Month:
    """The month asked for (`YYYY-MM`, default the last one over): `Conflict`
    `month_not_over` for one that has not ended yet, `Invalid` for another shape."""
    try:
        return periods.month(text)
    except periods.NotOver as e:
        raise Conflict("month_not_over", str(e), "month") from None
    except ValueError as e:
        raise Invalid(str(e), "month") from None


async def gap_signals(
    s: AsyncSession,
    who: Principal,
    buendnis_id: int | None = None,
    month: str | None = None,
) -> GapSignals:
    """Needs and "no offer found" per need area and Gemeinde of the caller's Bündnis, for one
    calendar month that is over (default: the last one; results/periods.py)."""
    period = published_month(month)
    target = target_buendnis(who, buendnis_id)
    try:
        found = await gap_tables(s, target, period.start, period.end)
    except LookupError:
        raise NotFound("Bündnis", "buendnis_id") from None
    return GapSignals(target, period.label, found["suppression_k"], found["needs"], found["gaps"])
