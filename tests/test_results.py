"""Aggregation in SQL and suppression in the published tables (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from dialogs.loader import load_flow
from results.tables import Codebook, build_report
from store.demo import load_demo
from tests.helpers import FLOWS
from tests.results_data import random_people, seed_wave

SURVEY = load_flow(FLOWS / "befragung-lebenslage.yaml")
CODEBOOK = Codebook.from_flow(SURVEY)


@pytest.fixture
async def seeded(db):
    await load_demo(db)
    return db


def _table(report, item, by=None):
    tables = report.frequencies if by is None else report.crosstabs
    return next(t for t in tables if t.item.id == item and t.by == by)


async def test_frequencies_count_respondents_and_suppress_small_cells(seeded):
    people = [{"1.2": "18-20", "1.5": "wohnung"}] * 7 + [{"1.2": "21-24", "1.5": "unterkunft"}] * 2
    people += [{"1.2": "21-24", "1.5": None}] * 6
    wave = await seed_wave(seeded, SURVEY, people)
    async with seeded() as s:
        report = await build_report(s, wave, CODEBOOK)
    assert report.n == 15 and report.k == 5
    assert "n = 15" in report.notice and "k = 5" in report.notice
    t = _table(report, "1.5")
    shown = {code: c.shown for (code, _), c in zip(t.cols, t.cells[0], strict=True)}
    # unterkunft 2 < 5 and wohnung 7 hidden too (else 15 - 7 - 6 gives the 2 back)
    assert shown["unterkunft"] == "<5" and shown["keine_angabe"] in ("6", "x")
    assert sum(c.suppressed for c in t.cells[0]) >= 2
    assert t.total.value == 15


async def test_multiple_choice_counts_each_option_with_respondents_as_base(seeded):
    people = [{"2.2": ["sprache", "arbeit"]}] * 6 + [{"2.2": ["sprache"]}] * 5
    wave = await seed_wave(seeded, SURVEY, people)
    async with seeded() as s:
        report = await build_report(s, wave, CODEBOOK)
    t = _table(report, "2.2")
    values = {code: c.value for (code, _), c in zip(t.cols, t.cells[0], strict=True)}
    assert values["sprache"] == 11 and values["arbeit"] == 6 and t.total.value == 11


async def test_crosstab_by_age_is_grouped_in_sql_and_suppressed(seeded):
    wave = await seed_wave(seeded, SURVEY, random_people(120))
    async with seeded() as s:
        report = await build_report(s, wave, CODEBOOK)
    t = _table(report, "1.5", by="1.2")
    assert [r for r, _ in t.rows] == ["16-17", "18-20", "21-24", "25-26", "27+"]
    published = [c.value for row in t.cells for c in row if c.value is not None]
    assert all(v >= 5 for v in published)
    assert t.total.value == 120
    # row totals add up where all are shown
    for row, total in zip(t.cells, t.row_totals, strict=True):
        if total.value is not None and all(c.value is not None for c in row):
            assert sum(c.value for c in row) == total.value
    assert {t.by for t in report.crosstabs} == {"1.2", "1.1", "gemeinde", "1.3"}


async def test_small_gemeinden_are_merged_into_their_kreis(seeded):
    people = (
        [{"1.2": "18-20", "gemeinde": "@Moers"}] * 9
        + [{"1.2": "18-20", "gemeinde": "@Rheinberg"}] * 2
        + [{"1.2": "21-24", "gemeinde": "@Kamp-Lintfort"}] * 3
    )
    wave = await seed_wave(seeded, SURVEY, people)
    async with seeded() as s:
        report = await build_report(s, wave, CODEBOOK)
    t = _table(report, "gemeinde")
    labels = dict(t.cols)
    assert "Moers" in labels.values() and "Kreis Wesel (übrige Gemeinden)" in labels.values()
    assert "Rheinberg" not in labels.values() and "Kamp-Lintfort" not in labels.values()
    values = {labels[c]: cell.value for (c, _), cell in zip(t.cols, t.cells[0], strict=True)}
    assert values["Moers"] == 9 and values["Kreis Wesel (übrige Gemeinden)"] == 5
    assert report.merged == {
        "Rheinberg": "Kreis Wesel (übrige Gemeinden)",
        "Kamp-Lintfort": "Kreis Wesel (übrige Gemeinden)",
        "Neukirchen-Vluyn": "Kreis Wesel (übrige Gemeinden)",
    }


async def test_k_is_never_below_three(seeded):
    from sqlalchemy import update

    from store.models import Buendnis

    async with seeded() as s, s.begin():
        await s.execute(update(Buendnis).values(suppression_k=1))
    wave = await seed_wave(seeded, SURVEY, [{"1.5": "wohnung"}] * 2 + [{"1.5": "unterkunft"}] * 9)
    async with seeded() as s:
        report = await build_report(s, wave, CODEBOOK)
    assert report.k == 3
    t = _table(report, "1.5")
    assert t.cells[0][1].shown == "<3"


def _recount(answers, by=None):
    """Counts straight from the unpacked answers, one response at a time (the oracle)."""
    from results.storage import NO_ANSWER, category

    people: dict[str, dict[str, set[str]]] = {}
    for rid, item, code, number in answers:
        cat = code if code is not None else NO_ANSWER if number is None else category(number)
        people.setdefault(rid, {}).setdefault(item, set()).add(cat)
    cells: dict = {}
    bases: dict = {}
    for per in people.values():
        rows = per.get(by) or {NO_ANSWER}
        for item, cats in per.items():
            if item == by:
                continue
            for r in rows if by else [None]:
                key = item if by is None else (item, r)
                bases[key] = bases.get(key, 0) + 1
                for cat in cats:
                    cell = (item, cat) if by is None else (item, r, cat)
                    cells[cell] = cells.get(cell, 0) + 1
    return cells, bases


async def test_counts_of_any_item_by_any_item_equal_a_recount_of_the_answers(seeded):
    """Frequencies and every item × item cross-count (single, multiple choice, numbers,
    Gemeinde; a wave whose responses span two layouts) equal a plain recount."""
    from results.aggregate import wave_data
    from results.storage import stored_answers

    people = random_people(150, seed=7)
    for i, p in enumerate(people[:40]):
        p["1.4"] = ["allein", "eltern"][: i % 3]  # 0, 1 or 2 codes
    for p in people[-25:]:
        p["9.9"] = "extra"  # an item the codebook does not know: a second layout
    wave = await seed_wave(seeded, SURVEY, people)
    async with seeded() as s:
        data = await wave_data(s, wave)
        answers = [tuple(a) for a in await stored_answers(s)]
    assert len(data.blocks) == 2 and data.respondents == 150
    cells, bases = _recount(answers)
    counts = data.counts()
    assert {(i, c): n for i, per in counts.cells.items() for c, n in per.items()} == cells
    assert counts.bases == bases
    assert counts.bases["2.2"] == 150 and counts.bases["1.4"] == 26
    items = data.item_ids()
    assert {"1.2", "1.4", "2.2", "1.13", "gemeinde", "9.9"} <= set(items)
    for by in items:
        cross = data.cross(by, items)
        cells, bases = _recount(answers, by)
        got = {(i, r, c): n for i, per in cross.cells.items() for (r, c), n in per.items()}
        assert got == cells, by
        assert {(i, r): n for i, per in cross.rows.items() for r, n in per.items()} == bases, by


def _shown(table, row=None):
    cells = table.cells[0] if row is None else table.row_totals
    return {
        code: c
        for (code, _), c in zip(table.cols if row is None else table.rows, cells, strict=True)
    }


async def test_a_category_hidden_in_its_frequency_table_stays_hidden_as_a_row(seeded):
    """What the row variable's own frequency table hides is not published as a row total of
    a cross-table either: here 1.1 hides "d" (9, to protect "ae" = 3), and everyone with "d"
    answered 1.14, so a published row total of 9 would give "ae" back (84 - 72 - 9)."""
    people = [{"1.1": code, "1.14": 2} for code in ("ne", "§24", "eu", "anderes")] * 10
    people += (
        [{"1.1": "ag", "1.14": 1}] * 20
        + [{"1.1": "d", "1.14": 1}] * 9
        + [{"1.1": "ae", "1.14": 1}] * 3
        + [{"1.1": "weiss_nicht", "1.14": 1}] * 6
        + [{"1.1": "weiss_nicht"}] * 6
    )
    wave = await seed_wave(seeded, SURVEY, people)
    async with seeded() as s:
        report = await build_report(s, wave, CODEBOOK, [("1.14", "1.1")])
    status = _shown(_table(report, "1.1"))
    assert status["ae"].shown == "<5" and status["d"].shown == "x"
    assert status["ag"].value == 20 and status["weiss_nicht"].value == 12
    totals = _shown(_table(report, "1.14", by="1.1"), row=True)
    assert totals["d"].suppressed and totals["ae"].suppressed
    assert totals["ag"].value == 20


async def test_any_item_by_any_item_is_published_suppressed(seeded):
    people = random_people(150, seed=11)
    for i, p in enumerate(people):
        p["1.4"] = [["allein"], ["eltern", "kinder"], ["partner"]][i % 3]
    wave = await seed_wave(seeded, SURVEY, people)
    pairs = [("1.5", "2.2"), ("gemeinde", "1.2"), ("1.13", "1.5"), ("2.2", "1.4"), ("1.5", "9.9")]
    async with seeded() as s:
        report = await build_report(s, wave, CODEBOOK, pairs)
    assert [(t.item.id, t.by) for t in report.crosstabs] == pairs[:4]  # 9.9: no such item
    by_needs, by_age, by_housing, multi = report.crosstabs
    assert by_needs.title == "1.5 Wo wohnst du? — nach 2.2 Wobei brauchst du gerade Hilfe?"
    assert [r for r, _ in by_needs.rows][:4] == ["sprache", "schule", "ausbildung", "arbeit"]
    freq = {t.item.id: t for t in report.frequencies}
    for t in report.crosstabs:
        # column totals are the frequency table's figures, whatever the rows
        assert [c.shown for c in t.col_totals] == [c.shown for c in freq[t.item.id].cells[0]]
        figures = [c for row in t.cells for c in row] + t.row_totals + [t.total]
        assert all(c.value is None or c.value >= report.k for c in figures), t.title
    # overlapping rows (need areas): their totals add up to more than the respondents
    assert sum(c.value or 0 for c in by_needs.row_totals) > by_needs.total.value
    # the Gemeinde as columns: merged like its frequency table
    assert [c for c, _ in by_age.cols] == [c for c, _ in freq["gemeinde"].cols]
    assert [c for c, _ in by_housing.cols] == ["0", "1", "2"]
    assert multi.total.value == 150


async def test_the_flows_skip_logic_ties_a_follow_ups_base_to_its_parent_cells(seeded):
    """1.14 is asked only when 1.13 > 0: its published base is the sum of 1.13's cells above
    0, so both tables are suppressed together and no hidden 1.13 cell follows from 1.14."""
    from dialogs.expr import evaluate

    codebook = Codebook.from_flow(SURVEY, evaluate)
    parent, asked = codebook.item("1.14").asked_when
    assert parent == "1.13" and not asked("0") and asked("2") and not asked("keine_angabe")
    assert Codebook.from_flow(SURVEY).item("1.14").asked_when is None  # without the evaluator
    people = (
        [{"1.13": 0}] * 6  # alone, 1.13's table would hide this one with the small cell
        + [{"1.13": 1, "1.14": 0}] * 3  # a small cell: hidden
        + [{"1.13": 2, "1.14": 1}] * 20
    )
    wave = await seed_wave(seeded, SURVEY, people)
    async with seeded() as s:
        report = await build_report(s, wave, codebook, pairs=[])
    tables = {t.item.id: t for t in report.frequencies}
    kids, kita = tables["1.13"], tables["1.14"]
    shown = {code: cell for (code, _), cell in zip(kids.cols, kids.cells[0], strict=True)}
    assert shown["1"].value is None  # 3 < k
    # 1.14's base (23) minus 1.13's "2" cell (20) would give the hidden 3: one is hidden
    assert kita.total.value is None or shown["2"].value is None
