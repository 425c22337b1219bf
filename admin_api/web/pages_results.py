"""Results dashboard of a survey wave and the gap signals of the Erstberatung, for the GfS (its
Bündnis) and admin (all). Only published figures reach these pages: the report of
`results/tables.py` is already suppressed (k, secondary suppression), and so are the gap tables.
Charts are inline SVG drawn from those figures with CSS classes (no script, no inline style),
so they pass the pages' content security policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from access.errors import Conflict
from admin_api.deps import MAX_ID, DbSession, Id, survey_config
from admin_api.schemas import attachment
from admin_api.schemas_surveys import Format
from admin_api.web.i18n import S_, gettext_for
from admin_api.web.pages_referrals import DANGER_LABELS
from admin_api.web.pages_waves import CONFLICTS, FAILED
from admin_api.web.session import Coordinator
from admin_api.web.templating import render
from offers.taxonomy import NEED_AREAS
from results import periods
from results.codebook import breakdown_items
from results.gaps import GapTable
from results.safety_figures import safety_figures
from results.service import export_results, gap_signals, wave_report
from results.tables import Cell, Table
from store.models import Buendnis

router = APIRouter(prefix="/staff", include_in_schema=False)
ItemQuery = Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_.-]*$")]

EXPORT_FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json", "floip")
BAD_PERIOD = S_("Bitte einen Monat wählen, der schon vorbei ist.")
NO_REPORT = S_("Für diese Welle können keine Ergebnisse berechnet werden.")
LABEL_CHARS = 34  # longer category labels are shortened in charts (full text in the table)

# Chart geometry in SVG user units (the SVG scales to the page width).
ROW_HEIGHT = 30
LABEL_WIDTH = 250
BAR_SPACE = 300
WIDTH = LABEL_WIDTH + BAR_SPACE + 70


@dataclass(frozen=True)
class Bar:
    label: str
    full_label: str
    shown: str
    width: float  # 0 for a suppressed figure
    suppressed: bool
    y: int


def chart_bars(labels: list[str], cells: list[Cell]) -> list[Bar]:
    """Horizontal bars for published figures; a suppressed one gets no length, only its sign."""
    top = max((c.value or 0 for c in cells), default=0) or 1
    bars = []
    for i, (label, cell) in enumerate(zip(labels, cells, strict=True)):
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        width = 0.0 if cell.value is None else round(BAR_SPACE * cell.value / top, 1)
        bars.append(Bar(short, label, cell.shown, width, cell.value is None, i * ROW_HEIGHT))
    return bars


def _grid(table: Table) -> dict[str, Any]:
    return {
        "title": table.title,
        "rows": [label for _, label in table.rows],
        "cols": [label for _, label in table.cols],
        "cells": [[c.shown for c in row] for row in table.cells],
        "row_totals": [c.shown for c in table.row_totals],
        "col_totals": [c.shown for c in table.col_totals],
        "total": table.total.shown,
    }


@router.get("/results/{wave_id}")
async def dashboard(
    request: Request,
    wave_id: Id,
    who: Coordinator,
    s: DbSession,
    item: ItemQuery = "",
    by: ItemQuery = "",
) -> Response:
    asked = bool(item and by)
    try:
        found = await wave_report(
            s, who, survey_config(request).flows, wave_id, crosstabs=asked, item=item, by=by
        )
    except Conflict as error:
        message = gettext_for(request, CONFLICTS.get(error.code, FAILED))
        problem = gettext_for(request, NO_REPORT) + " " + message
        return render(
            request, "results_missing.html", {"section": "waves", "problem": problem}, 409
        )
    report = found.report
    charts = [
        {
            "id": t.item.id,
            "title": t.title,
            "bars": chart_bars([label for _, label in t.cols], t.cells[0]),
            "height": max(1, len(t.cols)) * ROW_HEIGHT,
            "table": _grid(t),
        }
        for t in report.frequencies
    ]
    items = [(t.item.id, t.title) for t in report.frequencies]
    # breakdown dimensions first, then any other item
    by_options = breakdown_items(report.codebook)
    by_options.update({i: title for i, title in items if i not in by_options})
    chosen = next((t for t in report.crosstabs if t.item.id == item and t.by == by), None)
    context: dict[str, object] = {
        "section": "waves",
        "wave": found.wave,
        "n": report.n,
        "k": report.k,
        "merged": report.merged,
        "charts": charts,
        "items": items,
        "by_options": by_options,
        "item": item,
        "by": by,
        "crosstab": _grid(chosen) if chosen else None,
        "asked": asked,
        "formats": EXPORT_FORMATS,
        "geometry": {"label": LABEL_WIDTH, "bars": BAR_SPACE, "width": WIDTH, "row": ROW_HEIGHT},
    }
    return render(request, "results.html", context)


@router.get("/results/{wave_id}/export")
async def export(
    request: Request, wave_id: Id, who: Coordinator, s: DbSession, format: Format = "xlsx"
) -> Response:
    """The wave's suppressed results as a file (audited like the API's export)."""
    flows = survey_config(request).flows
    return attachment(await export_results(s, who, flows, wave_id, format))


def _gap_grid(table: GapTable) -> dict[str, Any]:
    return {
        "rows": [NEED_AREAS.get(a, a) for a in table.rows],
        "cols": [name for _code, name in table.cols],
        "cells": table.cells,
        "row_totals": table.row_totals,
        "col_totals": table.col_totals,
        "total": table.total,
    }


@router.get("/gaps")
async def gaps(
    request: Request,
    who: Coordinator,
    s: DbSession,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    month: str = "",
) -> Response:
    """Needs and "no offer found" per need area and Gemeinde (admin picks the Bündnis)."""
    buendnisse = []
    if who.is_admin:
        buendnisse = list(await s.scalars(select(Buendnis).order_by(Buendnis.name)))
        if buendnis_id is None and buendnisse:
            buendnis_id = buendnisse[0].id
    context: dict[str, Any] = {
        "section": "gaps",
        "buendnisse": buendnisse,
        "buendnis_id": buendnis_id,
        "month": month,
        "result": None,
        "problem": "",
    }
    try:
        period = periods.month(month)
    except ValueError:
        context["problem"] = gettext_for(request, BAD_PERIOD)
        return render(request, "gaps.html", context, status=422)
    context["month"] = period.label
    if who.is_admin and buendnis_id is None:
        return render(request, "gaps.html", context)
    found = await gap_signals(s, who, buendnis_id, period.label)
    safety = await safety_figures(s, found.buendnis_id, period.start, period.end)
    context["result"] = {
        "k": found.suppression_k,
        "needs": _gap_grid(found.needs),
        "gaps": _gap_grid(found.gaps),
        "safety": [
            (gettext_for(request, DANGER_LABELS[c]), n) for c, n in safety.by_category.items()
        ],
        "safety_total": safety.total,
    }
    return render(request, "gaps.html", context)
