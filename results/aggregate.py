"""Counting in the database: every figure comes from a GROUP BY, never a loop over rows.

Counts are numbers of *respondents*, so a multiple-choice item gives one figure per option
with the number of respondents asked as its base. A response holds at most one answer row per
(item, code) — the runtime writes it so — hence `count(*)` per (item, code) counts
respondents and lets the database aggregate by hashing instead of sorting. A single-valued
item has exactly one row per respondent asked (a skip is a row without code), so its base is
the sum of its cells; only multiple-choice items need a count of distinct responses.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store.models import SurveyAnswer, SurveyDropout, SurveyResponse

NO_ANSWER = "keine_angabe"  # category of a skipped item (or a skipped cross-tab variable)


def _category(code: str | None, number: float | None) -> str:
    if code is not None:
        return code
    if number is not None:
        return str(int(number)) if float(number).is_integer() else str(number)
    return NO_ANSWER


@dataclass(frozen=True)
class Counts:
    """Counts for one wave: per item and category, and the items' bases."""

    respondents: int
    cells: dict[str, dict[str, int]]  # item -> category -> respondents
    bases: dict[str, int]  # item -> respondents asked


@dataclass(frozen=True)
class CrossCounts:
    by: str
    cells: dict[str, dict[tuple[str, str], int]]  # item -> (row category, category) -> n
    rows: dict[str, dict[str, int]]  # item -> row category -> respondents asked


def _in_wave(query: Select, wave_id: int) -> Select:
    return query.join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id).where(
        SurveyResponse.wave_id == wave_id
    )


async def respondents(s: AsyncSession, wave_id: int) -> int:
    n = await s.scalar(
        select(func.count()).select_from(SurveyResponse).where(SurveyResponse.wave_id == wave_id)
    )
    return int(n or 0)


async def counts(s: AsyncSession, wave_id: int, multi: frozenset[str] = frozenset()) -> Counts:
    a = SurveyAnswer
    cells: dict[str, dict[str, int]] = {}
    query = _in_wave(select(a.item_id, a.code, a.number, func.count()), wave_id).group_by(
        a.item_id, a.code, a.number
    )
    for item_id, code, number, c in (await s.execute(query)).all():
        cat = _category(code, number)
        cells.setdefault(item_id, {})[cat] = cells.get(item_id, {}).get(cat, 0) + int(c)
    bases = {item_id: sum(per.values()) for item_id, per in cells.items() if item_id not in multi}
    if multi:
        asked = (
            _in_wave(select(a.item_id, a.response_id), wave_id)
            .where(a.item_id.in_(sorted(multi)))
            .distinct()
            .subquery()
        )
        bases_q = select(asked.c.item_id, func.count()).group_by(asked.c.item_id)
        bases.update({item_id: int(c) for item_id, c in (await s.execute(bases_q)).all()})
    return Counts(await respondents(s, wave_id), cells, bases)


async def cross_counts(
    s: AsyncSession, wave_id: int, by: str, multi: frozenset[str] = frozenset()
) -> CrossCounts:
    """Every item crossed with the single-valued item `by` (age band, status, Gemeinde, …);
    respondents who skipped `by` form the NO_ANSWER row, so column sums stay exact."""
    a = SurveyAnswer
    b = aliased(SurveyAnswer)
    join_b = and_(b.response_id == a.response_id, b.item_id == by)
    query = (
        _in_wave(select(a.item_id, b.code, a.code, a.number, func.count()), wave_id)
        .outerjoin(b, join_b)
        .where(a.item_id != by)
        .group_by(a.item_id, b.code, a.code, a.number)
    )
    cells: dict[str, dict[tuple[str, str], int]] = {}
    for item_id, row, code, number, c in (await s.execute(query)).all():
        key = (row or NO_ANSWER, _category(code, number))
        per_item = cells.setdefault(item_id, {})
        per_item[key] = per_item.get(key, 0) + int(c)
    rows: dict[str, dict[str, int]] = {}
    for item_id, per_cell in cells.items():
        if item_id in multi:
            continue
        per_item = rows.setdefault(item_id, {})
        for (row, _), c in per_cell.items():
            per_item[row] = per_item.get(row, 0) + c
    if multi:
        asked = (
            _in_wave(select(a.item_id, b.code.label("row"), a.response_id), wave_id)
            .outerjoin(b, join_b)
            .where(a.item_id.in_(sorted(multi - {by})))
            .distinct()
            .subquery()
        )
        rows_q = select(asked.c.item_id, asked.c.row, func.count()).group_by(
            asked.c.item_id, asked.c.row
        )
        for item_id, row, c in (await s.execute(rows_q)).all():
            per_item = rows.setdefault(item_id, {})
            per_item[row or NO_ANSWER] = per_item.get(row or NO_ANSWER, 0) + int(c)
    return CrossCounts(by, cells, rows)


async def dropouts(s: AsyncSession, flow_id: str, flow_version: str) -> dict[str, int]:
    query = select(SurveyDropout.item_id, SurveyDropout.count).where(
        SurveyDropout.flow_id == flow_id, SurveyDropout.flow_version == flow_version
    )
    return {item: int(c) for item, c in (await s.execute(query)).all()}
