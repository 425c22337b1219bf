"""Published tables: frequencies per item and cross-tabulations, after suppression.

Only this module sees exact small counts; a `Table` carries suppressed figures as text
("<5" for a figure below k, "x" for one hidden to protect others) and `value=None`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from base.workers import files
from results.aggregate import NO_ANSWER, Counts, CrossCounts, WaveData, dropouts, wave_data
from results.codebook import Codebook, CodebookItem, breakdown_items
from results.frequencies import (
    NO_ANSWER_LABEL,
    SECONDARY,
    Cell,
    Frequencies,
    Table,
    frequency_table,
    frequency_tables,
    linked,
    shown_cells,
)
from results.suppression import Equation, Suppression, effective_k, one_blas_thread, suppress
from store.models import Buendnis, Gemeinde, SurveyWave

__all__ = [
    "NO_ANSWER_LABEL",
    "SECONDARY",
    "Cell",
    "Codebook",
    "CodebookItem",
    "Frequencies",
    "Report",
    "Table",
    "build_report",
    "frequency_table",
    "frequency_tables",
    "requested_pairs",
    "standard_pairs",
]


@dataclass
class Report:
    buendnis: str
    wave_id: int
    wave_title: str
    codebook: Codebook
    n: int
    k: int
    frequencies: list[Table]
    crosstabs: list[Table]
    dropouts: list[tuple[str, Cell]]
    merged: dict[str, str] = field(default_factory=dict)  # Gemeinde name -> published group

    @property
    def notice(self) -> str:
        return (
            f"Selbstselektierte Stichprobe, keine Verwaltungszahlen; n = {self.n}, "
            f"Unterdrückung k = {self.k} (Werte unter {self.k} als „<{self.k}“, "
            f"zum Schutz zusätzlich verdeckte Werte als „{SECONDARY}“)"
        )

    @property
    def notice_en(self) -> str:
        return f"self-selected sample, n = {self.n}, suppression k = {self.k}"


# ---------------------------------------------------------------- building


def cross_table(
    item: CodebookItem,
    by: str,
    by_label: str,
    rows: list[tuple[str, str]],
    cells: dict[tuple[str, str], int],
    row_bases: dict[str, int],
    freq: Table,
    freq_sup: Suppression,
    k: int,
    *,
    by_multi: bool = False,
    totals: Sequence[int] | None = None,
    hidden_rows: frozenset[int] = frozenset(),
) -> Table:
    """`item` (columns) by `by` (rows). Column totals and the total are the frequency
    table's figures (`totals`: its raw cells and base; by default the column sums, which are
    the same when `by` is single-valued). Rows of a multiple-choice `by` overlap, so its
    columns do not add up. `hidden_rows`: rows whose category the `by` item's own frequency
    table hides; their totals stay hidden here."""
    cols = freq.cols
    r_n, c_n = len(rows), len(cols)
    values = [cells.get((r, c), 0) for r, _ in rows for c, _ in cols]
    values += [row_bases.get(r, 0) for r, _ in rows]
    if totals is None:
        totals = [sum(cells.get((r, c), 0) for r, _ in rows) for c, _ in cols]
        totals = [*totals, sum(row_bases.get(r, 0) for r, _ in rows)]
    values += list(totals)
    row_at, col_at, total_at = r_n * c_n, r_n * c_n + r_n, r_n * c_n + r_n + c_n
    equations = []
    if not by_multi:
        equations += [
            Equation(col_at + c, tuple(r * c_n + c for r in range(r_n))) for c in range(c_n)
        ]
        equations.append(Equation(total_at, tuple(row_at + r for r in range(r_n))))
    if not item.multi:
        equations += [
            Equation(row_at + r, tuple(r * c_n + c for c in range(c_n))) for r in range(r_n)
        ]
        equations.append(Equation(total_at, tuple(col_at + c for c in range(c_n))))
    # Column totals and the total are the frequency table's figures: what it hides stays
    # hidden here, and what it shows is known here (never hidden, protected around).
    forced = {col_at + c for c in range(c_n) if c in freq_sup.hidden}
    if c_n in freq_sup.hidden:
        forced.add(total_at)
    forced |= {row_at + r for r in hidden_rows}
    fixed = frozenset(range(col_at, total_at + 1)) - forced
    sup = suppress(values, equations, k, forced=frozenset(forced), fixed=fixed)
    shown = shown_cells(values, sup, k)
    grid = [shown[r * c_n : (r + 1) * c_n] for r in range(r_n)]
    return Table(
        item,
        by,
        by_label,
        rows,
        cols,
        grid,
        shown[row_at:col_at],
        shown[col_at:total_at],
        shown[total_at],
    )


@dataclass
class _Published:
    """A frequency table with what cross-tables need of it."""

    table: Table
    sup: Suppression
    values: list[int]  # raw cells and base


def standard_pairs(codebook: Codebook, items: Iterable[str]) -> list[tuple[str, str]]:
    """(item, by): every item with a frequency table (`items`) by each breakdown dimension."""
    have = set(items)
    return [
        (item.id, by)
        for by in breakdown_items(codebook)
        if by in have
        for item in codebook.items
        if item.id in have and item.id not in (by, codebook.gemeinde)
    ]


def requested_pairs(
    codebook: Codebook, item: str | None, by: str | None
) -> list[tuple[str, str]] | None:
    """The cross-tables one request asks for: `item` by `by`; every item by `by`; `item` by
    each breakdown dimension; or (neither) None, the standard set."""
    if item and by:
        return [(item, by)]
    if by:
        return [(it.id, by) for it in codebook.items]
    if item:
        return [(item, b) for b in breakdown_items(codebook)]
    return None


async def build_report(
    s: AsyncSession,
    wave_id: int,
    codebook: Codebook,
    pairs: Sequence[tuple[str, str]] | None = None,
) -> Report:
    """The wave's suppressed frequency tables and cross-tables `pairs` ((item, by) item ids,
    any two coded items; default: `standard_pairs`). Pairs without data are left out."""
    wave = await s.get(SurveyWave, wave_id)
    if wave is None:
        raise LookupError(f"no wave with id {wave_id}")
    if wave.flow_id != codebook.flow_id:
        raise ValueError(f"wave {wave_id} belongs to flow {wave.flow_id!r}")
    buendnis = await s.get(Buendnis, wave.buendnis_id)
    assert buendnis is not None
    k = effective_k(buendnis.suppression_k)
    data = await wave_data(s, wave_id)
    places = [
        _Place(g.id, g.name, g.kreis)
        for g in (
            await s.execute(select(Gemeinde).where(Gemeinde.buendnis_id == buendnis.id))
        ).scalars()
    ]
    # counting and suppressing every table is CPU work (0.15-0.2 s for a large wave): in the
    # file process, so the event loop keeps answering meanwhile
    published, crosstabs, merged = await files.run(_count, codebook, data, places, k, pairs)
    drops = await dropouts(s, codebook.flow_id, codebook.flow_version)
    drop_cells = [
        (item, Cell(None, f"<{k}") if n < k else Cell(n, str(n))) for item, n in drops.items()
    ]
    return Report(
        buendnis.code,
        wave_id,
        wave.title,
        codebook,
        data.respondents,
        k,
        published,
        crosstabs,
        drop_cells,
        merged,
    )


class _Place(NamedTuple):
    id: int
    name: str
    kreis: str | None


def _count(
    codebook: Codebook,
    data: WaveData,
    places: list[_Place],
    k: int,
    pairs: Sequence[tuple[str, str]] | None,
) -> tuple[list[Table], list[Table], dict[str, str]]:
    """The suppressed frequency tables, the cross-tables `pairs` (default: the standard
    ones) and the merged Gemeinden of a wave's data."""
    with one_blas_thread():
        counts = data.counts()
        cells = counts.cells.get(codebook.gemeinde or "", {})
        group_of, labels, merged = _gemeinde_groups(places, cells, k)
        published = _frequencies(codebook, counts, group_of, labels, k)
        if pairs is None:
            pairs = standard_pairs(codebook, published)
        crosstabs = _crosstabs(codebook, data, published, pairs, group_of, k)
    return [p.table for p in published.values()], crosstabs, merged


def _frequencies(
    codebook: Codebook,
    counts: Counts,
    group_of: dict[str, str],
    labels: dict[str, str],
    k: int,
) -> dict[str, _Published]:
    specs: dict[str, Frequencies] = {}
    for item in codebook.items:
        if not item.coded or item.id not in counts.bases:
            continue
        cells = counts.cells.get(item.id, {})
        if item.id == codebook.gemeinde:  # merged Gemeinden, in the order of their names
            cells = _regroup(cells, group_of)
            named = sorted((c for c in cells if c != NO_ANSWER), key=lambda c: labels.get(c, c))
            choices = tuple((c, labels.get(c, c)) for c in named)
            item = CodebookItem(item.id, item.question, "single", choices, item.section, item.role)
        specs[item.id] = Frequencies(item, cells, counts.bases[item.id], labels)
    published: dict[str, _Published] = {}
    for group in linked(specs):  # items tied by skip logic are suppressed together
        chosen = [specs[i] for i in group]
        at = {item_id: n for n, item_id in enumerate(group)}
        links = [
            (at[f.item.asked_when[0]], at[f.item.id])
            for f in chosen
            if f.item.asked_when is not None and f.item.asked_when[0] in at
        ]
        for f, (table, sup) in zip(chosen, frequency_tables(chosen, k, links), strict=True):
            values = [f.cells.get(c, 0) for c, _ in table.cols] + [f.base]
            published[f.item.id] = _Published(table, sup, values)
    return {i: published[i] for i in specs}


def _crosstabs(
    codebook: Codebook,
    data: WaveData,
    published: dict[str, _Published],
    pairs: Sequence[tuple[str, str]],
    group_of: dict[str, str],
    k: int,
) -> list[Table]:
    wanted = [(i, by) for i, by in pairs if i != by and i in published and by in published]
    crosses: dict[str, CrossCounts] = {}
    for by in dict.fromkeys(by for _, by in wanted):
        crosses[by] = data.cross(by, [i for i, b in wanted if b == by])
    breakdown = breakdown_items(codebook)
    tables = []
    for item_id, by in wanted:
        row_of = published[by]
        by_item = row_of.table.item
        label = breakdown.get(by) or f"{by} {by_item.question}"
        cells = crosses[by].cells.get(item_id, {})
        bases = crosses[by].rows.get(item_id, {})
        if by == codebook.gemeinde:
            cells = _regroup_side(cells, group_of, 0)
            bases = _regroup(bases, group_of)
        if item_id == codebook.gemeinde:
            cells = _regroup_side(cells, group_of, 1)
        rows = [c for c in row_of.table.cols if c[0] != NO_ANSWER]
        if bases.get(NO_ANSWER):
            rows.append((NO_ANSWER, NO_ANSWER_LABEL))
        hidden = {c for i, (c, _) in enumerate(row_of.table.cols) if i in row_of.sup.hidden}
        col = published[item_id]
        tables.append(
            cross_table(
                col.table.item,
                by,
                label,
                rows,
                cells,
                bases,
                col.table,
                col.sup,
                k,
                by_multi=by_item.multi,
                totals=col.values,
                hidden_rows=frozenset(r for r, (c, _) in enumerate(rows) if c in hidden),
            )
        )
    return tables


def _gemeinde_groups(
    gemeinden: list[_Place], counted: dict[str, int], k: int
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Gemeinden with fewer than k responses are merged into their Kreis."""
    group_of: dict[str, str] = {}
    labels: dict[str, str] = {"unbekannt": "andere / nicht erkannt", NO_ANSWER: NO_ANSWER_LABEL}
    merged: dict[str, str] = {}
    for g in gemeinden:
        code = f"g{g.id}"
        if counted.get(code, 0) < k and g.kreis:
            group = f"kreis:{g.kreis}"
            group_of[code] = group
            labels[group] = f"{g.kreis} (übrige Gemeinden)"
            merged[g.name] = labels[group]
        else:
            labels[code] = g.name
    return group_of, labels, merged


def _regroup(cells: dict[str, int], group_of: dict[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for code, n in cells.items():
        key = group_of.get(code, code)
        out[key] = out.get(key, 0) + n
    return out


def _regroup_side(
    cells: dict[tuple[str, str], int], group_of: dict[str, str], side: int
) -> dict[tuple[str, str], int]:
    """Cells with the Gemeinde on `side` (0: row, 1: column) merged into its group."""
    out: dict[tuple[str, str], int] = {}
    for pair, n in cells.items():
        key = list(pair)
        key[side] = group_of.get(key[side], key[side])
        out[(key[0], key[1])] = out.get((key[0], key[1]), 0) + n
    return out
