"""The GfS pages in a real browser: Debian's Chromium, driven by Playwright, against `serve`.

A GfS coordinator logs in, uploads an offers CSV with one bad row (sees the row's error, the
database keeps its offers unchanged), opens the results dashboard of a wave with responses,
picks a cross-table, downloads the XLSX (it opens and shows suppressed cells as "<5") and looks
at the gap signals. No page may trip the content security policy. Screenshots go to
test-artifacts/staff/ (1024×768), one per step; the guide's pictures
(docs/img/staff/gfs-*.png) are these, reduced to 64 colours.

Needs /usr/bin/chromium (installed by `make setup`) and the playwright package. Without them
the test is skipped with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from admin_api.security import hash_password
from dialogs.registry import load_registry
from results.periods import last_month
from store.db import make_engine, sessions
from store.models import Buendnis, Gemeinde, IntakeNeedCount, Offer, OfferGap, StaffUser
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT
from tests.results_data import random_people, seed_wave

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "test-artifacts" / "staff"
EMAIL = "gfs@kreis-wesel.example"
PASSWORD = "Sonnenblume-Wegweiser-2027"
FLOW = "befragung-lebenslage"
BAD_CSV = (
    "title;provider;category;need_areas;gemeinden;age_min;age_max\n"
    "Beratungscafé;JMD Moers;beratung;Beratung;Moers;16;26\n"
    "Nachhilfe;Lernverein;schulabschluesse;Kochen;Moers;16;26\n"
)


async def _seed(url: str) -> int:
    """A Bündnis with three Gemeinden, two offers, a gfs account, a wave of 40 responses and
    some gap signals; returns the wave id."""
    engine = make_engine(url)
    factory = sessions(engine)
    async with factory() as s, s.begin():
        b = Buendnis(code="kreis-wesel", name="Bündnis Kreis Wesel")
        s.add(b)
        await s.flush()
        towns = {}
        for name in ("Moers", "Kamp-Lintfort", "Rheinberg"):
            g = Gemeinde(buendnis_id=b.id, name=name, kreis="Kreis Wesel")
            s.add(g)
            await s.flush()
            towns[name] = g.id
        s.add_all(
            [
                Offer(
                    buendnis_id=b.id,
                    title="Jugendintegrationskurs",
                    provider="VHS Moers",
                    category="sprache",
                    need_areas=["sprache"],
                    last_checked=dt.date(2025, 1, 15),
                ),
                Offer(
                    buendnis_id=b.id,
                    title="Jugendmigrationsdienst",
                    provider="JMD Moers",
                    category="beratung",
                    need_areas=["beratung", "aufenthalt"],
                    last_checked=dt.date.today(),
                ),
            ]
        )
        s.add(
            StaffUser(
                email=EMAIL,
                password_hash=hash_password(PASSWORD),
                role="gfs",
                buendnis_id=b.id,
            )
        )
        day = last_month(dt.date.today()).start  # the month the gaps page shows first
        for town, area, n in (("Moers", "sprache", 14), ("Moers", "wohnen", 9)):
            s.add(
                IntakeNeedCount(
                    buendnis_id=b.id, gemeinde_id=towns[town], need_area=area, day=day, count=n
                )
            )
        for town, area, n in (("Moers", "wohnen", 7), ("Rheinberg", "wohnen", 2)):
            for _ in range(n):
                s.add(OfferGap(buendnis_id=b.id, gemeinde_id=towns[town], need_area=area, day=day))
    flow = load_registry(ROOT / "dialogs" / "flows")[FLOW]
    wave = await seed_wave(factory, flow, random_people(40, seed=7), buendnis="kreis-wesel")
    await engine.dispose()
    return wave


def _offer_titles(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(r[0] for r in conn.execute("SELECT title FROM offer"))


def test_gfs_imports_offers_reads_results_and_downloads_xlsx(
    sqlite_server: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    db = tmp_path / "chat.db"
    wave = asyncio.run(_seed(f"sqlite+aiosqlite:///{db}"))
    before = _offer_titles(db)
    upload = tmp_path / "angebote-neu.csv"
    upload.write_text(BAD_CSV, encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(page: object, name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))  # type: ignore[attr-defined]

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="de-DE",
                viewport={"width": 1024, "height": 768},
                device_scale_factor=1,
                accept_downloads=True,
            )
            page = context.new_page()
            page.set_default_timeout(10000)
            errors: list[str] = []
            # 422 answers (report, form errors) are expected; a blocked style or script is not
            page.on(
                "console",
                lambda m: (
                    m.type == "error" and "Failed to load" not in m.text and errors.append(m.text)
                ),
            )
            failed: list[str] = []
            page.on("response", lambda r: r.status == 404 and failed.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))

            # 1. log in: the GfS starts on the offer catalogue
            page.goto(f"{sqlite_server}/staff/offers")
            expect(page).to_have_url(f"{sqlite_server}/staff/login?next=/staff/offers")
            page.fill("#f-email", EMAIL)
            page.fill("#f-password", PASSWORD)
            shot(page, "01-login")
            page.get_by_role("button", name="Anmelden").click()
            expect(page).to_have_url(f"{sqlite_server}/staff/offers")
            expect(page.locator("h1")).to_have_text("Angebote")
            expect(page.locator("tr.is-stale")).to_contain_text("Prüfung fällig")
            shot(page, "02-offers")

            # 2. an upload with one bad row: the report names row 3, nothing is imported
            page.set_input_files("#f-file", str(upload))
            page.get_by_role("button", name="Prüfen und importieren").click()
            expect(page.locator("h1")).to_have_text("Import der Angebote")
            report = page.locator("table.report")
            expect(report).to_contain_text("„Kochen“ ist kein bekanntes Handlungsfeld.")
            expect(page.get_by_role("alert")).to_contain_text("Es wurde nichts importiert.")
            rows = report.locator("tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first.locator("td").first).to_have_text("3")
            shot(page, "03-import-report")
            assert _offer_titles(db) == before

            # 3. the edit form of an offer that was not checked for long
            page.goto(f"{sqlite_server}/staff/offers")
            page.get_by_role("link", name="Jugendintegrationskurs").click()
            expect(page.locator(".alert.warn")).to_contain_text("Zuletzt geprüft am 15.01.2025")
            page.fill("#f-age_min", "30")
            page.fill("#f-age_max", "20")
            page.get_by_role("button", name="Speichern").click()
            expect(page.locator("#e-age_min")).to_contain_text("Mindestalter")
            page.locator("#f-age_min").scroll_into_view_if_needed()
            shot(page, "04-offer-edit-error")

            # 4. survey waves with their response counts
            page.get_by_role("link", name="Befragungswellen").click()
            expect(page.locator("table.waves")).to_contain_text("40")
            shot(page, "05-waves")

            # 5. the results dashboard: notice, charts, suppressed cells, a cross-table
            page.goto(f"{sqlite_server}/staff/results/{wave}")
            expect(page.locator(".notice")).to_contain_text("Selbstselektierte Stichprobe")
            expect(page.locator("figure.chart svg").first).to_be_visible()
            shot(page, "06-results")
            page.locator("#item-1\\.2").evaluate("e => e.scrollIntoView()")
            shot(page, "07-results-chart")
            page.select_option("#f-item", "1.5")
            page.select_option("#f-by", "1.2")
            page.get_by_role("button", name="Anzeigen").click()
            expect(page.locator("section.panel h3")).to_contain_text("nach Altersgruppe")
            page.locator("section.panel h3").evaluate("e => e.scrollIntoView()")
            shot(page, "08-crosstab")

            # 6. the XLSX download opens and carries the suppressed figures
            with page.expect_download() as waiting:
                page.get_by_role("link", name="XLSX").click()
            download = waiting.value
            saved = tmp_path / download.suggested_filename
            download.save_as(saved)
            assert saved.name == f"wegweiser-welle-{wave}.xlsx"
            book = load_workbook(saved)
            cells = {
                str(c)
                for ws in book.worksheets
                for row in ws.iter_rows(values_only=True)
                for c in row
                if c is not None
            }
            assert "<5" in cells and any("Selbstselektiert" in c for c in cells)

            # 7. gap signals, suppressed like the rest
            page.get_by_role("link", name="Angebotslücken").click()
            gaps = page.locator("table.figures").first
            expect(gaps).to_contain_text("Rheinberg")
            expect(gaps).to_contain_text("<5")
            shot(page, "09-gaps")

            assert not errors, errors
            assert failed in ([], [f"{sqlite_server}/favicon.ico"]), failed
        finally:
            browser.close()
