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

from sqlalchemy import Select, and_, func, select, text
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


# The SQL below is assembled from generated names only (b0…, :by0… placeholders); every value
# goes in as a bound parameter.


def _by_pivot(bys: list[str]) -> str:
    """Per response, its code for each cross-tab variable (one row per response)."""
    cols = ", ".join(
        f"max(x.code) FILTER (WHERE x.item_id = :by{i}) AS b{i}" for i in range(len(bys))
    )
    return (
        f"SELECT x.response_id, {cols} FROM survey_answer x "  # noqa: S608 - generated names only
        "JOIN survey_response rx ON rx.id = x.response_id "
        "WHERE rx.wave_id = :w AND x.item_id IN ("
        + ", ".join(f":by{i}" for i in range(len(bys)))
        + ") GROUP BY x.response_id"
    )


async def all_counts(
    s: AsyncSession, wave_id: int, bys: list[str], multi: frozenset[str] = frozenset()
) -> tuple[Counts, dict[str, CrossCounts]]:
    """Frequencies and every cross-tab. On PostgreSQL one pass over the answers with
    GROUPING SETS (plus one over the multiple-choice rows for their bases); elsewhere one
    query per cross-tab variable."""
    if s.bind.dialect.name != "postgresql" or not bys:
        data = await counts(s, wave_id, multi)
        return data, {by: await cross_counts(s, wave_id, by, multi) for by in bys}
    params: dict[str, object] = {"w": wave_id, **{f"by{i}": by for i, by in enumerate(bys)}}
    b_cols = [f"p.b{i}" for i in range(len(bys))]
    sets = ", ".join(
        ["(a.item_id, a.code, a.number)"] + [f"(a.item_id, a.code, a.number, {b})" for b in b_cols]
    )
    grouping = f"GROUPING({', '.join(b_cols)})"
    sql = (
        f"WITH p AS ({_by_pivot(bys)}) "  # noqa: S608 - generated names only
        f"SELECT a.item_id, a.code, a.number, {', '.join(b_cols)}, {grouping}, count(*) "
        "FROM survey_answer a JOIN survey_response r ON r.id = a.response_id "
        "LEFT JOIN p ON p.response_id = a.response_id "
        f"WHERE r.wave_id = :w GROUP BY GROUPING SETS ({sets})"
    )
    n_by = len(bys)
    full = (1 << n_by) - 1
    cells: dict[str, dict[str, int]] = {}
    cross_cells: dict[str, dict[str, dict[tuple[str, str], int]]] = {by: {} for by in bys}
    for row in (await s.execute(text(sql), params)).all():
        item_id, code, number = row[0], row[1], row[2]
        group, c = row[3 + n_by], int(row[4 + n_by])
        cat = _category(code, number)
        if group == full:  # the frequency set: no cross-tab variable grouped
            per = cells.setdefault(item_id, {})
            per[cat] = per.get(cat, 0) + c
            continue
        i = next(j for j in range(n_by) if not group & (1 << (n_by - 1 - j)))
        if item_id == bys[i]:
            continue
        per_x = cross_cells[bys[i]].setdefault(item_id, {})
        key = (row[3 + i] or NO_ANSWER, cat)
        per_x[key] = per_x.get(key, 0) + c
    bases = {item_id: sum(per.values()) for item_id, per in cells.items() if item_id not in multi}
    cross_rows: dict[str, dict[str, dict[str, int]]] = {by: {} for by in bys}
    for by in bys:
        for item_id, per_cell in cross_cells[by].items():
            if item_id in multi:
                continue
            per_item = cross_rows[by].setdefault(item_id, {})
            for (r, _), c in per_cell.items():
                per_item[r] = per_item.get(r, 0) + c
    if multi:
        m_params = {**params, **{f"m{j}": m for j, m in enumerate(sorted(multi))}}
        m_in = ", ".join(f":m{j}" for j in range(len(multi)))
        m_sets = ", ".join(["(d.item_id)"] + [f"(d.item_id, d.b{i})" for i in range(n_by)])
        d_cols = ", ".join(f"p.b{i}" for i in range(n_by))
        sql = (
            f"WITH p AS ({_by_pivot(bys)}), d AS (SELECT DISTINCT a.item_id, a.response_id, "  # noqa: S608 - generated names only
            f"{d_cols} FROM survey_answer a JOIN survey_response r ON r.id = a.response_id "
            f"LEFT JOIN p ON p.response_id = a.response_id "
            f"WHERE r.wave_id = :w AND a.item_id IN ({m_in})) "
            f"SELECT d.item_id, {', '.join(f'd.b{i}' for i in range(n_by))}, "
            f"GROUPING({', '.join(f'd.b{i}' for i in range(n_by))}), count(*) "
            f"FROM d GROUP BY GROUPING SETS ({m_sets})"
        )
        for row in (await s.execute(text(sql), m_params)).all():
            item_id, group, c = row[0], row[1 + n_by], int(row[2 + n_by])
            if group == full:
                bases[item_id] = c
                continue
            i = next(j for j in range(n_by) if not group & (1 << (n_by - 1 - j)))
            if item_id == bys[i]:
                continue
            per_item = cross_rows[bys[i]].setdefault(item_id, {})
            r = row[1 + i] or NO_ANSWER
            per_item[r] = per_item.get(r, 0) + c
    data = Counts(await respondents(s, wave_id), cells, bases)
    return data, {by: CrossCounts(by, cross_cells[by], cross_rows[by]) for by in bys}
