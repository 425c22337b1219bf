"""The Telegram channel end to end over HTTP: the real aiogram polling loop and the real
webhook route (uvicorn) against the Bot API emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from aiogram.types import Message
from sqlalchemy import func, select

from admin_api.app import create_app
from base.settings import load_settings
from bot import flood
from bot.clock import SYSTEM_CLOCK, Clock
from bot.outbox import Pacing, claim
from bot.telegram.adapter import (
    TelegramChannel,
    command_list,
    event_of,
    make_bot,
    set_commands,
)
from bot.telegram.sender import SenderConfig, TelegramSender
from bot.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH, webhook_router
from dialogs.io import Command, Text
from dialogs.loader import load_flow
from results.storage import stored_answers
from store.demo import load_demo
from store.models import (
    Conversation,
    InboundSeen,
    OutboxMessage,
    SurveyResponse,
    utcnow,
)
from wegweiser.services import Services, build

try:
    from tests.tg_emulator import FloodLimits, TelegramEmulator
except ImportError:  # pragma: no cover
    from tg_emulator import FloodLimits, TelegramEmulator

U = 4711
SECRET = "webhook-secret_123"
FAST = SenderConfig(
    pacing=Pacing(chat_rate=200.0, chat_burst=10, lease_seconds=30),
    global_rate=1000.0,
    retry_seconds=0.05,
    idle_poll=0.05,
)


def make_services(db_url: str, tmp_path: Path, **overrides) -> Services:
    flows = overrides.pop("flows", None)
    cfg = load_settings(
        database_url=db_url, instance_dir=tmp_path, secret_key="s" * 40, **overrides
    )
    return build(cfg, flows=flows)


async def eventually(check, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Re-check an async condition (database state after a send) until it holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.05)


class MovableClock:
    """The system clock, moved on by the test: a retry wait or a lease is over when the test
    says so, not after a sleep."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def advance(self, seconds: float) -> None:
        self.ahead += seconds

    def now(self) -> dt.datetime:
        return utcnow() + dt.timedelta(seconds=self.ahead)

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead


@asynccontextmanager
async def no_retry_waits(
    tg: TelegramEmulator, clock: MovableClock, services: Services
) -> AsyncIterator[None]:
    """After each error answer, once the sender has recorded it, move the sender's clock past
    the wait it set (429: `retry_after`; 5xx: the backoff): the retry goes out at once."""

    async def recorded() -> bool:
        async with services.sessions() as s:
            sending = select(func.count()).where(OutboxMessage.status == "sending")
            return not await s.scalar(sending)

    async def skip() -> None:
        handled = 0
        while True:
            await tg.wait_until(lambda n=handled: len(tg.errors) > n, 3600, "an error")
            handled = len(tg.errors)
            await eventually(recorded, timeout=60)
            clock.advance(60)

    task = asyncio.create_task(skip())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Worker:
    """One Wegweiser process: runtime, aiogram channel, outbox sender."""

    def __init__(
        self,
        services: Services,
        tg: TelegramEmulator,
        config: SenderConfig = FAST,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.services = services
        self.bot = make_bot(tg.token, tg.base_url)
        self.channel = TelegramChannel(services.runtime, self.bot)
        self.sender = TelegramSender(
            self.bot,
            services.sessions,
            config,
            ready=services.runtime.outbox_ready,
            write_lock=services.runtime.single_writer,
            addresses=services.runtime.addresses,
            clock=clock,
        )
        self.tasks: list[asyncio.Task] = []

    def start_sender(self) -> None:
        self.tasks.append(asyncio.create_task(self.sender.run()))

    def start_polling(self) -> None:
        self.tasks.append(asyncio.create_task(self.channel.poll(polling_timeout=1)))

    async def stop(self) -> None:
        await self.channel.stop()
        self.sender.stop()
        await asyncio.wait(self.tasks, timeout=10)
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.bot.session.close()


@asynccontextmanager
async def polling_worker(db_url, tmp_path, tg, clock: Clock = SYSTEM_CLOCK, **overrides):
    services = make_services(db_url, tmp_path, **overrides)
    w = Worker(services, tg, clock=clock)
    w.start_sender()
    w.start_polling()
    try:
        yield w
    finally:
        await w.stop()
        await services.close()


@pytest.fixture
async def tg():
    async with TelegramEmulator() as emulator:
        yield emulator


async def wait_text(tg: TelegramEmulator, chat: int, text: str, count: int = 1) -> None:
    await tg.wait_until(
        lambda: sum(text in t for t in tg.texts(chat)) >= count,
        timeout=10,
        what=f"{count}x {text!r} (have {tg.texts(chat)!r})",
    )


async def rows(services: Services, model) -> list:
    await services.holding.flush(force=True)  # what the holding area keeps back
    async with services.sessions() as s:
        return list((await s.execute(select(model))).scalars())


async def settled(services: Services) -> bool:
    """Nothing is left to send: every outbox row was sent (and so deleted) or dead-lettered."""
    async with services.sessions() as s:
        waiting = select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
        return not await s.scalar(waiting)


async def unpacked(services: Services) -> list:
    await services.holding.flush(force=True)  # what the holding area keeps back
    async with services.sessions() as s:
        return await stored_answers(s)


async def start_german(tg, chat=U):
    tg.user_command(chat, "/start")  # the emulator's phones are set to German
    await wait_text(tg, chat, "Wie alt bist du?")


# ---------------------------------------------------------------- demo flow


async def test_demo_by_buttons(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg) as w:
        await start_german(tg)
        tg.user_text(U, "22")
        await wait_text(tg, U, "Wie wohnst du?")
        assert tg.buttons(U) == [
            ["In einer Unterkunft"],
            ["In einer eigenen Wohnung"],
            ["Anders"],
            ["Zurück"],
        ]
        press = tg.user_press_button(U, "In einer Unterkunft")
        await wait_text(tg, U, "Suchst du eine Wohnung?")
        assert tg.callback_answer(press) is not None
        tg.user_press_button(U, "Ja")
        await wait_text(tg, U, "Wobei brauchst du Hilfe?")
        question = tg.last(U)
        tg.user_press_button(U, "Wohnen")
        await tg.wait_until(lambda: ["✓ Wohnen"] in tg.buttons(U, question["message_id"]))
        tg.user_press_button(U, "Arbeit")
        await tg.wait_until(lambda: ["✓ Arbeit"] in tg.buttons(U, question["message_id"]))
        # toggles edit the question in place: no new message
        assert tg.last(U)["message_id"] == question["message_id"]
        tg.user_press_button(U, "Fertig")
        await wait_text(tg, U, "Danke für deine Antworten!")
        assert tg.calls_to("editMessageReplyMarkup") == []  # one call per step
        assert len(tg.answered_callbacks) == 5  # every press answered
        responses = await rows(w.services, SurveyResponse)
        answers = {(a.item_id, a.code, a.number) for a in await unpacked(w.services)}
    assert len(responses) == 1
    assert answers == {
        ("age", None, 22.0),
        ("housing", "shared", None),
        ("housing_help", "yes", None),
        ("needs", "arbeit", None),
        ("needs", "wohnen", None),
    }


async def test_demo_by_typed_text(db_url, tmp_path, tg, caplog):
    caplog.set_level("INFO")  # the production level
    async with polling_worker(db_url, tmp_path, tg) as w:
        await start_german(tg)
        for typed, expect in (
            ("22", "Wie wohnst du?"),
            ("unterkunft", "Suchst du eine Wohnung?"),
            ("ja", "Wobei brauchst du Hilfe?"),
            ("Wohnen", "Danke für deine Antworten!"),
        ):
            tg.user_text(U, typed)
            await wait_text(tg, U, expect)
        # info text and question in one message: the greeting, then one message per answer
        # ("Wohnen" ends it with the thanks and the way on in one message)
        assert len(tg.calls_to("sendMessage")) == 5
        assert len(await rows(w.services, SurveyResponse)) == 1
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged  # the run was logged …
    for secret in (str(U), "unterkunft", "Wohnen"):  # … without messenger ids or texts
        assert secret not in logged


async def test_stale_button_gets_notice_and_current_question(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg):
        await start_german(tg)
        tg.user_text(U, "22")
        await wait_text(tg, U, "Wie wohnst du?")
        old = tg.last(U)
        data = old["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        tg.user_press_button(U, "In einer eigenen Wohnung")
        await wait_text(tg, U, "Wobei brauchst du Hilfe?")
        assert tg.buttons(U, old["message_id"]) != []  # stays: removing it costs a call
        stale = tg.user_press(U, old["message_id"], data, check_button=False)
        await wait_text(tg, U, "Diese Frage ist schon beantwortet.")
        await wait_text(tg, U, "Wobei brauchst du Hilfe?", count=2)
        assert tg.callback_answer(stale)["text"] == "Schon beantwortet."


# ---------------------------------------------------------------- other updates


async def test_unsupported_updates_get_a_short_reply(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg):
        await start_german(tg)
        tg.user_sticker(U)
        await wait_text(tg, U, "Ich kann nur Text und Knöpfe lesen.")
        tg.user_photo(U, caption="hier")
        tg.user_voice(U)
        tg.user_location(U)
        tg.edited_text(U, "21")
        await wait_text(tg, U, "Ich kann nur Text und Knöpfe lesen.", count=5)


async def test_group_chat_is_left_and_nothing_stored(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg) as w:
        tg.group_text(-100555, U, "/start")
        await tg.wait_until(lambda: -100555 in tg.left_chats)
        tg.add_group(-777)
        tg.group_text(-777, U, "hallo")
        await tg.wait_until(lambda: -777 in tg.left_chats)
        await tg.wait_idle()
        assert tg.sent(-100555) == [] and tg.sent(-777) == []
        assert await rows(w.services, Conversation) == []
        assert await rows(w.services, InboundSeen) == []
        assert await rows(w.services, OutboxMessage) == []


async def test_over_long_message_is_refused(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg):
        await start_german(tg)
        tg.user_text(U, "x" * 1500)
        await wait_text(tg, U, "Deine Nachricht ist zu lang.")
        assert "höchstens 1000 Zeichen" in tg.texts(U)[-1]


# ---------------------------------------------------------------- commands


async def test_commands_per_language(tg):
    bot = make_bot(tg.token, tg.base_url)
    try:
        await set_commands(bot)
    finally:
        await bot.session.close()
    names = [c["command"] for c in tg.commands_for("")]
    assert names == ["start", "language", "help", "restart", "mydata", "delete", "stop"]
    for code in ("de", "ar", "fa", "ku", "uk", "ur"):
        assert [c["command"] for c in tg.commands_for(code)] == names
    assert tg.commands_for("de")[4]["description"] == command_list("de")[4].description


async def test_deep_link_mydata_stop_delete(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg) as w:
        await load_demo(w.services.sessions)
        tg.user_command(U, "/start", payload="demo-plakat")
        await wait_text(tg, U, "Wie alt bist du?")
        tg.user_text(U, "30")
        await wait_text(tg, U, "Wie wohnst du?")
        tg.user_command(U, "/mydata")
        await wait_text(tg, U, "Das habe ich über dich gespeichert:")
        mydata = next(t for t in tg.texts(U) if t.startswith("Das habe ich"))
        assert "Sprache: Deutsch" in mydata
        assert "Aktuelle Frage: Wie wohnst du?" in mydata
        assert "Wie alt bist du? – 30" in mydata
        assert "Plakat Bahnhof (Beispiel)" in mydata
        tg.user_command(U, "/stop")
        await wait_text(tg, U, "keine Einladungen mehr")
        [conv] = await rows(w.services, Conversation)
        assert conv.invitations is False and conv.source == "Plakat Bahnhof (Beispiel)"
        tg.user_command(U, "/delete")
        await wait_text(tg, U, "Alles über dich löschen?")
        tg.user_press_button(U, "Ja, alles löschen")
        await wait_text(tg, U, "Ich habe alles über dich gelöscht.")

        async def outbox_empty() -> bool:
            return await rows(w.services, OutboxMessage) == []

        await eventually(outbox_empty)
        assert await rows(w.services, Conversation) == []
        assert await rows(w.services, InboundSeen) == []


async def test_help_lists_data_commands(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg):
        await start_german(tg)
        tg.user_command(U, "/help")
        await wait_text(tg, U, "/mydata zeigt")
        await wait_text(tg, U, "Wie alt bist du?", count=2)


# ---------------------------------------------------------------- long keyboards

MANY = """
id: many
title: Viele
kind: survey
items:
  - id: land
    kind: single
    text: "Woher kommst du?"
    choices:
""" + "".join(f'      - {{code: c{n}, label: "Land {n}"}}\n' for n in range(1, 13))


async def test_long_keyboard_is_paginated(db_url, tmp_path, tg):
    path = tmp_path / "many.yaml"
    path.write_text(MANY, encoding="utf-8")
    flows = {"many": load_flow(path)}
    async with polling_worker(db_url, tmp_path, tg, flows=flows, default_flow="many") as w:
        tg.user_command(U, "/start")
        await wait_text(tg, U, "Woher kommst du?")
        question = tg.last(U)
        assert tg.buttons(U)[:8] == [[f"Land {n}"] for n in range(1, 9)]
        assert tg.buttons(U)[8] == ["›"]
        tg.user_press_button(U, "›")
        await tg.wait_until(lambda: ["Land 12"] in tg.buttons(U, question["message_id"]))
        assert tg.buttons(U, question["message_id"]) == [
            ["Land 9"],
            ["Land 10"],
            ["Land 11"],
            ["Land 12"],
            ["‹"],
        ]
        assert tg.last(U)["message_id"] == question["message_id"]  # edited, not re-sent
        tg.user_press_button(U, "Land 11")
        await wait_text(tg, U, "Danke für deine Antworten!")
        answers = await unpacked(w.services)
    assert [(a.item_id, a.code) for a in answers] == [("land", "c11")]


# ---------------------------------------------------------------- flood control


async def test_flood_control_one_notice_rest_dropped(db_url, tmp_path, tg):
    before = flood.dropped["telegram"]
    async with polling_worker(db_url, tmp_path, tg, flood_max_updates=5) as w:
        await start_german(tg)  # 1 update
        for n in range(7):  # 4 within the limit, then one notice, then two dropped
            tg.user_text(U, f"{20 + n}")
        await wait_text(tg, U, "Bitte warte kurz.")
        await tg.wait_idle()
        async with w.services.sessions() as s:
            seen = await s.scalar(select(func.count()).select_from(InboundSeen))
        assert seen == 8
        await eventually(lambda: settled(w.services))  # whatever the updates gave is out
        assert sum("Bitte warte kurz." in t for t in tg.texts(U)) == 1
    assert flood.dropped["telegram"] - before == 3


# ---------------------------------------------------------------- delivery faults


async def test_429_storm_loses_nothing_and_keeps_order(db_url, tmp_path, tg):
    tg.enable_flood_control(FloodLimits(per_chat_per_second=20, per_chat_burst=2))
    tg.fail_next("sendMessage", 429, retry_after=1, times=2)
    clock = MovableClock()
    async with (
        polling_worker(db_url, tmp_path, tg, clock) as w,
        no_retry_waits(tg, clock, w.services),
    ):
        await start_german(tg)
        for _ in range(3):
            tg.user_command(U, "/help")
        await wait_text(tg, U, "Wie alt bist du?", count=4)
        assert any(e.error_code == 429 for e in tg.errors)

        async def outbox_empty() -> bool:
            return await rows(w.services, OutboxMessage) == []

        await eventually(outbox_empty)  # all sent, none dead
        texts = tg.texts(U)
        # each /help is one message: help, the data commands, the question again
        assert len(texts) == 4 and all(t.startswith("Ich bin Wegweiser.") for t in texts[1:])
        assert all("Deine Daten:" in t and t.endswith("14 bis 99.") for t in texts[1:])


async def test_403_opts_out_and_stops_sending(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg) as w:
        await start_german(tg)
        tg.fail_next("sendMessage", 403, chat_id=U)
        calls_before = len(tg.calls_to("sendMessage"))
        tg.user_command(U, "/help")  # three replies: the first fails with 403
        await tg.wait_until(lambda: any(e.error_code == 403 for e in tg.errors))
        await eventually(lambda: settled(w.services))
        assert len(tg.calls_to("sendMessage")) == calls_before + 1
        [conv] = await rows(w.services, Conversation)
        dead = await rows(w.services, OutboxMessage)
        assert conv.opted_out is True
        assert len(dead) == 3 and all(r.status == "dead" for r in dead)
        assert all(r.last_error.startswith("403") for r in dead)


async def test_block_update_opts_out(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg) as w:
        await start_german(tg)
        tg.block(U)
        await tg.wait_idle()

        async def opted_out() -> bool:
            [conv] = await rows(w.services, Conversation)
            return conv.opted_out

        await eventually(opted_out)


async def test_server_errors_retry_then_dead_letter(db_url, tmp_path, tg):
    clock = MovableClock()
    async with (
        polling_worker(db_url, tmp_path, tg, clock) as w,
        no_retry_waits(tg, clock, w.services),
    ):
        await start_german(tg)
        tg.fail_next("sendMessage", 502, times=2)
        tg.drop_connection_next("sendMessage")
        tg.user_command(U, "/help")
        await wait_text(tg, U, "Wie alt bist du?", count=2)  # got through after retries
        tg.fail_next("sendMessage", 500, times=10, chat_id=U)
        tg.user_text(U, "abc")
        await tg.wait_until(lambda: len([e for e in tg.errors if e.error_code == 500]) >= 5)
        await eventually(lambda: settled(w.services))
        dead = [r for r in await rows(w.services, OutboxMessage) if r.status == "dead"]
        assert dead and "TelegramServerError" in dead[0].last_error


# ---------------------------------------------------------------- restart, crash


async def test_restart_mid_conversation(db_url, tmp_path, tg):
    async with polling_worker(db_url, tmp_path, tg):
        await start_german(tg)
        tg.user_text(U, "22")
        await wait_text(tg, U, "Wie wohnst du?")
    # a new process on the same database continues where the person is
    async with polling_worker(db_url, tmp_path, tg) as w:
        tg.user_press_button(U, "Anders")
        await wait_text(tg, U, "Wobei brauchst du Hilfe?")
        tg.user_press_button(U, "Fertig")
        await wait_text(tg, U, "Danke für deine Antworten!")
        assert len(await rows(w.services, SurveyResponse)) == 1


async def test_claimed_but_unsent_rows_are_sent_after_a_crash(db_url, tmp_path, tg):
    services = make_services(db_url, tmp_path)
    crashed = Worker(services, tg, FAST)
    crashed.start_polling()
    tg.user_command(U, "/start")
    await tg.wait_idle()

    async def replied() -> bool:
        return bool(await rows(services, OutboxMessage))

    await eventually(replied)
    claimed = await claim(services.sessions, "telegram", FAST.pacing)  # then it "dies"
    assert len(claimed) == 1 and tg.sent(U) == []
    await crashed.stop()
    clock = MovableClock()
    clock.advance(FAST.pacing.lease_seconds)  # the lease runs out
    w = Worker(services, tg, FAST, clock)
    w.start_sender()
    try:
        await wait_text(tg, U, "Wie alt bist du?")
    finally:
        await w.stop()
        await services.close()


# ---------------------------------------------------------------- webhook


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def webhook_worker(db_url, tmp_path, tg):
    services = make_services(db_url, tmp_path)
    w = Worker(services, tg)
    w.channel.reraise = True
    api = create_app(services.engine)
    api.include_router(webhook_router(w.channel, SECRET))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    await w.bot.set_webhook(url, secret_token=SECRET)
    w.start_sender()
    try:
        yield w, url
    finally:
        server.should_exit = True
        await serving
        await w.stop()
        await services.close()


async def test_webhook_flow_and_redelivery(db_url, tmp_path, tg):
    async with webhook_worker(db_url, tmp_path, tg) as (w, url):
        first = tg.user_command(U, "/start")
        await wait_text(tg, U, "Wie alt bist du?")
        tg.redeliver(first)
        await tg.wait_idle()
        tg.redeliver(first)
        tg.user_text(U, "22")
        await wait_text(tg, U, "Wie wohnst du?")
        await tg.wait_idle()
        await eventually(lambda: settled(w.services))  # a redelivery's reply would be out
        assert sum("Wie alt bist du?" in t for t in tg.texts(U)) == 1
        assert all(a.status == 200 for a in tg.webhook_attempts)
        async with httpx.AsyncClient() as client:
            wrong = await client.post(url, json={"update_id": 1}, headers={SECRET_HEADER: "x"})
            missing = await client.post(url, json={"update_id": 1})
            bad = await client.post(url, content=b"[1,", headers={SECRET_HEADER: SECRET})
        assert (wrong.status_code, missing.status_code, bad.status_code) == (403, 403, 400)
        assert len(await rows(w.services, Conversation)) == 1


# ---------------------------------------------------------------- two workers


async def test_two_workers_share_one_outbox_without_double_sends(db_url, tmp_path, tg):
    if not db_url.startswith("postgresql"):
        pytest.skip("by design: SQLite variant; workers share an outbox only on PostgreSQL")
    a = Worker(make_services(db_url, tmp_path), tg)
    b = Worker(make_services(db_url, tmp_path), tg)
    a.start_polling()
    users = list(range(5001, 5013))
    try:
        for u in users:
            tg.user_command(u, "/help")
        await tg.wait_idle()

        async def all_handled() -> bool:  # replies are written with the update's record
            async with a.services.sessions() as s:
                return await s.scalar(select(func.count()).select_from(InboundSeen)) == len(users)

        await eventually(all_handled)  # everything is in the outbox; now both send
        a.start_sender()
        b.start_sender()
        for u in users:
            await wait_text(tg, u, "Schreib /start, um zu beginnen.")

        async def all_recorded() -> bool:
            if await rows(a.services, OutboxMessage):  # merged rows gone too
                return False
            return a.sender.sent + b.sender.sent >= len(users)  # counted after the commit

        await eventually(all_recorded)
        for u in users:  # the three replies of a step in one message
            texts = tg.texts(u)
            assert len(texts) == 1, texts
            assert texts[0].startswith("Ich bin Wegweiser.") and "\n\nDeine" in texts[0]
        assert a.sender.sent + b.sender.sent == len(users)
        assert len(tg.calls_to("sendMessage")) == len(users)  # nothing sent twice
    finally:
        await a.stop()
        await b.stop()
        await a.services.close()
        await b.services.close()


# ---------------------------------------------------------------- setup commands, units


async def test_set_and_delete_webhook_through_the_service(tmp_path, tg):
    from bot.telegram.service import delete_webhook, set_webhook

    cfg = load_settings(
        instance_dir=tmp_path,
        telegram_bot_token=tg.token,
        telegram_api_base=tg.base_url,
        telegram_webhook_secret=SECRET,
    )
    said = await set_webhook(cfg, "https://wegweiser.example.org/telegram/webhook")
    assert said.startswith("webhook set: https://wegweiser.example.org/telegram/webhook")
    [call] = tg.calls_to("setWebhook")
    assert call["secret_token"] == SECRET
    assert tg.commands_for("ar")  # the command menu comes with it
    assert await delete_webhook(cfg) == "webhook deleted"
    assert tg.webhook_url == ""


def test_cli_telegram_needs_token_and_secret(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from base import settings as settings_module
    from wegweiser.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    settings_module.get_settings.cache_clear()
    runner = CliRunner()
    result = runner.invoke(app, ["telegram", "set-webhook", "https://x.example/telegram/webhook"])
    assert result.exit_code == 2 and "TELEGRAM_BOT_TOKEN" in result.output
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    settings_module.get_settings.cache_clear()
    result = runner.invoke(app, ["telegram", "set-webhook", "https://x.example/telegram/webhook"])
    assert result.exit_code == 2 and "WEBHOOK_SECRET" in result.output
    monkeypatch.setenv("WEGWEISER_TELEGRAM_WEBHOOK_SECRET", "bad secret!")
    settings_module.get_settings.cache_clear()
    result = runner.invoke(app, ["telegram", "delete-webhook"])
    assert result.exit_code == 2 and "WEGWEISER_TELEGRAM_WEBHOOK_SECRET" in result.output
    settings_module.get_settings.cache_clear()


def test_keyboard_pages_keep_controls_and_marks():
    from bot.telegram.keyboard import markup
    from dialogs.buttons import Op, encode, parse

    buttons = [
        {
            "label": f"L{n}",
            "data": encode(Op.TOGGLE, "abcdef12", "needs", f"c{n}"),
            "selected": n == 10,
        }
        for n in range(11)
    ]
    buttons.append({"label": "Fertig", "data": encode(Op.DONE, "abcdef12", "needs", "")})
    first = markup({"buttons": buttons})
    labels = [[b.text for b in row] for row in first.inline_keyboard]
    assert labels == [[f"L{n}"] for n in range(8)] + [["›"], ["Fertig"]]
    nav = parse(first.inline_keyboard[8][0].callback_data)
    assert (nav.op, nav.item, nav.code) == (Op.PAGE, "needs", "1")
    second = markup({"buttons": buttons, "page": 1})
    labels = [[b.text for b in row] for row in second.inline_keyboard]
    assert labels == [["L8"], ["L9"], ["✓ L10"], ["‹"], ["Fertig"]]
    assert markup({"buttons": buttons, "page": 99}).inline_keyboard[0][0].text == "L8"
    assert markup({"buttons": []}) is None
    languages = [{"label": f"S{n}", "data": encode(Op.LANGUAGE, "", "", f"x{n}")} for n in range(9)]
    page_data = markup({"buttons": languages}).inline_keyboard[8][0].callback_data
    assert parse(page_data).item == "@language"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/", Text("/")),
        ("/ hallo", Text("/ hallo")),
        ("/start demo-jmd", Command("start", "demo-jmd")),
        ("/Help@wegweiser_bot", Command("help", "")),
    ],
)
def test_slash_alone_is_text_not_a_crash(text, expected):
    message = Message.model_validate(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 7, "type": "private"},
            "from": {"id": 7, "is_bot": False, "first_name": "A"},
            "text": text,
        }
    )
    assert event_of(message) == expected
