"""Small things a person meets: digits of their own script in a phone number, /mydata in the
middle of a question, a start link of another flow, their language after /delete, button
texts a phone shows whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from base.i18n import render
from bot.render import MAX_LABEL, render_reply
from dialogs.io import Button, Msg, Reply
from dialogs.messages import PM, M
from store.models import EntryPoint, Referral
from tests.conftest import settings_for
from tests.intake_support import Chat, seed, texts
from tests.test_telegram import polling_worker, wait_text
from wegweiser.services import build

try:
    from tests.tg_emulator import TelegramEmulator
except ImportError:  # pragma: no cover
    from tg_emulator import TelegramEmulator


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="d" * 40))
    yield s
    await s.close()


@pytest.fixture
async def tg():
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.mark.parametrize("typed", ["٠١٥١ ٢٣٤٥٦٧٨", "\u200f۰۱۵۱\u066c۲۳۴۵۶۷۸"])
async def test_phone_number_in_arabic_or_persian_digits(services, typed):
    await seed(services.sessions)
    chat = Chat(services)
    await chat.intake()
    consent = await chat.refer("Per Telefon", typed)
    assert "So erreicht sie dich: 0151 2345678" in consent
    await chat.press("Ja, ich bin einverstanden")
    async with services.sessions() as s:
        referral = await s.scalar(select(Referral))
    assert referral is not None and referral.contact_via == "phone"


async def test_mydata_in_the_middle_of_a_question_asks_it_again(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg):
        tg.user_command(4711, "/start")
        await wait_text(tg, 4711, "Wie alt bist du?")
        tg.user_text(4711, "30")
        await wait_text(tg, 4711, "Wie wohnst du?")
        tg.user_command(4711, "/mydata")
        await wait_text(tg, 4711, render(PM.MYDATA_INTRO, "de"))
        last = tg.last(4711)
        assert last["text"].startswith(render(PM.MYDATA_INTRO, "de"))
        assert last["text"].endswith("Wie wohnst du?")  # the question again, with its buttons
        assert tg.buttons(4711)[0] == ["In einer Unterkunft"]
        tg.user_press_button(4711, "In einer Unterkunft")
        await wait_text(tg, 4711, "Suchst du eine Wohnung?")


async def test_start_link_of_another_flow_is_no_change_of_questions(services):
    ids = await seed(services.sessions)
    async with services.sessions() as s, s.begin():
        s.add(
            EntryPoint(
                code="erst-link",
                buendnis_id=ids["buendnis"],
                source="Plakat",
                flow_id="erstberatung",
            )
        )
    chat = Chat(services, flow=None)  # in the demo, at its first question
    shown = texts(await chat.start())
    assert "Wie alt bist du?" in shown
    out = texts(await chat.cmd("start", "erst-link"))
    assert render(M.FLOW_CHANGED, "de") not in out
    assert "In welcher Stadt" in out or "Moers" in str(chat.buttons)


async def test_old_button_after_delete_answers_in_their_language(db_url, tmp_path, tg):
    tg.add_user(4713, language_code="ar")
    async with polling_worker(db_url, tmp_path, tg):
        tg.user_command(4713, "/start")
        await tg.wait_until(lambda: len(tg.texts(4713)) == 1)
        tg.user_text(4713, "30")
        await tg.wait_until(lambda: len(tg.texts(4713)) == 2)
        old = tg.last(4713)
        tg.user_command(4713, "/delete")
        await wait_text(tg, 4713, render(M.CONFIRM_DELETE, "ar"))
        tg.user_press_button(4713, render(M.DELETE_YES, "ar"))
        await wait_text(tg, 4713, render(PM.DELETED, "ar"))
        data = old["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        tg.user_press(4713, old["message_id"], data, check_button=False)
        await wait_text(tg, 4713, render(M.ALREADY_ANSWERED, "ar"))
        assert render(M.ALREADY_ANSWERED, "de") not in "\n".join(tg.texts(4713))


def test_long_button_texts_are_numbered_and_whole_in_the_message():
    long = "Ich möchte eine Ausbildung in einem Betrieb machen"
    reply = Reply(
        parts=(Msg("Was möchtest du?"),),
        buttons=(Button("Arbeit", "a:v:x:1"), Button(long, "a:v:x:2")),
        ask="x",
    )
    for locale in ("de", "ar"):
        payload = render_reply(reply, locale)
        labels = [b["label"] for b in payload["buttons"]]
        assert all(len(label) <= MAX_LABEL for label in labels)
        assert labels[0] == render("Arbeit", locale)
        assert labels[1].startswith("2. Ich möchte eine") and labels[1].endswith("…")
        assert payload["text"].endswith(f"2. {render(long, locale)}")
