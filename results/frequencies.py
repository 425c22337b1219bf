"""Frequency tables: their cells as published (a figure, "<k" or "x") and their suppression,
together with the relations skip logic implies between the tables of linked items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from results.aggregate import NO_ANSWER
from results.codebook import CodebookItem
from results.suppression import Equation, Suppression, suppress

NO_ANSWER_LABEL = "keine Angabe"
SECONDARY = "x"


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


def shown_cells(values: Sequence[int], sup: Suppression, k: int) -> list[Cell]:
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


@dataclass(frozen=True)
class Frequencies:
    """What one frequency table counts, before suppression."""

    item: CodebookItem
    cells: dict[str, int]
    base: int
    labels: dict[str, str] = field(default_factory=dict)


def frequency_table(
    item: CodebookItem,
    cells: dict[str, int],
    base: int,
    k: int,
    labels: dict[str, str] | None = None,
) -> tuple[Table, Suppression]:
    [out] = frequency_tables([Frequencies(item, cells, base, labels or {})], k)
    return out


def frequency_tables(
    specs: Sequence[Frequencies], k: int, links: Sequence[tuple[int, int]] = ()
) -> list[tuple[Table, Suppression]]:
    """Frequency tables suppressed together with the relations between them: `links` are
    (parent, child) positions where the child is asked only on some of the parent's
    categories (`asked_when`), so the child's base is the sum of those parent cells — a
    reader who knows the flow knows that equation too."""
    cols = [_columns(f.item, f.cells, f.labels) for f in specs]
    values: list[int] = []
    starts: list[int] = []
    equations: list[Equation] = []
    for f, cs in zip(specs, cols, strict=True):
        at = len(values)
        starts.append(at)
        values += [f.cells.get(c, 0) for c, _ in cs] + [f.base]
        if not f.item.multi:
            equations.append(Equation(at + len(cs), tuple(range(at, at + len(cs)))))
    for parent, child in links:
        condition = specs[child].item.asked_when
        if condition is None:
            continue
        asked = condition[1]
        parts = tuple(starts[parent] + i for i, (c, _) in enumerate(cols[parent]) if asked(c))
        if parts:
            equations.append(Equation(starts[child] + len(cols[child]), parts))
    sup = suppress(values, equations, k)
    out = []
    for f, cs, at in zip(specs, cols, starts, strict=True):
        n = len(cs)
        mine = range(at, at + n + 1)
        own = Suppression(
            frozenset(i - at for i in sup.primary if i in mine),
            frozenset(i - at for i in sup.secondary if i in mine),
        )
        shown = shown_cells(values[at : at + n + 1], own, k)
        table = Table(
            f.item, None, "", [("alle", "Alle")], cs, [shown[:n]], [shown[n]], shown[:n], shown[n]
        )
        out.append((table, own))
    return out


def linked(specs: dict[str, Frequencies]) -> list[list[str]]:
    """Groups of item ids connected by `asked_when` (each alone when there is none)."""
    group_of = {i: i for i in specs}

    def root(i: str) -> str:
        while group_of[i] != i:
            i = group_of[i]
        return i

    for f in specs.values():
        if f.item.asked_when is not None and f.item.asked_when[0] in specs:
            group_of[root(f.item.id)] = root(f.item.asked_when[0])
    groups: dict[str, list[str]] = {}
    for i in specs:
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())
