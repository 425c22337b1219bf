"""The web chat in a real browser: Debian's Chromium, driven by Playwright, against `serve`.

A person opens the chat, picks Arabic, answers the demo flow by clicking and typing; the page
must be right-to-left and show the Arabic texts. Screenshots go to test-artifacts/webchat/.

Needs /usr/bin/chromium (installed by `make setup`) and the playwright package. Without them
the test is skipped with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialogs.io import Msg
from dialogs.messages import M
from store.migrate import upgrade
from tests.helpers import demo_flow
from wegweiser.i18n import render

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "webchat"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"

pytestmark = pytest.mark.slow


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (run `make setup`, which installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (run `make setup`)"
    return None


@pytest.fixture(scope="module")
def browser_available() -> None:
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true requires the browser test to run: {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, browser_available: None) -> Iterator[str]:
    """`wegweiser serve` on a free port with a fresh SQLite database."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WEGWEISER_")},
        "WEGWEISER_INSTANCE_DIR": str(tmp_path / "instance"),
        "WEGWEISER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        "WEGWEISER_FLOWS_DIR": str(ROOT / "dialogs" / "flows"),
    }
    (tmp_path / "instance").mkdir()
    upgrade(env["WEGWEISER_DATABASE_URL"])
    cli = [sys.executable, "-m", "wegweiser"]
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "serve.log").read_text()[-2000:])
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def ar(msgid: str, item: str | None = None) -> str:
    """The Arabic text of a flow text (item given) or a system message."""
    return render(Msg(msgid, None if item is None else demo_flow().context(item)), "ar")


def test_person_completes_the_demo_in_arabic_right_to_left(server: str) -> None:
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

            page.goto(f"{server}/chat")
            log = page.locator("#log")
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
            tablet.goto(f"{server}/chat")
            expect(tablet.locator("#log")).to_contain_text(render(M.FINISHED, "ar"))
            expect(tablet.locator("html")).to_have_attribute("dir", "rtl")
            tablet.screenshot(path=str(ARTIFACTS / "04-returning-ar-tablet.png"))
            assert not [c for c in context.cookies()], "the chat sets no cookies"
            assert errors == [], errors
        finally:
            browser.close()
