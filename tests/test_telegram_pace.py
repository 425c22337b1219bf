"""One Telegram call per step, counted in the Bot API emulator's call log: the info text and
the next question in one message, the answered keyboard left (a press on it changes nothing),
multiple-choice toggles edited in place — in German and Arabic."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from base.i18n import render
from bot.outbox import Pacing
from bot.telegram.sender import SenderConfig
from dialogs.io import Msg
from dialogs.messages import M
from store.models import Conversation
from tests.helpers import demo_flow
from tests.test_telegram import Worker as TelegramWorker
from tests.test_telegram import eventually, make_services, settled, wait_text

try:
    from tests.tg_emulator import TelegramEmulator
except ImportError:  # pragma: no cover
    from tg_emulator import TelegramEmulator

MESSAGE_CALLS = {"sendMessage", "editMessageText", "editMessageReplyMarkup"}
FLOW = demo_flow()


def text(item_id: str, locale: str, choice: str | None = None) -> str:
    item = FLOW.item(item_id)
    assert item is not None
    label = item.text if choice is None else next(c.label for c in item.choices if c.code == choice)
    return render(Msg(label, FLOW.context(item_id)), locale)


def calls(tg: TelegramEmulator, chat: int) -> int:
    return sum(c.method in MESSAGE_CALLS and c.params.get("chat_id") == chat for c in tg.calls)


@pytest.fixture
async def tg():
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.mark.parametrize("locale", ["de", "ar"])
async def test_one_call_per_step_over_the_demo(db_url, tmp_path, tg, locale):
    user = 4712
    tg.add_user(user, language_code=locale)
    services = make_services(db_url, tmp_path)
    config = SenderConfig(pacing=Pacing(chat_rate=200.0, chat_burst=10), idle_poll=0.05)
    w = TelegramWorker(services, tg, config)
    w.start_sender()
    w.start_polling()
    steps = 0

    async def step(send, expect: str, count: int = 1) -> None:
        nonlocal steps
        before = calls(tg, user)
        send()
        steps += 1
        await wait_text(tg, user, expect, count)
        await tg.wait_until(lambda: calls(tg, user) > before, what="the step's call")
        await tg.wait_idle()
        await eventually(lambda: settled(services))  # all the step would send is out
        assert calls(tg, user) - before == 1, "one call for this step"

    def press(item: str, code: str):
        return lambda: tg.user_press_button(user, text(item, locale, code))

    try:
        await step(lambda: tg.user_command(user, "/start"), text("age", locale))
        greeting = tg.texts(user)[0]  # the info text and the first question: one message
        assert text("welcome", locale) in greeting and text("age", locale) in greeting
        await step(lambda: tg.user_text(user, "22"), text("housing", locale))
        await step(press("housing", "shared"), text("housing_help", locale))
        await step(press("housing_help", "yes"), text("needs", locale))
        multi = tg.last(user)
        await step(press("needs", "wohnen"), text("needs", locale))  # edited in place
        await step(press("needs", "arbeit"), text("needs", locale))
        assert tg.last(user)["message_id"] == multi["message_id"]
        # a press on an answered question's keyboard: answered, nothing recorded, one call
        old = tg.sent(user)[1]  # the housing question
        data = old["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        await step(
            lambda: tg.user_press(user, old["message_id"], data, check_button=False),
            text("needs", locale),
            count=2,
        )
        done = render(M.DONE, locale)
        await step(lambda: tg.user_press_button(user, done), render(M.THANKS, locale))
        total = sum(c.method in MESSAGE_CALLS for c in tg.calls)
        assert total / steps <= 1.1
        assert not [c for c in tg.calls if c.method == "editMessageReplyMarkup"]
        async with services.sessions() as s:
            conv = await s.scalar(select(Conversation))
            assert conv is not None and conv.state.get("finished") is True
            assert conv.locale == locale
    finally:
        await w.stop()
        await services.close()
