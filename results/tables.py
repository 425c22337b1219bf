"""Published tables: frequencies per item and cross-tabulations, after suppression.

Only this module sees exact small counts; a `Table` carries suppressed figures as text
("<5" for a figure below k, "x" for one hidden to protect others) and `value=None`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from results.aggregate import NO_ANSWER, CrossCounts, all_counts, dropouts
from results.suppression import Equation, Suppression, effective_k, suppress
from store.models import Buendnis, Gemeinde, SurveyWave

GEMEINDE_ITEM = "gemeinde"
CROSS_BY: dict[str, str] = {
    "1.2": "Altersgruppe",
    "1.1": "Aufenthaltsstatus",
    GEMEINDE_ITEM: "Gemeinde",
    "1.3": "Geschlecht",
}
NO_ANSWER_LABEL = "keine Angabe"
SECONDARY = "x"


@dataclass(frozen=True)
class CodebookItem:
    id: str
    question: str  # German item text
    kind: str  # single, multi, number, yesno, consent, text
    choices: tuple[tuple[str, str], ...]  # (code, German label)
    section: str  # Arbeitshilfe section ("1", "2", or "" for items outside it)

    @property
    def multi(self) -> bool:
        return self.kind == "multi"


@dataclass(frozen=True)
class Codebook:
    flow_id: str
    flow_version: str
    title: str
    items: tuple[CodebookItem, ...]

    @classmethod
    def from_flow(cls, flow: Any) -> Codebook:
        """From a dialogs.model.Flow (read by attribute; results does not import dialogs)."""
        items = tuple(
            CodebookItem(
                it.id,
                it.text,
                it.kind,
                _codes(it.choices),
                it.id.split(".")[0] if it.id[:1].isdigit() else "",
            )
            for it in flow.items
            if it.kind != "info"
        )
        return cls(flow.id, flow.version, flow.title, items)

    def item(self, item_id: str) -> CodebookItem | None:
        return next((it for it in self.items if it.id == item_id), None)


@dataclass(frozen=True)
class Cell:
    value: int | None  # None when suppressed
    shown: str

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass
class Table:
    item: CodebookItem
    by: str | None  # cross-tab variable (item id), None for a frequency table
    by_label: str
    rows: list[tuple[str, str]]  # (code, label)
    cols: list[tuple[str, str]]
    cells: list[list[Cell]]
    row_totals: list[Cell]
    col_totals: list[Cell]
    total: Cell

    @property
    def title(self) -> str:
        base = f"{self.item.id} {self.item.question}"
        return base if self.by is None else f"{base} — nach {self.by_label}"


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


def _cells(values: Sequence[int], sup: Suppression, k: int) -> list[Cell]:
    out = []
    for i, v in enumerate(values):
        if i in sup.primary:
            out.append(Cell(None, f"<{k}"))
        elif i in sup.secondary:
            out.append(Cell(None, SECONDARY))
        else:
            out.append(Cell(int(v), str(int(v))))
    return out


def _columns(
    item: CodebookItem, seen: Iterable[str], labels: dict[str, str]
) -> list[tuple[str, str]]:
    cols = [(code, label) for code, label in item.choices]
    known = {c for c, _ in cols}
    extra = sorted(set(seen) - known - {NO_ANSWER}, key=_sort_key)
    cols += [(c, labels.get(c, c)) for c in extra]
    if NO_ANSWER in set(seen):  # only when someone skipped
        cols.append((NO_ANSWER, NO_ANSWER_LABEL))
    return cols


def _sort_key(code: str) -> tuple[int, float, str]:
    try:
        return (0, float(code), code)
    except ValueError:
        return (1, 0.0, code)


def frequency_table(
    item: CodebookItem,
    cells: dict[str, int],
    base: int,
    k: int,
    labels: dict[str, str] | None = None,
) -> tuple[Table, Suppression]:
    cols = _columns(item, cells, labels or {})
    values = [cells.get(c, 0) for c, _ in cols] + [base]
    n = len(cols)
    equations = [] if item.multi else [Equation(n, tuple(range(n)))]
    sup = suppress(values, equations, k)
    shown = _cells(values, sup, k)
    table = Table(
        item, None, "", [("alle", "Alle")], cols, [shown[:n]], [shown[n]], shown[:n], shown[n]
    )
    return table, sup


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
) -> Table:
    cols = freq.cols
    r_n, c_n = len(rows), len(cols)
    values = [cells.get((r, c), 0) for r, _ in rows for c, _ in cols]
    values += [row_bases.get(r, 0) for r, _ in rows]
    col_totals = [sum(cells.get((r, c), 0) for r, _ in rows) for c, _ in cols]
    values += col_totals
    values.append(sum(row_bases.get(r, 0) for r, _ in rows))
    row_at, col_at, total_at = r_n * c_n, r_n * c_n + r_n, r_n * c_n + r_n + c_n
    equations = [Equation(col_at + c, tuple(r * c_n + c for r in range(r_n))) for c in range(c_n)]
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
    fixed = frozenset(range(col_at, total_at + 1)) - forced
    sup = suppress(values, equations, k, forced=frozenset(forced), fixed=fixed)
    shown = _cells(values, sup, k)
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


async def build_report(s: AsyncSession, wave_id: int, codebook: Codebook) -> Report:
    wave = await s.get(SurveyWave, wave_id)
    if wave is None:
        raise LookupError(f"no wave with id {wave_id}")
    if wave.flow_id != codebook.flow_id:
        raise ValueError(f"wave {wave_id} belongs to flow {wave.flow_id!r}")
    buendnis = await s.get(Buendnis, wave.buendnis_id)
    assert buendnis is not None
    k = effective_k(buendnis.suppression_k)
    multi = frozenset(it.id for it in codebook.items if it.multi)
    bys = [by for by in CROSS_BY if codebook.item(by) is not None]
    data, crosses = await all_counts(s, wave_id, bys, multi)
    gemeinden = list(
        (await s.execute(select(Gemeinde).where(Gemeinde.buendnis_id == buendnis.id))).scalars()
    )
    group_of, labels, merged = _gemeinde_groups(gemeinden, data.cells.get(GEMEINDE_ITEM, {}), k)
    gemeinde_cells = _regroup(data.cells.get(GEMEINDE_ITEM, {}), group_of)
    freqs: list[Table] = []
    freq_sup: dict[str, tuple[Table, Suppression]] = {}
    for item in codebook.items:
        if item.kind == "text" and item.id != GEMEINDE_ITEM:
            continue
        if item.id not in data.bases:
            continue
        if item.id == GEMEINDE_ITEM:
            g_item = CodebookItem(item.id, item.question, "single", (), item.section)
            table, sup = frequency_table(g_item, gemeinde_cells, data.bases[item.id], k, labels)
        else:
            table, sup = frequency_table(item, data.cells.get(item.id, {}), data.bases[item.id], k)
        freqs.append(table)
        freq_sup[item.id] = (table, sup)
    crosstabs: list[Table] = []
    for by, by_label in CROSS_BY.items():
        if by not in data.bases:
            continue
        cross: CrossCounts = crosses[by]
        by_item = codebook.item(by)
        if by == GEMEINDE_ITEM:
            row_codes = sorted(
                {group_of.get(c, c) for c in gemeinde_cells}, key=lambda c: labels.get(c, c)
            )
            rows = [(c, labels.get(c, c)) for c in row_codes if c != NO_ANSWER]
        else:
            rows = list(by_item.choices) if by_item else []
        rows.append((NO_ANSWER, NO_ANSWER_LABEL))
        for item in codebook.items:
            if item.id == by or item.id not in freq_sup or item.id == GEMEINDE_ITEM:
                continue
            cells = cross.cells.get(item.id, {})
            bases = cross.rows.get(item.id, {})
            if by == GEMEINDE_ITEM:
                cells = _regroup_pairs(cells, group_of)
                bases = _regroup(bases, group_of)
            freq, sup = freq_sup[item.id]
            item_rows = [r for r in rows if r[0] != NO_ANSWER or bases.get(NO_ANSWER)]
            crosstabs.append(cross_table(item, by, by_label, item_rows, cells, bases, freq, sup, k))
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
        freqs,
        crosstabs,
        drop_cells,
        merged,
    )


def _gemeinde_groups(
    gemeinden: list[Gemeinde], counted: dict[str, int], k: int
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


def _regroup_pairs(
    cells: dict[tuple[str, str], int], group_of: dict[str, str]
) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for (row, col), n in cells.items():
        key = (group_of.get(row, row), col)
        out[key] = out.get(key, 0) + n
    return out


def _codes(choices: Any) -> tuple[tuple[str, str], ...]:
    """(code, label) once per code: a filtered XLSForm list may name a code twice."""
    found: dict[str, str] = {}
    for c in choices:
        found.setdefault(c.code, c.label)
    return tuple(found.items())
