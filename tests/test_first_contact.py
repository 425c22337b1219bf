"""First contact: the phone's language from the first message (Telegram's `language_code`,
the browser's `Accept-Language`), a one-tap change, and a picker with every language on one
screen — over the Bot API emulator and the web chat's HTTP API."""

from __future__ import annotations

import pytest

from base.i18n import available_locales, native_name, render
from base.rtl import isolate
from bot.languages import accept_language, device_language, locales_for
from bot.telegram.keyboard import markup
from dialogs.io import Msg
from dialogs.messages import M
from tests.helpers import demo_flow
from tests.test_telegram import polling_worker, wait_text
from tests.test_webchat import button, make_client, new_person, services, texts

try:
    from tests.tg_emulator import TelegramEmulator
except ImportError:  # pragma: no cover
    from tg_emulator import TelegramEmulator

__all__ = ["services"]  # the web chat's fixture

KNOWN = available_locales()
FLOW = demo_flow()
AGE = FLOW.item("age")
WELCOME = FLOW.item("welcome")
assert AGE is not None and WELCOME is not None

CHANGE = Msg.join(["🌐", M.CHANGE_LANGUAGE], " ")  # as the engine builds the button


def shown(item_text: str, item_id: str, locale: str) -> str:
    return render(Msg(item_text, FLOW.context(item_id)), locale)


@pytest.fixture
async def tg():
    async with TelegramEmulator() as emulator:
        yield emulator


def test_language_tags_map_to_our_locales():
    assert locales_for("ar", KNOWN) == ("ar",)
    assert locales_for("uk-UA", KNOWN) == ("uk",)
    assert locales_for("fa", KNOWN) == ("fa", "fa_AF")  # Farsi or Dari: asked once
    assert locales_for("fa-AF", KNOWN) == ("fa_AF",)
    assert locales_for("prs", KNOWN) == ("fa_AF",)
    assert locales_for("ku", KNOWN) == ("ku",)
    assert locales_for("ckb", KNOWN) == ("ckb",)
    assert locales_for("ku-Arab", KNOWN) == ("ckb",)
    assert locales_for("fr-ca", KNOWN) == ("fr",)
    assert locales_for("pt-br", KNOWN) == ()  # not ours: the default language
    assert locales_for("", KNOWN) == ()
    assert accept_language("en;q=0.5, ar-SY, *;q=0.1, de;q=0") == ["ar-SY", "en"]
    assert device_language("pt-BR, ti;q=0.8", KNOWN) == "ti"
    assert device_language("pt-BR", KNOWN) == "pt-BR"
    assert device_language(None, KNOWN) is None


@pytest.mark.parametrize("code", ["ar", "uk", "ti", "fa-AF", "en-GB"])
async def test_greeted_in_the_phones_language(db_url, tmp_path, tg, code):
    locale = locales_for(code, KNOWN)[0]
    tg.add_user(11, language_code=code)
    async with polling_worker(db_url, tmp_path, tg):
        tg.user_command(11, "/start")
        await wait_text(tg, 11, shown(AGE.text, "age", locale))
        texts = tg.texts(11)
        assert texts[0].startswith(shown(WELCOME.text, "welcome", locale)[:20])
        assert not any(render(M.CHOOSE_LANGUAGE, "de") in t for t in texts)  # no picker
        change = render(CHANGE, locale)
        assert [change] in tg.buttons(11)  # one tap to another language


async def test_change_language_shows_every_language_on_one_screen(db_url, tmp_path, tg):
    tg.add_user(12, language_code="ar")
    async with polling_worker(db_url, tmp_path, tg):
        tg.user_command(12, "/start")
        await wait_text(tg, 12, shown(AGE.text, "age", "ar"))
        tg.user_press_button(12, render(CHANGE, "ar"))
        await wait_text(tg, 12, render(M.CHOOSE_LANGUAGE, "ar"))
        bare = str.maketrans("", "", "\u2068\u2069")  # isolates around Latin names in RTL
        labels = [label.translate(bare) for row in tg.buttons(12) for label in row]
        assert labels[0] == native_name("ar")  # the phone's language first
        assert sorted(labels) == sorted(native_name(loc) for loc in KNOWN)  # all, no "›"
        assert len(KNOWN) == 15
        picker = tg.texts(12)[-1]
        assert picker.startswith(isolate(render(M.CHOOSE_LANGUAGE, "ar")))
        tg.user_press_button(12, native_name("uk"))
        await wait_text(tg, 12, shown(AGE.text, "age", "uk"))  # the open question, now in uk


async def test_persian_phone_asks_farsi_or_dari_once(db_url, tmp_path, tg):
    tg.add_user(13, language_code="fa")
    async with polling_worker(db_url, tmp_path, tg):
        tg.user_command(13, "/start")
        await wait_text(tg, 13, render(M.CHOOSE_LANGUAGE, "fa"))
        # each line of the picker is isolated (its own direction)
        assert tg.texts(13)[0].startswith(isolate(render(M.CHOOSE_LANGUAGE, "fa")))
        first_row = tg.buttons(13)[0]
        assert first_row == [native_name("fa"), native_name("fa_AF")]
        tg.user_press_button(13, native_name("fa_AF"))
        await wait_text(tg, 13, shown(AGE.text, "age", "fa_AF"))
        tg.user_text(13, "20")
        await wait_text(tg, 13, shown(FLOW.item("housing").text, "housing", "fa_AF"))
        pickers = [t for t in tg.texts(13) if render(M.CHOOSE_LANGUAGE, "fa") in t]
        assert len(pickers) == 1  # asked once


async def test_unknown_phone_language_gets_german_and_a_way_out(db_url, tmp_path, tg):
    tg.add_user(14, language_code="pt-br")
    async with polling_worker(db_url, tmp_path, tg):
        tg.user_text(14, "oi")  # not even /start: the greeting anyway
        await wait_text(tg, 14, AGE.text)
        assert [render(CHANGE, "de")] in tg.buttons(14)


async def test_no_language_code_gets_the_picker(db_url, tmp_path, tg):
    tg.add_user(15, language_code="")
    async with polling_worker(db_url, tmp_path, tg):
        tg.user_command(15, "/start")
        await wait_text(tg, 15, "Bitte wähle deine Sprache.")


def test_picker_keyboard_two_a_row_without_pages():
    buttons = [{"label": native_name(c), "data": f"l:::{c}"} for c in KNOWN]
    rows = markup({"buttons": buttons, "ask": "@language"}).inline_keyboard
    assert len(rows) == 8 and all(len(r) <= 2 for r in rows)
    assert "›" not in [b.text for r in rows for b in r]


async def test_web_chat_greets_in_the_browsers_language(services):
    async with make_client(services) as client:
        person = await new_person(client)
        client.headers["Accept-Language"] = "pt-BR, ar-SY;q=0.9, en;q=0.5"
        r = await person.say(command="start")
        shown_texts = texts(r)
        assert shown_texts[0].startswith(shown(WELCOME.text, "welcome", "ar")[:20])
        assert shown(AGE.text, "age", "ar") in shown_texts[-1]
        data = button(r, render(CHANGE, "ar"))
        r = await person.say(button=data)
        assert texts(r)[-1].startswith(isolate(render(M.CHOOSE_LANGUAGE, "ar")))
