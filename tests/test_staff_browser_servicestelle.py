"""A Servicestelle works a referral in a real browser: Debian's Chromium, driven by
Playwright, against `wegweiser serve` with Telegram emulated (tests/tg_emulator.py).

A young person answers the Erstberatung in Telegram and agrees to a referral; the
Servicestelle logs in (keyboard only), opens the new referral, sends a message that arrives in
the person's Telegram chat, records an appointment and closes the referral. Screenshots of
each step go to test-artifacts/staff/ (the staff guide's pictures come from there).

Database: PostgreSQL when reachable (a fresh database), else SQLite. Needs /usr/bin/chromium
and playwright; without them the test is skipped with the reason, except under CI=true.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from admin_api.security import hash_password
from store.db import make_engine, sessions
from store.migrate import upgrade
from store.models import (
    Buendnis,
    EntryPoint,
    Gemeinde,
    Offer,
    Referral,
    ReferralEvent,
    Servicestelle,
    StaffUser,
)
from tests import conftest
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT, serve
from tests.tg_emulator import TelegramEmulator

ARTIFACTS = ROOT / "test-artifacts" / "staff"
EMAIL = "beratung@jmd-muenster.example"
PASSWORD = "Hafenweg zwei, Raum 3"
PERSON = 4242
GOAL = "Ich möchte Pflegerin werden."
MESSAGE = "Hallo! Bitte komm am Dienstag um 10 Uhr zu uns in den Hafenweg 2."
ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")

pytestmark = pytest.mark.slow


class Telegram:
    """The emulator on its own event loop in a thread, so the synchronous Playwright test
    can drive it; every call runs on the emulator's loop."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tg = TelegramEmulator()
        self.pressed_id = 0  # the message whose button was pressed last
        self.run(self.tg.start())

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 20) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def do(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        async def call() -> Any:
            return fn(*args, **kwargs)

        return self.run(call())

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float = 15) -> None:
        """Wait on the emulator's loop; `predicate` runs there too, so it reads the emulator
        directly (the `_…` helpers), never through `do`."""
        try:
            self.run(self.tg.wait_until(predicate, timeout, what), timeout + 5)
        except TimeoutError:
            raise AssertionError(f"{what}; the chat so far: {self.texts()}") from None

    def _texts(self) -> list[str]:
        return [t.translate(ISOLATES) for t in self.tg.texts(PERSON)]

    def _keyboard(self) -> tuple[int, dict[str, str]]:
        """The latest bot message's id and its buttons: label as shown (isolates removed) ->
        label as sent."""
        last = self.tg.last(PERSON)
        if last is None:
            return 0, {}
        rows = self.tg.buttons(PERSON)
        return last["message_id"], {x.translate(ISOLATES): x for row in rows for x in row}

    def texts(self) -> list[str]:
        return self.do(self._texts)  # type: ignore[no-any-return]

    def has_text(self, needle: str) -> Callable[[], bool]:
        return lambda: any(needle in t for t in self._texts())

    def press(self, label: str, *, same_question: bool = False) -> None:
        """Press a button of the next question (turning its pages); `same_question`: of the
        question just answered (a multiple choice stays open until "Fertig")."""
        pressed = self.pressed_id

        def ready() -> bool:
            message_id, labels = self._keyboard()
            fresh = same_question or message_id != pressed
            return fresh and bool({label, "›"} & set(labels))

        for _page in range(6):
            self.wait(ready, f"a button {label!r} (or the next page)")
            message_id, labels = self.do(self._keyboard)
            if label in labels:
                self.do(self.tg.user_press_button, PERSON, labels[label])
                self.pressed_id = message_id
                return
            self.do(self.tg.user_press_button, PERSON, labels["›"])
            self.wait(
                lambda before=labels: self._keyboard()[1] != before, "the next page of buttons"
            )
            same_question = True
        raise AssertionError(f"no button {label!r} in {self.do(self._keyboard)}")

    def close(self) -> None:
        self.run(self.tg.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


async def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        async with sessions(engine)() as s, s.begin():
            b = Buendnis(code="muenster", name="Bündnis Münster", default_locale="de")
            s.add(b)
            await s.flush()
            ms = Gemeinde(buendnis_id=b.id, name="Münster", kreis=None)
            s.add(ms)
            await s.flush()
            stelle = Servicestelle(
                buendnis_id=b.id,
                name="JMD Münster",
                address="Hafenweg 2",
                contact="0251 000",
                is_default=True,
            )
            s.add(stelle)
            s.add(EntryPoint(code="jmd-plakat", buendnis_id=b.id, flow_id="erstberatung"))
            s.add(
                Offer(
                    buendnis_id=b.id,
                    title="Deutschkurs am Abend",
                    provider="VHS",
                    category="sprache",
                    need_areas=["sprache"],
                    gemeinde_ids=[ms.id],
                    access={},
                )
            )
            await s.flush()
            s.add(
                StaffUser(
                    email=EMAIL,
                    password_hash=hash_password(PASSWORD),
                    role="servicestelle",
                    buendnis_id=b.id,
                    servicestelle_id=stelle.id,
                )
            )
    finally:
        await engine.dispose()


async def _referral_state(url: str) -> tuple[str, list[tuple[str, str | None]]]:
    engine = make_engine(url)
    try:
        async with sessions(engine)() as s:
            ref = (await s.scalars(select(Referral))).one()
            events = await s.scalars(
                select(ReferralEvent)
                .where(ReferralEvent.referral_id == ref.id)
                .order_by(ReferralEvent.id)
            )
            return ref.status, [(e.kind, e.to_status) for e in events]
    finally:
        await engine.dispose()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database when the server is reachable, else a SQLite file."""
    if asyncio.run(conftest._pg_reachable()) is None:
        name, url = conftest.new_pg_database()
        try:
            upgrade(url)
            yield url
        finally:
            conftest.drop_pg_database(name)
        return
    url = f"sqlite+aiosqlite:///{tmp_path / 'staff.db'}"
    upgrade(url)
    yield url


@pytest.fixture
def telegram() -> Iterator[Telegram]:
    tg = Telegram()
    yield tg
    tg.close()


@pytest.fixture
def server(
    tmp_path: Path, database: str, telegram: Telegram, browser_available: None
) -> Iterator[str]:
    """`wegweiser serve` with Telegram (polling the emulator) on a free port."""
    asyncio.run(_seed(database))
    env = {
        "WEGWEISER_SECRET_KEY": "s" * 40,
        "WEGWEISER_FLOOD_MAX_UPDATES": "10000",
        "WEGWEISER_TELEGRAM_API_BASE": telegram.tg.base_url,
        "WEGWEISER_TELEGRAM_CHAT_RATE": "50",
        "WEGWEISER_TELEGRAM_CHAT_BURST": "50",
        "TELEGRAM_BOT_TOKEN": telegram.tg.token,
    }
    with serve(tmp_path, database, env) as base:
        yield base


def _person_asks_for_a_referral(tg: Telegram) -> None:
    """The Erstberatung in Telegram, with buttons, up to the consent to the referral."""
    tg.do(tg.tg.user_command, PERSON, "/start", payload="jmd-plakat", first_name="Amira")
    for label in ("Münster", "18 bis 20", "Duldung", "Ein bisschen (A1)"):
        tg.press(label)
    tg.press("Deutsch lernen")
    tg.press("Fertig", same_question=True)  # then the offers
    tg.press("Weiter")
    tg.press("Ja, bitte melden")
    tg.press("Überspringen")  # urgent?
    tg.press("Überspringen")  # reading and writing
    tg.press("Ehrenamtliche")
    tg.press("Fertig", same_question=True)
    tg.wait(tg.has_text("wichtigstes Ziel"), "the question for a goal")
    tg.do(tg.tg.user_text, PERSON, GOAL)
    tg.press("Arabisch")
    tg.press("Deutsch", same_question=True)
    tg.press("Fertig", same_question=True)
    tg.press("Ja")  # someone who translates
    tg.press("Hier im Chat")
    tg.press("Ja, ich bin einverstanden")
    tg.wait(
        tg.has_text("Deine Anfrage ist jetzt bei JMD Münster"), "the confirmation of the referral"
    )


def test_servicestelle_works_a_referral_from_telegram(
    server: str, telegram: Telegram, database: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    _person_asks_for_a_referral(telegram)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = 0

    def screenshot(page: Any, name: str) -> None:
        nonlocal shot
        shot += 1
        page.screenshot(path=str(ARTIFACTS / f"servicestelle-{shot:02d}-{name}.png"))

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="de-DE", viewport={"width": 1024, "height": 768}, device_scale_factor=1
            )
            page = context.new_page()
            page.set_default_timeout(8000)
            problems: list[str] = []
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))

            # Anmelden, with the keyboard only
            page.goto(f"{server}/staff/")
            expect(page).to_have_url(f"{server}/staff/login?next=/staff/")
            expect(page.locator("h1")).to_have_text("Anmelden")
            page.get_by_label("E-Mail-Adresse").focus()
            page.keyboard.type(EMAIL)
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            screenshot(page, "anmelden")
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.textContent.trim()")
            assert focused == "Anmelden", focused
            page.keyboard.press("Enter")

            # Warteschlange: the new referral, highlighted
            expect(page).to_have_url(f"{server}/staff/referrals")
            row = page.locator("tr.is-new")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("Sprache")
            expect(row).to_contain_text("Münster")
            expect(page.locator(".counts")).to_contain_text("Neu: 1")
            screenshot(page, "warteschlange")
            page.set_viewport_size({"width": 768, "height": 1024})  # a tablet, upright
            assert page.evaluate("document.documentElement.scrollWidth") <= 768
            page.set_viewport_size({"width": 1024, "height": 768})

            # Verweis öffnen
            row.get_by_role("link").click()
            expect(page.locator("h1")).to_contain_text("Verweis")
            expect(page.locator("#shared-title + p + dl")).to_contain_text(GOAL)
            expect(page.locator("#shared-title + p + dl")).to_contain_text("Arabisch")
            expect(page.locator("dl.facts").nth(1)).to_contain_text("SprachmittlungJa")
            screenshot(page, "verweis")

            # Nachricht senden: it arrives in the person's Telegram chat
            page.get_by_label("Nachricht", exact=True).fill(MESSAGE)
            page.get_by_role("button", name="Nachricht senden").click()
            expect(page.locator(".alert.ok")).to_contain_text("zugestellt")
            expect(page.locator("#verlauf")).to_contain_text(MESSAGE)
            telegram.wait(telegram.has_text(MESSAGE), "the relayed message in the person's chat")
            screenshot(page, "nachricht")

            # Termin: in Bearbeitung → Kontakt aufgenommen → Termin
            page.get_by_role("button", name="In Bearbeitung nehmen").click()
            expect(page.locator("h1 .badge")).to_have_text("In Bearbeitung")
            page.get_by_role("button", name="Kontakt aufgenommen").click()
            expect(page.locator("h1 .badge")).to_have_text("Kontakt aufgenommen")
            day = dt.date.today() + dt.timedelta(days=7)
            form = page.locator("#form-appointment")
            form.get_by_label("Datum").fill(day.isoformat())
            form.get_by_label("Uhrzeit").fill("10:00")
            form.get_by_label("Ort (optional)").fill("Hafenweg 2, Raum 3")
            screenshot(page, "termin")
            form.get_by_role("button", name="Termin eintragen").click()
            expect(page.locator("h1 .badge")).to_have_text("Termin vereinbart")
            when = day.strftime("%d.%m.%Y")
            telegram.wait(
                telegram.has_text(f"{when}, 10:00"), "the appointment in the person's chat"
            )
            page.locator("section:has(#onward-title)").screenshot(
                path=str(ARTIFACTS / f"servicestelle-{shot + 1:02d}-weitervermitteln.png")
            )
            shot += 1

            # Abschließen
            close = page.locator("#form-closed")
            close.get_by_label("Ergebnis (nur für Ihre Servicestelle)").fill(
                "Termin wahrgenommen; Anmeldung zum Deutschkurs am Abend."
            )
            close.get_by_role("button", name="Abschließen").click()
            expect(page.locator("h1 .badge")).to_have_text("Abgeschlossen")
            expect(page.get_by_role("button", name="Nachricht senden")).to_have_count(0)
            screenshot(page, "abgeschlossen")
            assert problems == [], problems
        finally:
            browser.close()

    status, events = asyncio.run(_referral_state(database))
    assert status == "closed"
    assert [e for e in events if e[0] == "transition"] == [
        ("transition", "new"),
        ("transition", "in_review"),
        ("transition", "contacted"),
        ("transition", "appointment"),
        ("transition", "closed"),
    ]
    assert ("relay", None) in events
