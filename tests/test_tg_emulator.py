"""The Telegram emulator must behave like the Bot API as seen by the real aiogram client."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods import GetUpdates
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from aiogram.utils.backoff import BackoffConfig
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import ClientSession, web

try:
    from tests.tg_emulator import FloodLimits, TelegramEmulator
except ImportError:  # tests/ itself is on sys.path (rootdir without package marker)
    from tg_emulator import FloodLimits, TelegramEmulator

USER = 4711
FAST_BACKOFF = BackoffConfig(min_delay=0.05, max_delay=0.2, factor=1.5, jitter=0.0)


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=d.upper(), callback_data=d)] for d in data]
    )


@pytest.fixture
async def tg():
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(tg):
    bot = Bot(tg.token, session=AiohttpSession(api=tg.api_server()))
    yield bot
    await bot.session.close()


class Receiver:
    """A tiny webhook endpoint: records requests, answers with queued status codes."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret
        self.bodies: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.statuses: list[int] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.headers.append(dict(request.headers))
        if self.secret and request.headers.get("X-Telegram-Bot-Api-Secret-Token") != self.secret:
            return web.Response(status=401, text="Unauthorized")
        self.bodies.append(await request.json())
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({}, status=status)

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self.runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


# ------------------------------------------------------------------------------ plain API


async def test_get_me_and_api_server(tg, bot):
    assert tg.api_server().api_url(tg.token, "getMe") == f"{tg.base_url}/bot{tg.token}/getMe"
    me = await bot.get_me()
    assert me.id == tg.bot_id == bot.id
    assert me.is_bot
    assert me.username == tg.bot_username
    assert tg.calls[-1].method == "getMe"


async def test_wrong_token_is_unauthorized(tg):
    stranger = Bot("42:not-the-registered-token", session=AiohttpSession(api=tg.api_server()))
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await stranger.get_me()
    finally:
        await stranger.session.close()
    async with ClientSession() as http:
        async with http.post(f"{tg.base_url}/bot42:nope/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
    assert tg.calls == []


async def test_raw_http_json_form_query_and_unknown_method(tg):
    tg.add_user(USER)
    url = f"{tg.base_url}/bot{tg.token}"
    async with ClientSession() as http:
        async with http.post(f"{url}/sendMessage", json={"chat_id": USER, "text": "json"}) as r:
            body = await r.json()
            assert body["ok"] is True
            assert body["result"]["text"] == "json"
        form = {
            "chat_id": str(USER),
            "text": "form",
            "reply_markup": json.dumps(
                {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
            ),
        }
        async with http.post(f"{url}/sendmessage", data=form) as r:
            result = (await r.json())["result"]
            assert result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
        async with http.get(f"{url}/sendMessage", params={"chat_id": USER, "text": "q"}) as r:
            assert (await r.json())["result"]["message_id"] == 3
        async with http.post(f"{url}/sendSomethingElse", json={}) as r:
            assert r.status == 404
            assert await r.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
    assert tg.texts(USER) == ["json", "form", "q"]
    assert [c.method for c in tg.calls] == [
        "sendMessage",
        "sendMessage",
        "sendMessage",
        "sendSomethingElse",
    ]
    assert tg.calls[1].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"


async def test_send_message_returns_real_message(tg, bot):
    tg.user_command(USER, "/start", first_name="Amina", language_code="ar")
    first = await bot.send_message(USER, "Hallo & willkommen", reply_markup=keyboard("de", "ar"))
    second = await bot.send_message(USER, "Zweite Nachricht")
    assert isinstance(first, Message)
    assert first.message_id == 2  # the user's /start was message 1
    assert second.message_id == 3
    assert first.chat.id == USER and first.chat.type == "private"
    assert first.chat.first_name == "Amina"
    assert first.from_user.id == bot.id and first.from_user.is_bot
    assert abs(first.date.timestamp() - time.time()) < 5
    assert first.text == "Hallo & willkommen" and not first.entities
    assert isinstance(first.reply_markup, InlineKeyboardMarkup)
    assert first.reply_markup.inline_keyboard[1][0].callback_data == "ar"
    assert second.reply_markup is None

    sent = tg.sent(USER)
    assert [m["message_id"] for m in sent] == [2, 3]
    assert sent[0]["raw_text"] == "Hallo & willkommen"
    assert tg.buttons(USER, 2) == [["DE"], ["AR"]]
    assert [m["from_bot"] for m in tg.history(USER)] == [False, True, True]


async def test_reply_keyboard_is_tracked_but_not_echoed(tg, bot):
    tg.add_user(USER)
    markup = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Ja"), KeyboardButton(text="Nein")]], resize_keyboard=True
    )
    message = await bot.send_message(USER, "Frage?", reply_markup=markup)
    assert message.reply_markup is None  # Telegram only echoes inline keyboards
    assert tg.reply_keyboard(USER)["keyboard"][0][1]["text"] == "Nein"
    await bot.send_message(USER, "Danke", reply_markup=ReplyKeyboardRemove())
    assert tg.reply_keyboard(USER) is None


async def test_message_validation_errors(tg, bot):
    tg.add_user(USER)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    assert (await bot.send_message(USER, "x" * 4096)).text == "x" * 4096
    with pytest.raises(TelegramBadRequest, match="parse_mode HTML is not emulated"):
        await bot.send_message(USER, "<b>x</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "niemand da")
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(USER, "re", reply_to_message_id=77)
    assert len(tg.sent(USER)) == 1
    assert [e.error_code for e in tg.errors] == [400] * 5


async def test_button_data_limits(tg, bot):
    tg.add_user(USER)
    await bot.send_message(USER, "ok", reply_markup=keyboard("x" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "zu lang", reply_markup=keyboard("x" * 65))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "bytes", reply_markup=keyboard("ä" * 33))  # 66 bytes
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(
            USER,
            "nur Text",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x")]]),
        )
    assert tg.texts(USER) == ["ok"]


async def test_edit_message_reply_markup_and_text(tg, bot):
    tg.add_user(USER)
    message = await bot.send_message(USER, "Wähle", reply_markup=keyboard("a", "b"))
    edited = await bot.edit_message_reply_markup(
        chat_id=USER, message_id=message.message_id, reply_markup=keyboard("c")
    )
    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    assert edited.reply_markup.inline_keyboard[0][0].callback_data == "c"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=USER, message_id=message.message_id, reply_markup=keyboard("c")
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=99, reply_markup=keyboard("c"))

    # editMessageText without reply_markup removes the inline keyboard, like Telegram.
    edited = await bot.edit_message_text(
        text="Gewählt: C", chat_id=USER, message_id=message.message_id
    )
    assert edited.text == "Gewählt: C" and edited.reply_markup is None
    entry = tg.sent(USER)[0]
    assert entry["text"] == "Gewählt: C"
    assert entry["reply_markup"] is None
    assert [e["text"] for e in entry["edits"]] == ["Wähle", "Wähle"]
    assert await bot.delete_message(USER, message.message_id)
    assert tg.sent(USER)[0]["deleted"]
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="weg", chat_id=USER, message_id=message.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, message.message_id)


async def test_commands_per_language_and_scope(tg, bot):
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(
        [
            BotCommand(command="start", description="Beginnen"),
            BotCommand(command="delete", description="Daten löschen"),
        ],
        language_code="de",
        scope=BotCommandScopeAllPrivateChats(),
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    de = await bot.get_my_commands(language_code="de", scope=BotCommandScopeAllPrivateChats())
    assert [c.description for c in de] == ["Beginnen", "Daten löschen"]
    assert await bot.get_my_commands(language_code="de") == []
    assert tg.commands_for("de", {"type": "all_private_chats"})[1]["command"] == "delete"
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])
    with pytest.raises(TelegramBadRequest, match="invalid language code"):
        await bot.set_my_commands(
            [BotCommand(command="start", description="x")], language_code="ckb"
        )


async def test_leave_chat_and_blocking(tg, bot):
    tg.group_text(-1001234, USER, "hallo gruppe", title="Helferkreis")
    assert await bot.leave_chat(-1001234)
    assert tg.left_chats == {-1001234}
    with pytest.raises(TelegramForbiddenError, match="not a member of the supergroup chat"):
        await bot.send_message(-1001234, "noch da?")

    left = tg.pending_updates[-1]
    assert tg._updates[left]["my_chat_member"]["new_chat_member"]["status"] == "left"
    with pytest.raises(ValueError, match="not a member"):
        tg.group_text(-1001234, USER, "noch jemand da?")

    # Known only from a group: the bot may not start a private conversation.
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(USER, "privat")
    tg.add_user(USER)
    update_id = tg.block(USER)
    assert tg._updates[update_id]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    Update.model_validate(tg._updates[update_id])
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hallo?")
    tg.unblock(USER)
    await bot.send_message(USER, "wieder da")


# --------------------------------------------------------------------------- fault injection


async def test_retry_after_and_other_injected_faults(tg, bot):
    tg.add_user(USER)
    tg.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "eins")
    assert caught.value.retry_after == 3
    assert "retry after 3" in caught.value.message
    await bot.send_message(USER, "eins")  # only the next call failed

    tg.fail_next("sendMessage", 403, chat_id=USER, times=2)
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(USER, "zwei")
    tg.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(TelegramServerError):
        await bot.send_message(USER, "drei")
    tg.drop_connection_next("sendMessage")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(USER, "vier")
    await bot.send_message(USER, "fünf")
    assert tg.texts(USER) == ["eins", "fünf"]
    assert len(tg.calls_to("sendMessage")) == 7
    assert [e.error_code for e in tg.errors] == [429, 403, 403, 502]


async def test_flood_control(tg, bot):
    tg.add_user(USER)
    tg.enable_flood_control(FloodLimits(per_chat_per_second=1.0, per_chat_burst=2))
    await bot.send_message(USER, "1")
    await bot.send_message(USER, "2")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "3")
    assert caught.value.retry_after >= 1
    tg.disable_flood_control()
    await bot.send_message(USER, "3")


# ------------------------------------------------------------------------------- updates


async def test_get_updates_long_polls_and_confirms(tg, bot):
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot(GetUpdates(timeout=1), request_timeout=5) == []
    assert loop.time() - started >= 0.9  # really waited for the timeout

    async def inject_later() -> int:
        await asyncio.sleep(0.2)
        return tg.user_text(USER, "hallo")

    started = loop.time()
    injector = asyncio.create_task(inject_later())
    updates = await bot(GetUpdates(timeout=5), request_timeout=10)
    assert loop.time() - started < 2  # woke up on the new update
    update_id = await injector
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message.text == "hallo"

    second = tg.user_text(USER, "noch was")
    again = await bot(GetUpdates(timeout=0))  # not confirmed yet: both again
    assert [u.update_id for u in again] == [update_id, second]
    confirmed = await bot(GetUpdates(offset=second, timeout=0))
    assert [u.update_id for u in confirmed] == [second]
    assert await bot(GetUpdates(offset=second + 1, timeout=0)) == []
    assert tg.pending_updates == []


async def test_allowed_updates_and_concurrent_pollers(tg, bot):
    tg.user_sticker(USER)
    tg.add_user(USER)
    await bot.send_message(USER, "x", reply_markup=keyboard("a"))
    press = tg.user_press(USER, 2, "a")
    updates = await bot(GetUpdates(timeout=0, allowed_updates=["callback_query"]))
    assert [u.update_id for u in updates] == [press]

    first = asyncio.create_task(bot(GetUpdates(offset=press + 1, timeout=3), request_timeout=5))
    await asyncio.sleep(0.1)
    assert await bot(GetUpdates(timeout=0)) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first


async def test_injected_updates_are_valid_aiogram_updates(tg):
    ids = [
        tg.user_text(USER, "Hallo /hilfe", first_name="Omid", language_code="fa"),
        tg.user_command(USER, "start", payload="plakat-3"),
        tg.user_sticker(USER),
        tg.user_photo(USER, caption="Bescheid"),
        tg.user_voice(USER),
        tg.user_video(USER),
        tg.user_document(USER),
        tg.user_location(USER),
        tg.user_contact(USER),
        tg.edited_text(USER, "Hallo, korrigiert", message_id=1),
        tg.group_text(-500, USER + 1, "/start@" + tg.bot_username),
        tg.inject(
            {
                "message": {
                    "message_id": 1,
                    "date": 1,
                    "chat": {"id": 7, "type": "private", "first_name": "R"},
                    "from": {"id": 7, "is_bot": False, "first_name": "R"},
                    "text": "roh",
                }
            }
        ),
    ]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    updates = [Update.model_validate(tg._updates[i]) for i in ids]
    text, start, sticker, photo, voice, video, document, location, contact, edited, group, raw = (
        updates
    )
    assert text.message.from_user.language_code == "fa"
    assert text.message.entities[0].type == "bot_command"
    assert text.message.entities[0].offset == 6
    assert start.message.text == "/start plakat-3"
    assert start.message.from_user.first_name == "Omid"  # profile is remembered
    assert sticker.message.sticker.emoji
    assert photo.message.photo[-1].width == 1280 and photo.message.caption == "Bescheid"
    assert voice.message.voice.mime_type == "audio/ogg"
    assert video.message.video.duration == 5
    assert document.message.document.file_name.endswith(".pdf")
    assert location.message.location.latitude
    assert contact.message.contact.user_id == USER
    assert edited.edited_message.message_id == text.message.message_id
    assert edited.edited_message.edit_date is not None
    assert group.message.chat.type == "group" and group.message.entities[0].length == len(
        group.message.text
    )
    assert raw.message.text == "roh"
    assert [m["message"]["message_id"] for m in tg.history(USER)] == list(range(1, 10))


async def test_polling_dispatcher_end_to_end(tg, bot):
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"Willkommen ({command.args})", reply_markup=keyboard("ja", "nein"))

    @dp.message(Command("hilfe"))
    async def help_(message: Message) -> None:
        await message.answer("Hilfe")

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Du schreibst: {message.text}")

    @dp.callback_query(F.data)
    async def pressed(query: CallbackQuery) -> None:
        await query.answer("Danke")
        await query.message.edit_text(f"Antwort: {query.data}")

    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_signals=False,
            polling_timeout=1,
            close_bot_session=False,
            backoff_config=FAST_BACKOFF,
        )
    )
    try:
        tg.user_command(USER, "/start", payload="qr-17")
        tg.user_text(USER, "Guten Tag")
        messages = await tg.wait_for_messages(USER, 2, timeout=5)
        assert sorted(m["text"] for m in messages) == [
            "Du schreibst: Guten Tag",
            "Willkommen (qr-17)",
        ]
        welcome = next(m for m in messages if m["text"].startswith("Willkommen"))
        press = tg.user_press_button(USER, "JA", message_id=welcome["message_id"])
        await tg.wait_until(lambda: tg.callback_answer(press) is not None, 5, "callback answer")
        assert tg.callback_answer(press)["text"] == "Danke"
        await tg.wait_until(
            lambda: any(m["text"] == "Antwort: ja" for m in tg.sent(USER)), 5, "the edit"
        )
        edited = next(m for m in tg.sent(USER) if m["message_id"] == welcome["message_id"])
        assert edited["text"] == "Antwort: ja" and edited["reply_markup"] is None
        await tg.wait_idle(timeout=3)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
    assert set(tg.calls_to("getUpdates")[0]["allowed_updates"]) == {"message", "callback_query"}
    assert tg.calls[0].method == "getMe"


# ------------------------------------------------------------------------------- webhook


async def test_webhook_delivery_retries_and_redelivery(tg, bot):
    async with Receiver(secret="s3cr3t-Token_1") as receiver:
        assert await bot.set_webhook(receiver.url, secret_token="s3cr3t-Token_1")
        info = await bot.get_webhook_info()
        assert info.url == receiver.url and info.pending_update_count == 0
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot(GetUpdates(timeout=0))

        receiver.statuses = [500]  # the first attempt fails, the retry succeeds
        update_id = tg.user_text(USER, "per Webhook")
        await tg.wait_delivered(update_id, timeout=3)
        assert [b["update_id"] for b in receiver.bodies] == [update_id, update_id]
        assert receiver.bodies[0]["message"]["text"] == "per Webhook"
        assert all(
            h["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-Token_1" for h in receiver.headers
        )
        assert [a.status for a in tg.webhook_attempts] == [500, 200]
        info = await bot.get_webhook_info()
        assert "500" in info.last_error_message

        tg.redeliver(update_id)
        await tg.wait_until(lambda: len(receiver.bodies) == 3, 3, "redelivery")
        assert receiver.bodies[2] == receiver.bodies[1]

        receiver.statuses = [502, 502, 502]  # gives up after webhook_max_attempts
        lost = tg.user_text(USER, "verloren")
        await tg.wait_until(lambda: tg.webhook_failed == [lost], 3, "giving up")

        assert await bot.delete_webhook()
        assert await bot(GetUpdates(timeout=0)) == []


async def test_webhook_wrong_secret_and_bad_secret_token(tg, bot):
    with pytest.raises(TelegramBadRequest, match="secret token contains unallowed characters"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token=tg.token)
    async with Receiver(secret="expected") as receiver:
        await bot.set_webhook(receiver.url, secret_token="other")
        update_id = tg.user_text(USER, "x")
        await tg.wait_until(lambda: tg.webhook_failed == [update_id], 3, "rejection")
        assert [a.status for a in tg.webhook_attempts] == [401, 401, 401]
        assert receiver.bodies == []


async def test_webhook_to_unreachable_url_counts_as_failure(tg, bot):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    update_id = tg.user_text(USER, "x")
    await tg.wait_until(lambda: tg.webhook_failed == [update_id], 3, "connection errors")
    assert all(a.status is None for a in tg.webhook_attempts)


async def test_aiogram_webhook_handler_with_method_in_response(tg, bot):
    dp = Dispatcher()

    @dp.message(F.text)
    async def reply(message: Message):
        return message.answer(f"Antwort auf {message.text}")  # returned, not awaited

    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token="abc").register(
        app, path="/webhook"
    )
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        await bot.set_webhook(
            f"http://127.0.0.1:{sock.getsockname()[1]}/webhook", secret_token="abc"
        )
        tg.user_text(USER, "Frage")
        messages = await tg.wait_for_messages(USER, 1, timeout=3)
        assert messages[0]["text"] == "Antwort auf Frage"
        assert tg.calls[-1].method == "sendMessage"
    finally:
        await runner.cleanup()


async def test_answer_callback_query_only_once(tg, bot):
    tg.add_user(USER)
    message = await bot.send_message(USER, "?", reply_markup=keyboard("a"))
    press = tg.user_press(USER, message.message_id, "a")
    with pytest.raises(ValueError, match="no button"):
        tg.user_press(USER, message.message_id, "zzz")
    query_id = tg.callback_query_id(press)
    assert await bot.answer_callback_query(query_id, text="ok")
    assert tg.answered_callbacks[query_id]["text"] == "ok"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)


async def test_unknown_path_is_not_found(tg):
    async with ClientSession() as http, http.get(f"{tg.base_url}/nothing") as response:
        assert response.status == 404
