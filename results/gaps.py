"""Gap signals of the Erstberatung: needs per area and Gemeinde (`intake_need_count`) and
"no offer found" (`offer_gap`), as suppressed tables for the GfS.

Each table is need area × Gemeinde with row, column and grand totals; the Bündnis' k applies
(below k shown as `<k`, never below 3) with the same secondary suppression as survey results,
so no hidden figure can be recomputed from the totals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from results.suppression import Equation, effective_k, suppress
from results.tables import SECONDARY
from store.models import Buendnis, Gemeinde, IntakeNeedCount, OfferGap

UNKNOWN_GEMEINDE = "unbekannt"

Figure = int | str


@dataclass
class GapTable:
    rows: list[str]  # need areas
    cols: list[tuple[str, str]]  # (Gemeinde code g<id> or "unbekannt", name)
    cells: list[list[Figure]]
    row_totals: list[Figure]
    col_totals: list[Figure]
    total: Figure


def grid(
    rows: list[str], cols: list[str], counts: dict[tuple[str, str], int], k: int
) -> tuple[list[list[Figure]], list[Figure], list[Figure], Figure]:
    """Suppress a two-way table with its margins: figures below k → `<k`, further ones → `x`."""
    k = effective_k(k)
    nr, nc = len(rows), len(cols)
    values = [counts.get((r, c), 0) for r in rows for c in cols]
    row_tot = [sum(counts.get((r, c), 0) for c in cols) for r in rows]
    col_tot = [sum(counts.get((r, c), 0) for r in rows) for c in cols]
    base_r, base_c = nr * nc, nr * nc + nr
    grand = base_c + nc
    values += row_tot + col_tot + [sum(row_tot)]
    equations = [Equation(base_r + i, tuple(i * nc + j for j in range(nc))) for i in range(nr)]
    equations += [Equation(base_c + j, tuple(i * nc + j for i in range(nr))) for j in range(nc)]
    if nr:
        equations.append(Equation(grand, tuple(base_r + i for i in range(nr))))
    if nc:
        equations.append(Equation(grand, tuple(base_c + j for j in range(nc))))
    sup = suppress(values, equations, k)

    def shown(i: int) -> Figure:
        if i in sup.primary:
            return f"<{k}"
        if i in sup.secondary:
            return SECONDARY
        return int(values[i])

    cells = [[shown(i * nc + j) for j in range(nc)] for i in range(nr)]
    return (
        cells,
        [shown(base_r + i) for i in range(nr)],
        [shown(base_c + j) for j in range(nc)],
        shown(grand),
    )


async def gap_tables(
    s: AsyncSession,
    buendnis_id: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[str, Any]:
    """`needs` (sum of intake_need_count) and `gaps` (offer_gap rows), suppressed with the
    Bündnis' k. `until` is exclusive."""
    buendnis = await s.get(Buendnis, buendnis_id)
    if buendnis is None:
        raise LookupError(f"no Bündnis with id {buendnis_id}")
    k = effective_k(buendnis.suppression_k)
    names = {
        f"g{g.id}": g.name
        for g in await s.scalars(select(Gemeinde).where(Gemeinde.buendnis_id == buendnis_id))
    }

    def window(q: Any, day: Any) -> Any:
        if since is not None:
            q = q.where(day >= since)
        if until is not None:
            q = q.where(day < until)
        return q

    needs_q = window(
        select(
            IntakeNeedCount.need_area, IntakeNeedCount.gemeinde_id, func.sum(IntakeNeedCount.count)
        )
        .where(IntakeNeedCount.buendnis_id == buendnis_id)
        .group_by(IntakeNeedCount.need_area, IntakeNeedCount.gemeinde_id),
        IntakeNeedCount.day,
    )
    gaps_q = window(
        select(OfferGap.need_area, OfferGap.gemeinde_id, func.count())
        .where(OfferGap.buendnis_id == buendnis_id)
        .group_by(OfferGap.need_area, OfferGap.gemeinde_id),
        OfferGap.day,
    )
    raw: dict[str, dict[tuple[str, str], int]] = {"needs": {}, "gaps": {}}
    for key, q in (("needs", needs_q), ("gaps", gaps_q)):
        for area, gemeinde_id, n in (await s.execute(q)).all():
            col = f"g{gemeinde_id}" if gemeinde_id is not None else UNKNOWN_GEMEINDE
            raw[key][(area, col)] = raw[key].get((area, col), 0) + int(n or 0)
    rows = sorted({a for table in raw.values() for a, _ in table})
    seen = {c for table in raw.values() for _, c in table}
    cols = sorted(seen - {UNKNOWN_GEMEINDE}, key=lambda c: names.get(c, c))
    if UNKNOWN_GEMEINDE in seen:
        cols.append(UNKNOWN_GEMEINDE)
    labelled = [(c, names.get(c, "unbekannte Gemeinde")) for c in cols]
    out: dict[str, Any] = {"suppression_k": k}
    for key, counts in raw.items():
        cells, row_totals, col_totals, total = grid(rows, cols, counts, k)
        out[key] = GapTable(rows, labelled, cells, row_totals, col_totals, total)
    return out
