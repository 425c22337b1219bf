"""Exports: CSV (BOM, separator), XLSX (sheet per item, codebook), JSON, FLOIP, charts;
free text scrubbed and reviewed; spreadsheet formula injection neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from base.spreadsheet import neutralise
from dialogs.loader import load_flow
from results.charts import bar_chart, charts
from results.export import bedarfsuebersicht, to_csv, to_floip, to_json, to_xlsx
from results.scrub import flags, scrub
from results.tables import Codebook, build_report
from results.texts import RETENTION_DAYS, expire_unreviewed, review, text_answers
from store.demo import load_demo
from store.models import SurveyResponse, SurveyTextAnswer
from tests.helpers import FLOWS
from tests.results_data import random_people, seed_wave

SURVEY = load_flow(FLOWS / "befragung-lebenslage.yaml")
CODEBOOK = Codebook.from_flow(SURVEY)
TEXTS = [
    "Ich brauche eine Wohnung. Meine Nummer: +49 171 2345678",
    '=HYPERLINK("http://evil.example","klick")',
    "Schreib mir: ali.k@example.org oder @ali_k_99",
]


@pytest.fixture
async def exported(db):
    await load_demo(db)
    wave = await seed_wave(db, SURVEY, random_people(80))
    async with db() as s, s.begin():
        ids = (await s.execute(select(SurveyResponse.id).order_by(SurveyResponse.id))).scalars()
        for rid, text in zip(ids, TEXTS, strict=False):
            s.add(SurveyTextAnswer(response_id=rid, item_id="2.18", text=text))
    async with db() as s:
        report = await build_report(s, wave, CODEBOOK)
        pending = await text_answers(s, wave, reviewed=False)
    return db, wave, report, pending


async def test_free_text_leaves_only_scrubbed_and_reviewed(exported):
    db, wave, report, pending = exported
    assert len(pending) == 3
    assert all("2345678" not in t.text and "@example" not in t.text for t in pending)
    async with db() as s:
        assert await text_answers(s, wave, reviewed=True) == []  # nothing approved yet
    assert "Ich brauche" not in to_csv(report, []).decode("utf-8-sig")
    by_text = {t.text[:5]: t.id for t in pending}
    async with db() as s, s.begin():
        await review(s, wave, [by_text["Ich b"], by_text["=HYPE"]], approve=True)
        await review(s, wave, [by_text["Schre"]], approve=False)
        with pytest.raises(LookupError):
            await review(s, wave, ["0" * 32], approve=True)
    async with db() as s:
        approved = await text_answers(s, wave, reviewed=True)
        assert (
            await s.scalar(select(SurveyTextAnswer).where(SurveyTextAnswer.text.like("Schreib%")))
            is None
        )
    out = to_csv(report, approved).decode("utf-8-sig")
    assert "Meine Nummer: [entfernt]" in out and "+49" not in out
    assert "'=HYPERLINK" in out
    async with db() as s:  # the raw text did not outlive its review: only the scrubbed one
        stored = list(await s.scalars(select(SurveyTextAnswer.text)))
    assert not any("2345678" in x for x in stored) and any("[entfernt]" in x for x in stored)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Ich heiße Amina und suche Arbeit", ("name",)),
        ("my name is John, I need a course", ("name",)),
        ("اسمي أحمد وأبحث عن سكن", ("name",)),
        ("Меня зовут Оля", ("name",)),
        ("Bitte kommt zur Hauptstraße 12a", ("street",)),
        ("Ali Rezaei braucht Hilfe", ("name_pair",)),
        ("Ich suche eine Wohnung und einen Deutschkurs", ()),
    ],
)
def test_likely_names_and_addresses_are_flagged_for_the_reviewer(text, flagged):
    assert flags(text) == flagged


async def test_unreviewed_raw_text_is_deleted_after_the_retention_period(exported):
    db, wave, _, pending = exported
    async with db() as s, s.begin():
        await review(s, wave, [pending[0].id], approve=True)
    soon = dt.date.today() + dt.timedelta(days=RETENTION_DAYS - 1)
    assert await expire_unreviewed(db, now=soon) == 0
    later = dt.date.today() + dt.timedelta(days=RETENTION_DAYS + 1)
    assert await expire_unreviewed(db, now=later) == 2  # the approved one stays
    async with db() as s:
        assert [t.id for t in await text_answers(s, wave, reviewed=None)] == [pending[0].id]


async def test_csv_has_bom_separator_notice_and_umlauts(exported):
    _, _, report, _ = exported
    data = to_csv(report, [], sep=";")
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Hinweis" and "Selbstselektierte Stichprobe" in rows[0][1]
    assert "n = 80" in rows[0][1] and "k = 5" in rows[0][1]
    assert "Bündnis" in text and "männlich" in text
    figures = [r[-1] for r in rows if len(r) == 8 and r[0] != "Tabelle"]
    assert figures and all(f in ("<5", "x") or int(f) >= 5 for f in figures)
    with pytest.raises(ValueError):
        to_csv(report, [], sep="|")


async def test_xlsx_has_a_sheet_per_item_and_a_codebook(exported):
    _, _, report, _ = exported
    wb = load_workbook(io.BytesIO(to_xlsx(report, [], charts(report))))
    assert {"Hinweise", "Codebuch", "Bedarfsübersicht", "Freitext", "1.5", "2.2"} <= set(
        wb.sheetnames
    )
    assert "n = 80" in wb["Hinweise"]["B1"].value
    book = [tuple(r) for r in wb["Codebuch"].iter_rows(values_only=True)]
    assert ("1.5", "1", "Wo wohnst du?", "single", "unterkunft", "In einer Unterkunft") in book
    sheet = wb["1.5"]
    assert "Selbstselektierte Stichprobe" in sheet["A1"].value
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "Wo wohnst du?" in " ".join(str(v) for v in values)
    assert len(sheet._images) == 1  # the bar chart


async def test_json_floip_and_bedarfsuebersicht(exported):
    _, _, report, _ = exported
    doc = json.loads(to_json(report, []))
    assert doc["n"] == 80 and doc["suppression_k"] == 5 and doc["self_selected_sample"]
    assert {t["by"] for t in doc["crosstabs"]} == {"1.2", "1.1", "gemeinde", "1.3"}
    floip = json.loads(to_floip(report))
    assert floip["profile"] == "flow-results-package"
    data, agg = floip["resources"]
    assert data["data"] == [] and data["schema"]["questions"]["2.2"]["type"] == "select_many"
    assert all(r["count"] in ("<5", "x") or r["count"] >= 5 for r in agg["data"])
    rows = bedarfsuebersicht(report)
    sections = {r[0] for r in rows}
    assert {"2", "4", "6"} <= sections
    needs = {r[2]: r[4] for r in rows}
    freq = next(t for t in report.frequencies if t.item.id == "2.2")
    sprache = dict(zip([c for c, _ in freq.cols], freq.cells[0], strict=True))["sprache"]
    assert needs["2.2:sprache"] == (sprache.value if sprache.value is not None else sprache.shown)


async def test_charts_png_and_svg(exported):
    _, _, report, _ = exported
    table = report.frequencies[0]
    assert bar_chart(table, report.notice_en, "png").startswith(b"\x89PNG")
    svg = bar_chart(table, report.notice_en, "svg")
    assert b"<svg" in svg[:400]
    with pytest.raises(ValueError):
        bar_chart(table, "", "gif")


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("Ruf an: 0171 2345678", "2345678"),
        ("Tel +49 (0)203 379-1807", "379"),
        ("mail max.muster@web.de", "web.de"),
        ("https://t.me/xyz und www.beispiel.de", "t.me"),
        ("mein insta @ali_99", "ali_99"),
        ("Aktenzeichen 123456789", "123456789"),
    ],
)
def test_scrubber_removes_contact_details(text, gone):
    assert gone not in scrub(text) and "[entfernt]" in scrub(text)


def test_scrubber_keeps_ordinary_numbers():
    text = "Ich bin 22, habe 3 Kinder und bin seit 2019 hier."
    assert scrub(text) == text


@pytest.mark.parametrize("value", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=x"])
def test_formula_cells_are_neutralised(value):
    assert neutralise(value).startswith("'")
    assert neutralise("Wohnen") == "Wohnen"
