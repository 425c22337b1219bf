"""How often help was shown after a danger message, per category, for the GfS — suppressed
like every figure: the categories add up to the total, so they are one relation (a hidden
category cannot be recomputed from the total and the others).

The counts themselves are anonymous by construction (store.models.SafetyCount, care.tally):
Bündnis, category, day, number — nothing about anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.safety import CATEGORIES
from results.suppression import Equation, effective_k, suppress
from results.tables import SECONDARY
from store.models import Buendnis, SafetyCount

Figure = int | str


@dataclass(frozen=True)
class SafetyFigures:
    by_category: dict[str, Figure]  # every category, in CATEGORIES order
    total: Figure
    k: int


async def safety_figures(
    s: AsyncSession,
    buendnis_id: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> SafetyFigures:
    """Help shown per category in [since, until) for one Bündnis, with its k."""
    buendnis = await s.get(Buendnis, buendnis_id)
    if buendnis is None:
        raise LookupError(f"no Bündnis with id {buendnis_id}")
    k = effective_k(buendnis.suppression_k)
    q = (
        select(SafetyCount.category, func.sum(SafetyCount.count))
        .where(SafetyCount.buendnis_id == buendnis_id)
        .group_by(SafetyCount.category)
    )
    if since is not None:
        q = q.where(SafetyCount.day >= since)
    if until is not None:
        q = q.where(SafetyCount.day < until)
    counts = {str(c): int(n or 0) for c, n in (await s.execute(q)).all()}
    values = [counts.get(c, 0) for c in CATEGORIES]
    values.append(sum(values))
    total_at = len(CATEGORIES)
    sup = suppress(values, [Equation(total_at, tuple(range(total_at)))], k)

    def shown(i: int) -> Figure:
        if i in sup.primary:
            return f"<{k}"
        return SECONDARY if i in sup.secondary else values[i]

    return SafetyFigures({c: shown(i) for i, c in enumerate(CATEGORIES)}, shown(total_at), k)
