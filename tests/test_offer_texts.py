"""Translated offer texts: German plus a note where no current translation exists, outdated
translations not shown, coverage per language, the demo's drafts in 14 languages, the
`title::ar` spreadsheet columns, the JSON API and the GfS pages."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from offers.io import export_offers, import_offers
from offers.io_columns import ImportRefused
from offers.texts import OFFER_LOCALES, TRANSLATED_FIELDS, catalogue_coverage, localized
from store import demo
from store.demo import load_demo
from store.models import Offer, OfferText
from tests.admin_seed import Api
from tests.staff_pages import logged_in


def test_the_store_knows_the_same_translated_fields():
    assert demo.TRANSLATED == TRANSLATED_FIELDS
    assert len(OFFER_LOCALES) == 14 and "de" not in OFFER_LOCALES


def _offer(**kw) -> Offer:
    return Offer(id=1, title="Deutschkurs", summary="Deutsch lernen.", cost="kostenlos", **kw)


def _text(field: str, text: str, source: str, locale: str = "ar") -> OfferText:
    return OfferText(offer_id=1, locale=locale, field=field, text=text, source=source)


def test_german_plus_a_note_where_no_current_translation_exists():
    offer = _offer()
    texts = [
        _text("title", "دورة ألمانية", "Deutschkurs"),
        _text("summary", "تعلم الألمانية.", "Deutsch lernen, alt."),  # made from an old German text
        _text("cost", "مجاني", "kostenlos", locale="fa"),
    ]
    ar = localized(offer, texts, "ar")
    assert ar["title"] == "دورة ألمانية"
    assert ar["summary"] == "Deutsch lernen." and ar["cost"] == "kostenlos"
    assert ar.german == ("summary", "cost")  # the fields that need the note; empty ones don't
    de = localized(offer, texts, "de")
    assert de["title"] == "Deutschkurs" and de.german == ()


async def test_demo_offers_ship_drafts_in_all_14_languages(db):
    await load_demo(db)
    async with db() as s:
        offers = list(await s.scalars(select(Offer)))
        reviewed = await s.scalar(select(func.count()).where(OfferText.reviewed.is_(True)))
        coverage = await catalogue_coverage(s, None)
    assert reviewed == 0  # every demo translation is a machine draft
    assert [c.locale for c in coverage] == list(OFFER_LOCALES)
    for c in coverage:
        assert c.offers == len(offers) and c.texts > 5 * len(offers)
        assert (c.translated, c.missing, c.outdated) == (c.texts, 0, 0), c.locale


async def test_a_changed_german_text_makes_its_translations_outdated(db):
    await load_demo(db)
    async with db() as s, s.begin():
        offer = (await s.scalars(select(Offer).order_by(Offer.id))).first()
        offer.opening_hours = "neu: Mo 9–10 Uhr"
    async with db() as s:
        coverage = {c.locale: c for c in await catalogue_coverage(s, None)}
        texts = list(await s.scalars(select(OfferText).where(OfferText.offer_id == offer.id)))
        shown = localized(await s.get(Offer, offer.id), texts, "uk")
    assert coverage["uk"].outdated == 1 and coverage["uk"].missing == 1
    assert shown["opening_hours"] == "neu: Mo 9–10 Uhr" and shown.german == ("opening_hours",)


def _rows(path) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    return list(reader.fieldnames or []), list(reader)


def _write(path, header: list[str], rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


async def _texts_of(db, title: str, locale: str) -> dict[str, tuple[str, bool]]:
    async with db() as s:
        offer = await s.scalar(select(Offer).where(Offer.title == title))
        rows = await s.scalars(
            select(OfferText).where(OfferText.offer_id == offer.id, OfferText.locale == locale)
        )
        return {t.field: (t.text, t.reviewed) for t in rows}


async def test_translation_columns_with_review_status_import_and_export(db, tmp_path):
    await load_demo(db)
    path = tmp_path / "stadt.csv"
    async with db() as s:
        await export_offers(s, path, buendnis="demo-stadt")
    header, rows = _rows(path)
    assert "title::ar" in header and "review::fa_AF" in header and "directions::ur" in header
    row = next(r for r in rows if r["title"] == "Sprachpatenschaften")
    assert row["review::ar"] == "draft"
    row["title::ar"] = "رعاية لغوية"
    row["summary::ar"] = ""  # an empty cell: no translation any more
    row["review::ar"] = "title"  # only the title is reviewed
    row["review::uk"] = "reviewed"
    _write(path, header, rows)
    await import_offers(db, path, buendnis="demo-stadt")
    ar = await _texts_of(db, "Sprachpatenschaften", "ar")
    assert ar["title"] == ("رعاية لغوية", True) and "summary" not in ar
    assert not ar["cost"][1]
    assert all(
        reviewed for _, reviewed in (await _texts_of(db, "Sprachpatenschaften", "uk")).values()
    )
    async with db() as s:
        await export_offers(s, path, buendnis="demo-stadt")
    _, again = _rows(path)
    back = next(r for r in again if r["title"] == "Sprachpatenschaften")
    assert (back["review::ar"], back["review::uk"], back["summary::ar"]) == (
        "title",
        "reviewed",
        "",
    )


async def test_bad_translation_cells_refuse_the_whole_file(db, tmp_path):
    await load_demo(db)
    path = tmp_path / "x.csv"
    async with db() as s:
        await export_offers(s, path, buendnis="demo-stadt")
        before = await s.scalar(select(func.count()).select_from(OfferText))
    header, rows = _rows(path)
    rows[0]["title::ar"] = "ا" * 301
    rows[1]["review::uk"] = "title | preis"
    rows[2]["german_min"] = "Z9"
    rows[3]["topics"] = "no_home | schlafen"
    _write(path, header, rows)
    with pytest.raises(ImportRefused) as refused:
        await import_offers(db, path)
    kinds = {(e.column, e.kind) for e in refused.value.errors}
    assert kinds == {
        ("title::ar", "too_long"),
        ("review::uk", "bad_review"),
        ("german_min", "bad_german"),
        ("topics", "bad_topic"),
    }
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(OfferText)) == before


# ---------------------------------------------------------------- JSON API and pages


async def test_api_reads_replaces_and_reports_translations(admin_api: Api):
    api = admin_api
    offer = api.seed.offer["A"]
    gfs = api.auth("gfs")
    r = await api.client.get(f"/api/v1/offers/{offer}/texts", headers=gfs)
    assert r.status_code == 200 and r.json()["texts"] == {}
    assert r.json()["missing"]["ar"] == ["title"]
    body = {"texts": {"title": {"text": "دورة اللغة أ", "reviewed": True}}}
    r = await api.client.put(f"/api/v1/offers/{offer}/texts/ar", json=body, headers=gfs)
    assert r.status_code == 200, r.text
    assert r.json()["texts"]["ar"]["title"] == {"text": "دورة اللغة أ", "status": "reviewed"}
    assert "ar" not in r.json()["missing"]
    r = await api.client.get("/api/v1/offers/texts/coverage", headers=gfs)
    ar = next(c for c in r.json() if c["locale"] == "ar")
    assert (ar["translated"], ar["reviewed"], ar["missing"]) == (1, 1, 0)
    bad = [
        ("xx", body),
        ("ar", {"texts": {"provider": {"text": "x"}}}),
        ("ar", {"texts": {"title": {"text": "x" * 301}}}),
    ]
    for locale, payload in bad:
        r = await api.client.put(
            f"/api/v1/offers/{offer}/texts/{locale}", json=payload, headers=gfs
        )
        assert r.status_code == 422, (locale, payload)
    r = await api.client.put(
        f"/api/v1/offers/{offer}/texts/ar", json=body, headers=api.auth("servicestelle")
    )
    assert r.status_code == 403
    async with api.sessions() as s:
        offer_row = await s.get(Offer, offer)
        offer_row.title = "Sprachkurs A (neu)"
        await s.commit()
    r = await api.client.get(f"/api/v1/offers/{offer}/texts", headers=gfs)
    assert r.json()["texts"]["ar"]["title"]["status"] == "outdated"
    assert r.json()["missing"]["ar"] == ["title"]


async def test_gfs_pages_show_missing_languages_and_save_one(admin_api: Api):
    api = admin_api
    token = await logged_in(api, "gfs")
    offer = api.seed.offer["A"]
    r = await api.client.get("/staff/offers/uebersetzungen")
    assert r.status_code == 200 and "Sprachkurs A" in r.text and "Arabisch (ar)" in r.text
    r = await api.client.get(f"/staff/offers/{offer}/texts?lang=uk")
    assert r.status_code == 200 and 'name="text_title"' in r.text and "Sprachkurs A" in r.text
    form = {"csrf_token": token, "lang": "uk", "text_title": "Мовний курс А", "ok_title": "1"}
    r = await api.client.post(f"/staff/offers/{offer}/texts", data=form)
    assert r.status_code == 303 and r.headers["location"].endswith("lang=uk&done=saved")
    r = await api.client.get(r.headers["location"])
    assert "Мовний курс А" in r.text and "ist gespeichert" in r.text
    too_long = {**form, "text_title": "я" * 301}
    r = await api.client.post(f"/staff/offers/{offer}/texts", data=too_long)
    assert r.status_code == 422 and "höchstens 300 Zeichen" in r.text
    r = await api.client.post(f"/staff/offers/{offer}/texts", data={**form, "csrf_token": "x"})
    assert r.status_code == 403
    async with api.sessions() as s:
        rows = list(await s.scalars(select(OfferText).where(OfferText.offer_id == offer)))
    assert [(t.locale, t.text, t.reviewed) for t in rows] == [("uk", "Мовний курс А", True)]
    foreign = await api.client.get(f"/staff/offers/{api.seed.offer['B']}/texts")
    assert foreign.status_code == 404  # another Bündnis' offer
