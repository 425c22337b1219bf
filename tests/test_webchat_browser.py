"""The web chat in a real browser: Debian's Chromium, driven by Playwright, against `serve`.

A person opens the chat, picks Arabic, answers the demo flow by clicking and typing; the page
must be right-to-left and show the Arabic texts. Screenshots go to test-artifacts/webchat/.

Needs /usr/bin/chromium (installed by `make setup`) and the playwright package. Without them
the test is skipped with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import pytest

from base.i18n import render
from dialogs.io import Msg
from dialogs.messages import M
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, ROOT
from tests.helpers import demo_flow

ARTIFACTS = ROOT / "test-artifacts" / "webchat"

pytestmark = pytest.mark.slow


def ar(msgid: str, item: str | None = None) -> str:
    """The Arabic text of a flow text (item given) or a system message."""
    return render(Msg(msgid, None if item is None else demo_flow().context(item)), "ar")


def test_person_completes_the_demo_in_arabic_right_to_left(sqlite_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                locale="de-DE", viewport={"width": 360, "height": 740}, device_scale_factor=1
            )
            page = context.new_page()
            page.set_default_timeout(8000)
            errors: list[str] = []
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto(f"{sqlite_server}/chat")
            log = page.locator("#log")
            # a German browser is greeted in German, with one tap to another language
            expect(log).to_contain_text("Wie alt bist du?")
            page.get_by_role("button", name="🌐 Sprache ändern", exact=True).click()
            expect(log).to_contain_text("Bitte wähle deine Sprache.")
            assert page.evaluate("document.documentElement.dir") == "ltr"
            page.screenshot(path=str(ARTIFACTS / "01-language-choice.png"))

            # pick Arabic with the keyboard: focus the button, press Enter
            page.get_by_role("button", name="العربية", exact=True).focus()
            page.keyboard.press("Enter")
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            expect(page.locator("html")).to_have_attribute("lang", "ar")
            expect(log).to_contain_text(ar("Wie alt bist du?", "age"))
            expect(page.locator("#language")).to_have_value("ar")

            page.fill("#text", "١٩")  # Arabic-Indic digits, typed
            page.keyboard.press("Enter")
            page.get_by_role(
                "button", name=ar("In einer Unterkunft", "housing"), exact=True
            ).click()
            page.get_by_role("button", name=ar("Ja", "housing_help"), exact=True).click()

            expect(log).to_contain_text(ar("Wobei brauchst du Hilfe?", "needs"))
            housing = page.get_by_role("button", name=ar("Wohnen", "needs"), exact=True)
            expect(housing).to_have_attribute("aria-pressed", "false")
            housing.click()
            expect(housing).to_have_attribute("aria-pressed", "true")
            page.get_by_role("button", name=ar("Deutsch lernen", "needs"), exact=True).click()
            page.screenshot(path=str(ARTIFACTS / "02-multiple-choice-ar.png"))
            page.get_by_role("button", name=render(M.DONE, "ar"), exact=True).click()

            expect(log).to_contain_text(render(M.THANKS, "ar"))
            assert page.evaluate("document.documentElement.dir") == "rtl"
            assert page.evaluate("getComputedStyle(document.querySelector('.log')).direction") == (
                "rtl"
            )
            bot = page.locator(".msg.bot").last
            expect(bot).to_have_attribute("dir", "rtl")
            page.screenshot(path=str(ARTIFACTS / "03-finished-ar-phone.png"))

            # the same browser on a tablet, later: the conversation is still there
            tablet = context.new_page()
            tablet.set_viewport_size({"width": 820, "height": 1180})
            tablet.goto(f"{sqlite_server}/chat")
            expect(tablet.locator("#log")).to_contain_text(render(M.FINISHED, "ar"))
            expect(tablet.locator("html")).to_have_attribute("dir", "rtl")
            tablet.screenshot(path=str(ARTIFACTS / "04-returning-ar-tablet.png"))
            assert not [c for c in context.cookies()], "the chat sets no cookies"
            assert errors == [], errors
        finally:
            browser.close()
