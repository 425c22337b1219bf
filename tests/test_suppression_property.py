"""Property: from every published figure of a frequency table and its cross-tabulation
(cells, row and column totals, totals), no suppressed figure can be recomputed by any
combination of the linear relations between them. The attacker here is independent of the
implementation: exact Gaussian elimination over the rationals."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from results.suppression import Equation, determined, suppress
from results.tables import (
    CodebookItem,
    Frequencies,
    cross_table,
    frequency_table,
    frequency_tables,
)


def solvable(hidden: list[str], equations: list[dict[str, int]]) -> set[str]:
    """Which unknowns are uniquely determined by the equations (coefficients over names)."""
    rows = [[Fraction(eq.get(h, 0)) for h in hidden] for eq in equations]
    rows = [r for r in rows if any(r)]
    # reduced row echelon form
    pivots: list[int] = []
    r = 0
    for c in range(len(hidden)):
        pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        rows[r] = [x / rows[r][c] for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
    # x_c is determined iff some row of the RREF is exactly e_c
    found = set()
    for row in rows[:r]:
        nonzero = [c for c, x in enumerate(row) if x != 0]
        if len(nonzero) == 1:
            found.add(hidden[nonzero[0]])
    return found


def attack(freq, cross, overlapping_rows: bool = False) -> set[str]:
    """Unknown names: f:<col>, f:total, c:<r>:<c>, r:<r>, t:<c>, t:total. A published
    figure is a constant; equations are the additive relations a reader knows (rows of a
    multiple-choice row variable overlap: then columns and row totals do not add up)."""
    known: dict[str, int] = {}
    names: list[str] = []

    def note(name: str, cell) -> None:
        names.append(name)
        if cell.value is not None:
            known[name] = cell.value

    for c, cell in enumerate(freq.cells[0]):
        note(f"f:{c}", cell)
    note("f:total", freq.total)
    for r, row in enumerate(cross.cells):
        for c, cell in enumerate(row):
            note(f"c:{r}:{c}", cell)
    for r, cell in enumerate(cross.row_totals):
        note(f"r:{r}", cell)
    for c, cell in enumerate(cross.col_totals):
        note(f"t:{c}", cell)
    note("t:total", cross.total)
    rel: list[dict[str, int]] = []
    n_rows, n_cols = len(cross.cells), len(cross.cols)
    single = not freq.item.multi
    if single:
        rel.append({**{f"f:{c}": 1 for c in range(n_cols)}, "f:total": -1})
        for r in range(n_rows):
            rel.append({**{f"c:{r}:{c}": 1 for c in range(n_cols)}, f"r:{r}": -1})
        rel.append({**{f"t:{c}": 1 for c in range(n_cols)}, "t:total": -1})
    for c in range(n_cols):
        if not overlapping_rows:
            rel.append({**{f"c:{r}:{c}": 1 for r in range(n_rows)}, f"t:{c}": -1})
        rel.append({f"t:{c}": 1, f"f:{c}": -1})  # the same figure in both tables
    if not overlapping_rows:
        rel.append({**{f"r:{r}": 1 for r in range(n_rows)}, "t:total": -1})
    rel.append({"t:total": 1, "f:total": -1})
    unknown = [n for n in names if n not in known]
    # published figures move to the right-hand side: only the unknown coefficients matter
    return solvable(unknown, [{k: v for k, v in eq.items() if k not in known} for eq in rel])


grids = st.integers(1, 5).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(0, 30), min_size=cols, max_size=cols),
            min_size=rows,
            max_size=rows,
        )
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=grids, k=st.integers(3, 8), multi=st.booleans())
def test_no_suppressed_figure_can_be_recomputed(grid, k, multi):
    n_rows, n_cols = len(grid), len(grid[0])
    item = CodebookItem(
        "x",
        "Frage",
        "multi" if multi else "single",
        tuple((f"c{c}", f"C{c}") for c in range(n_cols)),
        "1",
    )
    rows = [(f"r{r}", f"R{r}") for r in range(n_rows)]
    cells = {(f"r{r}", f"c{c}"): grid[r][c] for r in range(n_rows) for c in range(n_cols)}
    if multi:  # a respondent may pick several options: the row base is at least the max
        bases = {f"r{r}": max(grid[r]) + (r % 3) for r in range(n_rows)}
    else:
        bases = {f"r{r}": sum(grid[r]) for r in range(n_rows)}
    col = {f"c{c}": sum(grid[r][c] for r in range(n_rows)) for c in range(n_cols)}
    freq, freq_sup = frequency_table(item, col, sum(bases.values()), k)
    cross = cross_table(item, "b", "B", rows, cells, bases, freq, freq_sup, k)
    for table in (freq, cross):
        figures = [c for row in table.cells for c in row] + table.row_totals + [table.total]
        assert all(c.value is None or c.value >= k for c in figures)
        assert all(c.shown == f"<{k}" for c in figures if c.value is None and c.shown != "x")
    assert attack(freq, cross) == set()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid=grids, k=st.integers(3, 8), extra=st.lists(st.integers(0, 6), min_size=5, max_size=5))
def test_no_figure_can_be_recomputed_when_rows_overlap(grid, k, extra):
    """A cross-table by a multiple-choice item: a respondent is in several rows, so only the
    rows and the frequency table relate the figures; nothing hidden may follow from them."""
    n_rows, n_cols = len(grid), len(grid[0])
    item = CodebookItem(
        "x", "Frage", "single", tuple((f"c{c}", f"C{c}") for c in range(n_cols)), "1"
    )
    rows = [(f"r{r}", f"R{r}") for r in range(n_rows)]
    cells = {(f"r{r}", f"c{c}"): grid[r][c] for r in range(n_rows) for c in range(n_cols)}
    bases = {f"r{r}": sum(grid[r]) for r in range(n_rows)}
    col = {f"c{c}": max(g[c] for g in grid) + extra[c] for c in range(n_cols)}
    freq, freq_sup = frequency_table(item, col, sum(col.values()), k)
    totals = [*col.values(), sum(col.values())]
    cross = cross_table(
        item, "b", "B", rows, cells, bases, freq, freq_sup, k, by_multi=True, totals=totals
    )
    assert [c.value for c in cross.col_totals] == [c.value for c in freq.cells[0]]
    figures = [c for row in cross.cells for c in row] + cross.row_totals + [cross.total]
    assert all(c.value is None or c.value >= k for c in figures)
    assert attack(freq, cross, overlapping_rows=True) == set()


def test_the_attack_finds_a_cell_that_only_primary_suppression_would_leave():
    """The attacker is not toothless: hide only the small cell and it is recomputed."""
    values = [2, 10, 12]
    eq = [Equation(2, (0, 1))]
    assert determined(eq, {0}) == {0}
    assert solvable(["a"], [{"a": 1}]) == {"a"}
    assert suppress(values, eq, 5).hidden == {0, 1}


def test_the_attack_recovers_cells_of_a_cross_tab_without_secondary_suppression():
    import dataclasses

    from results.tables import Cell

    grid = [[2, 10, 8], [9, 9, 9], [11, 19, 17]]
    item = CodebookItem("x", "Frage", "single", (("a", "A"), ("b", "B"), ("c", "C")), "1")
    rows = [("r0", "R0"), ("r1", "R1"), ("r2", "R2")]
    cells = {(r, c): grid[i][j] for i, (r, _) in enumerate(rows) for j, c in enumerate("abc")}
    bases = {r: sum(grid[i]) for i, (r, _) in enumerate(rows)}
    col = {c: sum(g[j] for g in grid) for j, c in enumerate("abc")}
    freq, freq_sup = frequency_table(item, col, sum(bases.values()), 5)
    cross = cross_table(item, "b", "B", rows, cells, bases, freq, freq_sup, 5)
    assert attack(freq, cross) == set()
    # reveal the secondary ("x") cells: now the small cell is recomputed
    revealed = [
        [Cell(grid[i][j], str(grid[i][j])) if c.shown == "x" else c for j, c in enumerate(row)]
        for i, row in enumerate(cross.cells)
    ]
    assert any(c.shown == "x" for row in cross.cells for c in row)
    assert attack(freq, dataclasses.replace(cross, cells=revealed)) == {"c:0:0"}


def _figures(table, prefix: str) -> tuple[list[str], dict[str, int], list[str]]:
    """Names of a frequency table's figures, the published ones, and its cells' names."""
    names = [f"{prefix}:{c}" for c in range(len(table.cells[0]))] + [f"{prefix}:total"]
    cells = [*table.cells[0], table.total]
    known = {n: c.value for n, c in zip(names, cells, strict=True) if c.value is not None}
    return names, known, names[:-1]


def skip_logic_attack(parent, child, asked: list[bool]) -> set[str]:
    """The reader knows the flow: the follow-up's base is the sum of the parent's cells whose
    category asks it. Unknowns: p:<c>, p:total, f:<c>, f:total."""
    p_names, p_known, p_cells = _figures(parent, "p")
    f_names, f_known, f_cells = _figures(child, "f")
    known = p_known | f_known
    hidden = [n for n in p_names + f_names if n not in known]
    relations = [
        (p_cells, "p:total"),
        (f_cells, "f:total"),
        ([n for n, a in zip(p_cells, asked, strict=True) if a], "f:total"),
    ]
    equations = []
    for parts, whole in relations:
        eq: dict[str, int] = {}
        for p in parts:
            if p not in known:
                eq[p] = eq.get(p, 0) + 1
        if whole not in known:
            eq[whole] = eq.get(whole, 0) - 1
        equations.append(eq)
    return solvable(hidden, equations)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parent=st.lists(st.integers(0, 30), min_size=3, max_size=6),
    asked=st.lists(st.booleans(), min_size=6, max_size=6),
    share=st.lists(st.integers(0, 100), min_size=3, max_size=3),
    k=st.integers(3, 8),
)
def test_no_figure_can_be_recomputed_through_skip_logic(parent, asked, share, k):
    """A follow-up asked only on some of a parent's answers (like 1.14 when 1.13 > 0): its
    base equals those parent cells' sum, and nothing hidden in either table may follow."""
    asked = asked[: len(parent)]
    assume(any(asked))  # a follow-up no answer asks is never in the results
    codes = [f"c{c}" for c in range(len(parent))]
    condition = {code for code, a in zip(codes, asked, strict=True) if a}
    p_item = CodebookItem("p", "Eltern", "single", tuple((c, c.upper()) for c in codes), "1")
    f_item = CodebookItem(
        "f",
        "Folge",
        "single",
        (("ja", "Ja"), ("nein", "Nein"), ("vielleicht", "Vielleicht")),
        "1",
        asked_when=("p", lambda category: category in condition),
    )
    p_cells = dict(zip(codes, parent, strict=True))
    base = sum(n for code, n in p_cells.items() if code in condition)
    yes = base * share[0] // 100
    no = (base - yes) * share[1] // 100
    f_cells = {"ja": yes, "nein": no, "vielleicht": base - yes - no}
    (p_table, _), (f_table, _) = frequency_tables(
        [Frequencies(p_item, p_cells, sum(parent)), Frequencies(f_item, f_cells, base)],
        k,
        links=[(0, 1)],
    )
    for table in (p_table, f_table):
        assert all(c.value is None or c.value >= k for c in [*table.cells[0], table.total])
    assert skip_logic_attack(p_table, f_table, asked) == set()


def test_skip_logic_recovers_cells_when_suppression_ignores_it():
    """The attacker is not toothless: suppress the two tables apart and the follow-up's base
    gives the hidden parent cells away."""
    p_item = CodebookItem("p", "Eltern", "single", (("0", "0"), ("1", "1"), ("2", "2")), "1")
    f_item = CodebookItem(
        "f",
        "Folge",
        "single",
        (("ja", "Ja"), ("nein", "Nein")),
        "1",
        asked_when=("p", lambda category: category != "1"),
    )
    p_cells, f_cells = {"0": 3, "1": 6, "2": 20}, {"ja": 12, "nein": 11}
    alone = [
        frequency_tables([Frequencies(p_item, p_cells, 29)], 5)[0][0],
        frequency_tables([Frequencies(f_item, f_cells, 23)], 5)[0][0],
    ]
    assert skip_logic_attack(*alone, [True, False, True]) == {"p:0", "p:1"}  # 23 - 20 = 3
    together = frequency_tables(
        [Frequencies(p_item, p_cells, 29), Frequencies(f_item, f_cells, 23)], 5, links=[(0, 1)]
    )
    assert skip_logic_attack(together[0][0], together[1][0], [True, False, True]) == set()
