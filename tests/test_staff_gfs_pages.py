"""GfS staff pages (SQLite and PostgreSQL): offer catalogue with search, edit, "geprüft" and the
all-or-nothing upload with its German report; survey waves; the results dashboard with
suppressed figures and downloads; gap signals. Scoping: a GfS sees its Bündnis only, a
Servicestelle gets the 403 page, admin sees all. Every POST needs the CSRF token."""

from __future__ import annotations

import datetime as dt
import io
import re

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from admin_api.limits import MAX_UPLOAD
from store.models import AuditEntry, IntakeNeedCount, Offer, OfferGap, SurveyWave, today
from tests.admin_seed import Api
from tests.results_data import seed_wave
from tests.staff_pages import logged_in

FLOW = "befragung-lebenslage"
HEADER = "title;provider;category;need_areas;gemeinden;age_min;age_max"


async def login(api: Api, account: str) -> str:
    """Log `account` in (after logging out whoever was); returns the CSRF token of its forms."""
    api.client.cookies.clear()
    return await logged_in(api, account)


async def offer_count(api: Api) -> int:
    async with api.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Offer)) or 0


async def upload(api: Api, token: str, name: str, data: bytes) -> httpx.Response:
    return await api.client.post(
        "/staff/offers/import",
        data={"csrf_token": token},
        files={"file": (name, data, "application/octet-stream")},
    )


def csv_file(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode()


# ---------------------------------------------------------------- access


async def test_servicestelle_gets_403_and_anonymous_the_login(admin_api: Api) -> None:
    api = admin_api
    wave = api.seed.wave["A"]
    pages = ["/staff/offers", "/staff/waves", f"/staff/results/{wave}", "/staff/gaps"]
    for path in pages:
        r = await api.client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login"), path
    token = await login(api, "servicestelle")
    for path in [*pages, "/staff/offers/export?format=csv", f"/staff/results/{wave}/export"]:
        r = await api.client.get(path)
        assert r.status_code == 403, path
        assert "Sie haben keinen Zugriff auf diese Seite." in r.text
    offer = api.seed.offer["A"]
    r = await api.client.post(f"/staff/offers/{offer}/checked", data={"csrf_token": token})
    assert r.status_code == 403
    async with api.sessions() as s:
        assert (await s.get(Offer, offer)).last_checked == dt.date(2020, 1, 1)


async def test_gfs_navigation_and_security_headers(admin_api: Api) -> None:
    api = admin_api
    await login(api, "gfs")
    r = await api.client.get("/staff/")
    assert r.status_code == 303 and r.headers["location"] == "/staff/offers"
    r = await api.client.get("/staff/offers")
    for href in ('href="/staff/offers"', 'href="/staff/waves"', 'href="/staff/gaps"'):
        assert href in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for path in ("/staff/offers", "/staff/waves", f"/staff/results/{api.seed.wave['A']}"):
        page = (await api.client.get(path)).text
        assert "<script" not in page and " style=" not in page and "<style" not in page, path


# ---------------------------------------------------------------- catalogue


async def test_catalogue_is_scoped_searchable_and_warns_about_old_checks(admin_api: Api) -> None:
    api = admin_api
    await login(api, "gfs")
    r = await api.client.get("/staff/offers")
    assert r.status_code == 200
    assert "Sprachkurs A" in r.text and "Sprachkurs B" not in r.text
    assert "Prüfung fällig" in r.text and "01.01.2020" in r.text
    r = await api.client.get("/staff/offers", params={"q": "deutsch"})
    assert "Sprachkurs A" in r.text
    r = await api.client.get("/staff/offers", params={"q": "Schwimmen"})
    assert "Keine Angebote gefunden." in r.text
    foreign = api.seed.offer["B"]
    assert (await api.client.get(f"/staff/offers/{foreign}")).status_code == 404
    await login(api, "admin")
    r = await api.client.get("/staff/offers")
    assert "Sprachkurs A" in r.text and "Sprachkurs B" in r.text


async def test_checked_button_needs_csrf_and_is_audited(admin_api: Api) -> None:
    api = admin_api
    token = await login(api, "gfs")
    offer = api.seed.offer["A"]
    r = await api.client.post(f"/staff/offers/{offer}/checked", data={"csrf_token": "wrong"})
    assert r.status_code == 403 and "Formular ist abgelaufen" in r.text
    async with api.sessions() as s:
        assert (await s.get(Offer, offer)).last_checked == dt.date(2020, 1, 1)
    r = await api.client.post(f"/staff/offers/{offer}/checked", data={"csrf_token": token})
    assert r.status_code == 303
    page = await api.client.get(r.headers["location"])
    assert "als heute geprüft vermerkt" in page.text and "Prüfung fällig" not in page.text
    async with api.sessions() as s:
        assert (await s.get(Offer, offer)).last_checked == today()
        actions = list(await s.scalars(select(AuditEntry.action)))
    assert "checked" in actions
    foreign = api.seed.offer["B"]
    r = await api.client.post(f"/staff/offers/{foreign}/checked", data={"csrf_token": token})
    assert r.status_code == 404


def _edit_form(token: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "title": "Sprachkurs A",
        "provider": "VHS",
        "category": "sprache",
        "need_sprache": "1",
        "age_min": "16",
        "age_max": "26",
        "languages": "de, ar",
        "keywords": "Deutsch, B1",
        "access_AG": "yes",
        "access_D": "ask",
    }
    form.update(changes)
    return form


async def test_edit_shows_german_errors_next_to_the_field_and_saves_nothing(
    admin_api: Api,
) -> None:
    api = admin_api
    token = await login(api, "gfs")
    offer = api.seed.offer["A"]
    r = await api.client.get(f"/staff/offers/{offer}")
    assert r.status_code == 200 and 'value="Sprachkurs A"' in r.text
    assert "Zuletzt geprüft am 01.01.2020" in r.text
    for changes, field, message in (
        ({"age_min": "30", "age_max": "20"}, "age_min", "Mindestalter darf nicht über"),
        ({"title": ""}, "title", "Bitte ausfüllen."),
        ({"age_max": "zwanzig"}, "age_max", "Bitte eine ganze Zahl eingeben."),
        ({"age_max": "130"}, "age_max", "zwischen 0 und 120"),
        ({"valid_from": "2027-05-01", "valid_to": "2027-01-01"}, "valid_from", "Gültig ab"),
        ({"provider": "V" * 201}, "provider", "Zu lang (höchstens 200 Zeichen)."),
    ):
        r = await api.client.post(f"/staff/offers/{offer}", data=_edit_form(token, **changes))
        assert r.status_code == 422, changes
        assert f'<p class="error" id="e-{field}">' in r.text, changes
        error = r.text.split(f'<p class="error" id="e-{field}">', 1)[1].split("</p>", 1)[0]
        assert message in error, (changes, error)
        assert "Es wurde nichts gespeichert." in r.text
    async with api.sessions() as s:
        unchanged = await s.get(Offer, offer)
        assert (unchanged.title, unchanged.age_min, unchanged.keywords) == (
            "Sprachkurs A",
            None,
            ["Deutsch"],
        )
    gemeinde = api.seed.gemeinde["A"]
    form = _edit_form(token, title="Jugendintegrationskurs", **{f"g_{gemeinde}": "1"})
    r = await api.client.post(f"/staff/offers/{offer}", data=form)
    assert r.status_code == 303, r.text
    async with api.sessions() as s:
        saved = await s.get(Offer, offer)
        assert saved.title == "Jugendintegrationskurs"
        assert (saved.age_min, saved.age_max, saved.gemeinde_ids) == (16, 26, [gemeinde])
        assert saved.keywords == ["Deutsch", "B1"] and saved.languages == ["de", "ar"]
        assert saved.access["AG"] == "yes" and saved.need_areas == ["sprache"]
    r = await api.client.post(f"/staff/offers/{offer}", data=_edit_form("nope"))
    assert r.status_code == 403


async def test_upload_with_a_bad_row_shows_the_report_and_imports_nothing(admin_api: Api) -> None:
    api = admin_api
    token = await login(api, "gfs")
    before = await offer_count(api)
    good = "Beratungscafé;JMD Moers;beratung;Beratung;Gemeinde A;16;26"
    bad = "Nachhilfe;Verein;sprache;Kochen;Gemeinde Z;30;20"
    r = await upload(api, token, "angebote.csv", csv_file(good, bad))
    assert r.status_code == 422
    assert "Es wurde nichts importiert." in r.text and "Prüfbericht" in r.text
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>", r.text)
    assert ("3", "need_areas", "„Kochen“ ist kein bekanntes Handlungsfeld.") in rows
    assert ("3", "gemeinden", "„Gemeinde Z“ ist keine Gemeinde dieses Bündnisses.") in rows
    assert ("3", "age_max", "Das Höchstalter liegt unter dem Mindestalter.") in rows
    assert all(row == "3" for row, _, _ in rows)
    assert await offer_count(api) == before
    r = await upload(api, token, "angebote.csv", csv_file(good))
    assert r.status_code == 200 and "1 neu, 0 aktualisiert" in r.text
    assert await offer_count(api) == before + 1
    async with api.sessions() as s:
        new = await s.scalar(select(Offer).where(Offer.title == "Beratungscafé"))
        assert new.buendnis_id == api.seed.buendnis["A"]
        assert "import" in list(await s.scalars(select(AuditEntry.action)))


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def test_bad_uploads_get_a_german_error_and_import_nothing(admin_api: Api) -> None:
    api = admin_api
    token = await login(api, "gfs")
    before = await offer_count(api)
    cases = [
        ("angebote.pdf", b"%PDF-1.4 not a table", "Unbekannter Dateityp"),
        ("angebote.csv", b"", "die hochgeladene Datei ist leer"),
        ("angebote.csv", b"Name;Ort\nKurs;Moers\n", "Unbekannte Spalte."),
        ("angebote.csv", b"Name;Ort\nKurs;Moers\n", "Diese Pflichtspalte fehlt."),
        ("angebote.csv", "title;provider\nä;b\n".encode("latin-1"), "kein UTF-8-Text"),
        ("angebote.xlsx", b"PK\x03\x04 broken zip", "keine lesbare XLSX-Datei"),
        ("angebote.csv", b"x" * (MAX_UPLOAD + 1), "Die Datei ist zu groß (höchstens 5 MB)."),
        (
            "angebote.xlsx",
            _xlsx([["title", "provider", "category", "need_areas"], ["Kurs", "", "sprache", "x"]]),
            "Darf nicht leer sein.",
        ),
    ]
    for name, data, message in cases:
        r = await upload(api, token, name, data)
        assert r.status_code in (400, 413, 422), (name, r.status_code)
        assert message in r.text, (name, message, r.text[-1500:])
        assert await offer_count(api) == before, name
    r = await api.client.post(
        "/staff/offers/import",
        data={"csrf_token": "wrong"},
        files={"file": ("angebote.csv", csv_file("A;B;sprache;Sprache;;;"), "text/csv")},
    )
    assert r.status_code == 403
    r = await api.client.post("/staff/offers/import", data={"csrf_token": token})
    assert r.status_code == 400 and "nicht empfangen" in r.text
    assert await offer_count(api) == before


async def test_catalogue_downloads(admin_api: Api) -> None:
    api = admin_api
    await login(api, "gfs")
    r = await api.client.get("/staff/offers/export", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert "Sprachkurs A" in text and "Sprachkurs B" not in text
    r = await api.client.get("/staff/offers/export", params={"format": "xlsx"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    titles = [row[1] for row in sheet.iter_rows(values_only=True)]
    assert "Sprachkurs A" in titles and "Sprachkurs B" not in titles


# ---------------------------------------------------------------- waves


async def test_waves_create_open_invite_close(admin_api: Api) -> None:
    api = admin_api
    token = await login(api, "gfs")
    r = await api.client.get("/staff/waves")
    assert r.status_code == 200 and "Testwelle" in r.text
    r = await api.client.post(
        "/staff/waves",
        data={"csrf_token": token, "title": "Frühjahr 2027", "code": "fj27", "flow_id": FLOW},
    )
    assert r.status_code == 303
    page = await api.client.get(r.headers["location"])
    assert "„Frühjahr 2027“ ist als Entwurf angelegt" in page.text and "/start fj27" in page.text
    r = await api.client.post(
        "/staff/waves",
        data={"csrf_token": token, "title": "Noch eine", "code": "fj27", "flow_id": FLOW},
    )
    assert r.status_code == 409 and "Dieser Startcode ist schon vergeben." in r.text
    r = await api.client.post(
        "/staff/waves", data={"csrf_token": token, "title": "", "flow_id": FLOW}
    )
    assert r.status_code == 422 and "Bitte einen Titel" in r.text
    r = await api.client.post(
        "/staff/waves", data={"csrf_token": token, "title": "x", "flow_id": "erstberatung"}
    )
    assert r.status_code == 422 and "Bitte einen Fragebogen auswählen." in r.text
    r = await api.client.post("/staff/waves", data={"title": "ohne Token"})
    assert r.status_code == 403
    async with api.sessions() as s:
        wave = await s.scalar(select(SurveyWave).where(SurveyWave.title == "Frühjahr 2027"))
        titles = list(await s.scalars(select(SurveyWave.title)))
    assert wave.status == "draft" and "Noch eine" not in titles and "ohne Token" not in titles
    r = await api.client.post(f"/staff/waves/{wave.id}/close", data={"csrf_token": token})
    assert r.status_code == 409 and "nicht möglich" in r.text
    r = await api.client.post(f"/staff/waves/{wave.id}/open", data={"csrf_token": token})
    assert r.status_code == 303
    r = await api.client.post(f"/staff/waves/{wave.id}/invitations", data={"csrf_token": token})
    assert r.status_code == 303
    assert "0 Einladungen" in (await api.client.get(r.headers["location"])).text
    r = await api.client.post(f"/staff/waves/{wave.id}/close", data={"csrf_token": token})
    assert r.status_code == 303
    async with api.sessions() as s:
        assert (await s.get(SurveyWave, wave.id)).status == "closed"
    foreign = api.seed.wave["B"]
    r = await api.client.post(f"/staff/waves/{foreign}/close", data={"csrf_token": token})
    assert r.status_code == 404
    async with api.sessions() as s:
        assert (await s.get(SurveyWave, foreign)).status == "open"


async def test_admin_creates_a_wave_for_a_chosen_buendnis(admin_api: Api) -> None:
    api = admin_api
    token = await login(api, "admin")
    form = {"csrf_token": token, "title": "Herbst", "flow_id": FLOW}
    r = await api.client.post("/staff/waves", data=form)
    assert r.status_code == 422 and "Bitte ein Bündnis auswählen." in r.text
    r = await api.client.post("/staff/waves", data=form | {"buendnis_id": "999999"})
    assert r.status_code == 404 and "Bitte ein Bündnis auswählen." in r.text
    r = await api.client.post(
        "/staff/waves", data=form | {"buendnis_id": str(api.seed.buendnis["B"])}
    )
    assert r.status_code == 303
    async with api.sessions() as s:
        waves = list(await s.scalars(select(SurveyWave).where(SurveyWave.title == "Herbst")))
    assert [w.buendnis_id for w in waves] == [api.seed.buendnis["B"]]


# ---------------------------------------------------------------- results


async def _wave_with_answers(api: Api) -> int:
    """Bündnis A: 12 responses, 9 aged 18-20 and 3 aged 21-24 (a cell below k = 5)."""
    flows = api.client._transport.app.state.surveys.flows  # type: ignore[attr-defined]
    people = [
        {"1.2": "18-20" if i < 9 else "21-24", "1.3": "w" if i % 2 else "m", "2.2": ["sprache"]}
        for i in range(12)
    ]
    return await seed_wave(api.sessions, flows[FLOW], people, buendnis="buendnis-a")


async def test_results_dashboard_shows_suppressed_figures_charts_and_downloads(
    admin_api: Api,
) -> None:
    api = admin_api
    wave = await _wave_with_answers(api)
    await login(api, "gfs")
    r = await api.client.get(f"/staff/results/{wave}")
    assert r.status_code == 200
    page = r.text
    assert "Selbstselektierte Stichprobe" in page and "n = 12 Antworten" in page
    assert "<svg" in page and 'class="bar"' in page and 'class="bar-hidden"' in page
    section = page.split('id="item-1.2"', 1)[1].split("</section>", 1)[0]
    assert ">9<" in section and "&lt;5" in section and ">3<" not in section
    for fmt in ("csv", "xlsx", "json", "floip"):
        assert f"/staff/results/{wave}/export?format={fmt}" in page
    r = await api.client.get(f"/staff/results/{wave}", params={"item": "1.3", "by": "1.2"})
    crosstab = r.text.split("<h2>Kreuztabelle</h2>", 1)[1].split("</section>", 1)[0]
    assert "nach Altersgruppe" in crosstab and "&lt;5" in crosstab
    by_select = crosstab.split('id="f-by"', 1)[1].split("</select>", 1)[0]
    assert '<option value="2.2">' in by_select  # any item, after the four breakdowns
    assert by_select.index('value="1.3"') < by_select.index('value="2.2"')
    r = await api.client.get(f"/staff/results/{wave}", params={"item": "1.3", "by": "2.2"})
    crosstab = r.text.split("<h2>Kreuztabelle</h2>", 1)[1].split("</section>", 1)[0]
    assert "— nach 2.2 Wobei brauchst du gerade Hilfe?" in crosstab and "<table" in crosstab
    r = await api.client.get(f"/staff/results/{wave}", params={"item": "1.3", "by": "<x>"})
    assert r.status_code == 422
    r = await api.client.get(f"/staff/results/{wave}/export", params={"format": "xlsx"})
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    shown = {
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    }
    assert "<5" in shown and "9" in shown
    for fmt in ("csv", "json", "floip"):
        r = await api.client.get(f"/staff/results/{wave}/export", params={"format": fmt})
        assert r.status_code == 200 and r.content, fmt
    async with api.sessions() as s:
        exports = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")
        )
    assert exports == 4
    await login(api, "gfs_b")
    assert (await api.client.get(f"/staff/results/{wave}")).status_code == 404
    assert (await api.client.get(f"/staff/results/{wave}/export")).status_code == 404
    await login(api, "admin")
    assert (await api.client.get(f"/staff/results/{wave}")).status_code == 200


# ---------------------------------------------------------------- gaps


async def test_gap_signals_are_suppressed_and_scoped(admin_api: Api) -> None:
    api, seed = admin_api, admin_api.seed
    day = dt.date(2026, 3, 1)
    async with api.sessions() as s, s.begin():
        a, ga = seed.buendnis["A"], seed.gemeinde["A"]
        s.add(IntakeNeedCount(buendnis_id=a, gemeinde_id=ga, need_area="sprache", day=day, count=9))
        s.add(IntakeNeedCount(buendnis_id=a, gemeinde_id=ga, need_area="wohnen", day=day, count=2))
        for _ in range(6):
            s.add(OfferGap(buendnis_id=a, gemeinde_id=ga, need_area="wohnen", day=day))
        s.add(OfferGap(buendnis_id=a, gemeinde_id=ga, need_area="arbeit", day=day))
    await login(api, "gfs")
    r = await api.client.get("/staff/gaps", params={"month": "2026-03"})
    assert r.status_code == 200
    gaps = r.text.split("<h2>Kein Angebot gefunden</h2>", 1)[1].split("<h2>", 1)[0]
    assert "Gemeinde A" in gaps and "Wohnen" in gaps and "Arbeit" in gaps
    assert "&lt;5" in gaps and ">1<" not in gaps  # the single "arbeit" gap is hidden
    r = await api.client.get("/staff/gaps", params={"month": "2026-04"})
    assert "Keine Lücken im gewählten Zeitraum." in r.text
    r = await api.client.get("/staff/gaps", params={"month": dt.date.today().strftime("%Y-%m")})
    assert r.status_code == 422 and "schon vorbei" in r.text  # a running month changes daily
    await login(api, "gfs_b")
    r = await api.client.get("/staff/gaps")
    assert r.status_code == 200 and "Gemeinde A" not in r.text
    await login(api, "admin")
    r = await api.client.get(
        "/staff/gaps", params={"buendnis_id": seed.buendnis["A"], "month": "2026-03"}
    )
    assert r.status_code == 200 and "Gemeinde A" in r.text


async def test_results_of_a_wave_whose_flow_is_gone_say_so(admin_api: Api) -> None:
    api = admin_api
    async with api.sessions() as s, s.begin():
        wave = SurveyWave(
            buendnis_id=api.seed.buendnis["A"],
            flow_id="alte-befragung",
            flow_version="1",
            title="Alt",
            status="closed",
        )
        s.add(wave)
    await login(api, "gfs")
    r = await api.client.get(f"/staff/results/{wave.id}")
    assert r.status_code == 409
    assert "Der Fragebogen dieser Welle ist auf dem Server nicht geladen." in r.text


async def test_pages_speak_english_when_chosen(admin_api: Api) -> None:
    api = admin_api
    wave = await _wave_with_answers(api)
    await login(api, "gfs")
    await api.client.get("/staff/sprache", params={"to": "en", "next": "/staff/offers"})
    r = await api.client.get("/staff/offers")
    assert "Check due" in r.text and "Prüfung fällig" not in r.text
    r = await api.client.get(f"/staff/results/{wave}")
    assert "Self-selected sample:" in r.text and "n = 12 responses" in r.text
    r = await upload(api, api.client.cookies["wegweiser_csrf"], "a.csv", csv_file("A;B;x;y;;;"))
    assert "“x” is not a known category." in r.text and "Nothing was imported." in r.text


async def test_the_import_page_holds_a_file_sent_in_a_loop(admin_api: Api) -> None:
    from offers.file_service import IMPORTS_PER_MINUTE

    api = admin_api
    token = await login(api, "gfs")
    for _ in range(IMPORTS_PER_MINUTE):
        r = await upload(api, token, "angebote.csv", csv_file(";;;;;;"))
        assert r.status_code == 200  # read: a file of blank rows, nothing to import
    r = await upload(api, token, "angebote.csv", csv_file(";;;;;;"))
    assert r.status_code == 429 and "Zu viele Versuche" in r.text
    assert 1 <= int(r.headers["retry-after"]) <= 60
