"""A local, in-process emulator of the Telegram Bot API for end-to-end tests.

The emulator is a real HTTP server (aiohttp, bound to 127.0.0.1 on a free port), so the
production code talks to it through the genuine aiogram client, polling loop and webhook
handler — only the base URL differs::

    async with TelegramEmulator() as tg:
        bot = Bot(tg.token, session=AiohttpSession(api=tg.api_server()))
        tg.user_command(42, "/start", payload="poster-7")
        ...
        messages = await tg.wait_for_messages(42, 1)

What it models (and what a test can therefore rely on):

* ``/bot{token}/{method}`` with JSON bodies, urlencoded or multipart forms and query
  parameters; method names are case-insensitive like on Telegram.  Responses have the
  Telegram shape ``{"ok": true, "result": ...}`` /
  ``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``.
* Updates: an ordered queue with increasing ``update_id``; ``getUpdates`` long polling with
  offset confirmation, ``limit``, ``timeout`` and ``allowed_updates``; a second concurrent
  ``getUpdates`` terminates the first with 409 like Telegram does.  With a webhook set the
  queue is pushed to the webhook URL instead (one update at a time, in order, with retries
  on non-2xx answers and network errors) and ``getUpdates`` answers 409.  A webhook answer
  may carry a method call (``{"method": ...}`` as JSON or multipart form), which is executed.
* Messages: per-chat increasing ``message_id`` shared by user and bot messages, plain text
  (the bot never formats; a ``parse_mode`` is refused so that a change to it shows up
  here), reply markup validation, edits (including
  "message is not modified" and keyboard removal when ``editMessageText`` omits
  ``reply_markup``), deletions, blocked users and left chats.
* Optional flood control (``enable_flood_control``) answering 429 with ``retry_after``.
* Fault injection: ``fail_next`` and ``drop_connection_next``.

Everything the bot did is kept for assertions: ``calls``, ``errors``, ``sent(chat_id)``,
``history(chat_id)``, ``answered_callbacks``, ``left_chats``, ``my_commands``,
``webhook_attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiogram.client.telegram import TelegramAPIServer
from aiohttp import ClientError, ClientSession, ClientTimeout, MultipartReader, web

DEFAULT_TOKEN = "123456789:AAHwegweiser-emulator_token-0123456789ab"
DEFAULT_BOT_USERNAME = "wegweiser_test_bot"
DEFAULT_BOT_NAME = "Wegweiser"

MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100

#: Update types Telegram delivers when ``allowed_updates`` is not specified.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class ApiCall(NamedTuple):
    """One request the bot made: canonical method name, decoded params, monotonic time."""

    method: str
    params: dict[str, Any]
    timestamp: float


class ApiErrorRecord(NamedTuple):
    """One error answer the emulator gave (injected or genuine)."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str
    timestamp: float


class WebhookAttempt(NamedTuple):
    """One POST of an update to the webhook; ``status`` is None on network errors."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    timestamp: float


class TelegramError(Exception):
    """Raised inside method handlers; becomes a Telegram-shaped error response."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{error_code}: {description}")
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------------
# Text and entities. The bot sends plain text (no parse_mode), so formatting is not parsed.
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of Telegram entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _sorted_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, keeping entity offsets consistent."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    fixed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return stripped, fixed


def render_text(
    text: str, parse_mode: str | None, entities: Any = None
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text with explicit ``entities`` (if any), stripped the way Telegram does."""
    if entities not in (None, ""):
        if isinstance(entities, str) or not isinstance(entities, list):
            raise _bad("can't parse entities JSON object")
        parsed = [dict(e) for e in entities if isinstance(e, dict)]
    elif parse_mode in (None, ""):
        parsed = []
    else:  # Wegweiser sends plain text only: a formatted message is a change to notice here
        raise _bad(f"parse_mode {parse_mode} is not emulated (the bot sends plain text)")
    text, parsed = _strip_text(text, parsed)
    return text, _sorted_entities(parsed)


# --------------------------------------------------------------------------------------------
# Parameter decoding (Telegram accepts the same parameter as JSON value or as string form field)
# --------------------------------------------------------------------------------------------

_JSON_KEYS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "menu_button",
    }
)
_INT_KEYS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "max_connections",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "user_id",
    }
)
_BOOL_KEYS = frozenset(
    {
        "drop_pending_updates",
        "show_alert",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
    }
)
_INT_RE = re.compile(r"^-?\d+$")


def _normalize_params(raw: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_KEYS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif (key in _INT_KEYS or key == "chat_id") and _INT_RE.match(value.strip()):
                value = int(value)
            elif key in _BOOL_KEYS and value.lower() in ("true", "false", "1", "0"):
                value = value.lower() in ("true", "1")
        params[key] = value
    return params


def _int_param(params: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value)
    raise _bad(f"wrong parameter {key} of type {type(value).__name__}")


def _bool_param(params: dict[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _json_param(params: dict[str, Any], key: str, error: str) -> Any:
    value = params.get(key)
    if isinstance(value, str) and value != "":
        raise _bad(error)
    return value if value != "" else None


def _chat_id_param(params: dict[str, Any]) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise _bad("chat_id is empty")
    if isinstance(value, bool):
        raise _bad("chat not found")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value)
    raise _bad("chat not found")


# --------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    next_message_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    left: bool = False
    blocked: bool = False
    reply_keyboard: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if self.type == "private":
            data["first_name"] = self.first_name or "User"
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or "Gruppe"
        if self.username:
            data["username"] = self.username
        data["type"] = self.type
        return data


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Fault:
    method: str
    times: int
    chat_id: int | str | None
    error: TelegramError | None  # None: drop the connection

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method not in ("*", method.lower()):
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


@dataclass
class FloodLimits:
    """Token-bucket limits resembling Telegram's flood control for outgoing messages."""

    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    group_per_minute: int = 20
    global_per_second: float = 30.0
    global_burst: int = 30
    methods: frozenset[str] = frozenset(
        {"sendmessage", "editmessagetext", "editmessagereplymarkup"}
    )


class _Bucket:
    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


_METHOD_NAMES = (
    "getMe",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "leaveChat",
    "deleteMessage",
)


class TelegramEmulator:
    """In-process Telegram Bot API server for one bot.

    :param token: the only token the server accepts (others get 401 Unauthorized).
    :param strict_chats: like Telegram, refuse to send to chats the bot has never seen
        (``Bad Request: chat not found``).  Chats become known through injected updates or
        :meth:`add_user` / :meth:`add_group`.
    :param strict_webhook_url: require ``https`` and Telegram's webhook ports (off by
        default so that local ``http://127.0.0.1:PORT`` receivers work).
    :param webhook_max_attempts: deliveries of one update before the emulator gives up
        (Telegram keeps retrying for hours; tests want a bound).
    :param webhook_retry_delay: pause between delivery attempts, in seconds.
    :param webhook_timeout: seconds to wait for the webhook to answer one delivery.
    :param clock: wall clock for ``date`` fields (defaults to :func:`time.time`).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = DEFAULT_BOT_NAME,
        strict_chats: bool = True,
        strict_webhook_url: bool = False,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 5.0,
        first_update_id: int = 700_000_001,
        clock: Callable[[], float] = time.time,
    ) -> None:
        left, sep, right = token.partition(":")
        if not sep or not left.isdigit() or not right:
            msg = f"not a Telegram bot token: {token!r}"
            raise ValueError(msg)
        self.token = token
        self.bot_id = int(left)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_chats = strict_chats
        self.strict_webhook_url = strict_webhook_url
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.clock = clock

        # Assertion surface.
        self.calls: list[ApiCall] = []
        self.errors: list[ApiErrorRecord] = []
        self.webhook_attempts: list[WebhookAttempt] = []
        self.webhook_failed: list[int] = []
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self.left_chats: set[int] = set()
        self.my_commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}

        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._pending: list[dict[str, Any]] = []
        self._updates: dict[int, dict[str, Any]] = {}
        self._delivered: set[int] = set()
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callbacks: dict[str, dict[str, Any]] = {}  # query id -> callback_query
        self._callback_by_update: dict[int, str] = {}
        self._allowed_updates: list[str] | None = None
        self._webhook: _Webhook | None = None
        self._poll_generation = 0
        self._faults: list[_Fault] = []
        self._flood: FloodLimits | None = None
        self._buckets: dict[Any, _Bucket] = {}
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._port: int | None = None
        self._handlers: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
            name.lower(): (name, getattr(self, f"_api_{_snake(name)}")) for name in _METHOD_NAMES
        }

    # ----------------------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._client = ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_loop())

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def port(self) -> int:
        if self._port is None:
            msg = "emulator is not started"
            raise RuntimeError(msg)
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api_server(self) -> TelegramAPIServer:
        return TelegramAPIServer.from_base(self.base_url)

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------------ HTTP plumbing

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(body, status=status, dumps=_dumps)

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.body_exists:
            content_type = request.content_type
            if content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise _bad("can't parse JSON object") from exc
                if not isinstance(body, dict):
                    raise _bad("can't parse JSON object")
                raw.update(body)
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        self.uploads[key] = {
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "data": value.file.read(),
                        }
                        raw[key] = f"attach://{key}"
                    else:
                        raw[key] = value
        return _normalize_params(raw)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._json(TelegramError(401, "Unauthorized").payload(), 401)
        requested = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except TelegramError as exc:
            return self._json(exc.payload(), exc.error_code)
        name = self._handlers.get(requested.lower(), (requested, None))[0]
        for fault in self._faults:
            if fault.error is None and fault.matches(name, params):
                self._consume(fault)
                self.calls.append(ApiCall(name, params, time.monotonic()))
                self._notify()
                transport = request.transport
                if transport is not None:
                    transport.abort()
                raise asyncio.CancelledError
        try:
            result = await self.execute(name, params)
        except TelegramError as exc:
            return self._json(exc.payload(), exc.error_code)
        body: dict[str, Any] = {"ok": True, "result": result}
        if isinstance(result, _Described):
            body = {"ok": True, "result": result.result, "description": result.description}
        return self._json(body)

    def _consume(self, fault: _Fault) -> None:
        fault.times -= 1
        if fault.times <= 0:
            self._faults.remove(fault)

    async def execute(self, method: str, params: dict[str, Any]) -> Any:
        """Run one API method as if the bot had called it (recorded in :attr:`calls`)."""
        params = _normalize_params(params)
        name, handler = self._handlers.get(method.lower(), (method, None))
        self.calls.append(ApiCall(name, params, time.monotonic()))
        self._notify()
        try:
            for fault in self._faults:
                if fault.error is not None and fault.matches(name, params):
                    self._consume(fault)
                    raise fault.error
            if handler is None:
                raise TelegramError(404, "Not Found: method not found")
            self._check_flood(name, params)
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except TelegramError as exc:
            self.errors.append(
                ApiErrorRecord(name, params, exc.error_code, exc.description, time.monotonic())
            )
            self._notify()
            raise
        self._notify()
        return result

    # ------------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any) with an error.

        ``description`` defaults to what Telegram says for the code (for 429:
        ``Too Many Requests: retry after N``).  ``chat_id`` restricts the rule to calls
        addressed to that chat.
        """
        if error_code == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        description = description or _DEFAULT_DESCRIPTIONS.get(error_code, "Error")
        error = TelegramError(error_code, description, retry_after)
        self._faults.append(_Fault(method.lower(), times, chat_id, error))

    def drop_connection_next(
        self, method: str, times: int = 1, *, chat_id: int | str | None = None
    ) -> None:
        """Close the connection without answering the next ``times`` calls of ``method``.

        The request is recorded but not executed (the bot sees a network error).
        """
        self._faults.append(_Fault(method.lower(), times, chat_id, None))

    def enable_flood_control(self, limits: FloodLimits | None = None) -> FloodLimits:
        """Answer 429 ``retry_after`` when the bot sends faster than Telegram allows."""
        self._flood = limits or FloodLimits()
        self._buckets.clear()
        return self._flood

    def disable_flood_control(self) -> None:
        self._flood = None

    def _check_flood(self, method: str, params: dict[str, Any]) -> None:
        limits = self._flood
        if limits is None or method.lower() not in limits.methods:
            return
        now = time.monotonic()
        chat_id = params.get("chat_id")
        buckets = [
            self._bucket("global", limits.global_per_second, limits.global_burst, now),
            self._bucket(("chat", chat_id), limits.per_chat_per_second, limits.per_chat_burst, now),
        ]
        if isinstance(chat_id, int) and chat_id < 0:
            per_minute = limits.group_per_minute
            buckets.append(self._bucket(("group", chat_id), per_minute / 60, per_minute, now))
        wait = max(bucket.wait_time(now) for bucket in buckets)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise TelegramError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for bucket in buckets:
            bucket.take()

    def _bucket(self, key: Any, rate: float, capacity: float, now: float) -> _Bucket:
        if key not in self._buckets:
            self._buckets[key] = _Bucket(rate, capacity, now)
        return self._buckets[key]

    # ------------------------------------------------------------------------- chats & users

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Register (or update) a user who has started a private chat with the bot."""
        user = self._profile(
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        chat = self._ensure_chat(user_id, "private")
        chat.first_name = user["first_name"]
        chat.last_name = user.get("last_name")
        chat.username = user.get("username")
        return dict(user)

    def _profile(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        user = self._users.setdefault(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "de"},
        )
        if first_name is not None:
            user["first_name"] = first_name
        for key, value in (("last_name", last_name), ("username", username)):
            if value is not None:
                user[key] = value
        if language_code is not None:
            if language_code:
                user["language_code"] = language_code
            else:
                user.pop("language_code", None)
        return dict(user)

    def add_group(
        self, chat_id: int, *, title: str = "Gruppe", chat_type: str | None = None
    ) -> dict[str, Any]:
        """Register a group/supergroup the bot is a member of (again, after leaveChat)."""
        if chat_type is None:
            chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = self._ensure_chat(chat_id, chat_type)
        chat.title = title
        chat.left = False
        self.left_chats.discard(chat_id)
        return chat.as_json()

    def _ensure_chat(self, chat_id: int, chat_type: str) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = _Chat(id=chat_id, type=chat_type)
            self._chats[chat_id] = chat
        return chat

    def _user(
        self, user_id: int, profile: dict[str, Any], *, private: bool = True
    ) -> dict[str, Any]:
        fields = {k: v for k, v in profile.items() if v is not None}
        if private:
            return self.add_user(user_id, **fields)
        return self._profile(user_id, **fields)

    def _chat_for(self, user_id: int, chat_id: int | None, chat_type: str) -> _Chat:
        if chat_type == "private":
            if chat_id not in (None, user_id):
                msg = "a private chat's id is the user's id"
                raise ValueError(msg)
            return self._chats[user_id]
        if chat_id is None:
            msg = f"chat_id is required for chat_type={chat_type!r}"
            raise ValueError(msg)
        if chat_id not in self._chats or self._chats[chat_id].type == "private":
            self.add_group(chat_id, chat_type=chat_type)
        chat = self._chats[chat_id]
        if chat.left:
            msg = f"the bot is not a member of chat {chat_id} any more (see add_group)"
            raise ValueError(msg)
        return chat

    def block(self, user_id: int) -> int:
        """The user blocks the bot: sends fail with 403 and a ``my_chat_member`` update arrives."""
        user = self._user(user_id, {})
        self._chats[user_id].blocked = True
        return self._member_update(user, "member", "kicked")

    def unblock(self, user_id: int) -> int:
        user = self._user(user_id, {})
        self._chats[user_id].blocked = False
        return self._member_update(user, "kicked", "member")

    def _member_update(self, user: dict[str, Any], old: str, new: str) -> int:
        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"user": self.bot_user, "status": status}
            if status == "kicked":
                data["until_date"] = 0
            return data

        return self.inject(
            {
                "my_chat_member": {
                    "chat": self._chats[user["id"]].as_json(),
                    "from": dict(user),
                    "date": self._now(),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    # ------------------------------------------------------------------------ update injection

    def _now(self) -> int:
        return int(self.clock())

    def inject(self, update: dict[str, Any]) -> int:
        """Queue a raw update (``update_id`` is assigned when missing); return its id."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            update_id = int(update["update_id"])
            nxt = next(self._update_ids)
            self._update_ids = itertools.count(max(nxt, update_id + 1))
        else:
            update_id = next(self._update_ids)
            update = {"update_id": update_id, **update}
        self._learn(update)
        self._updates[update_id] = update
        self._pending.append(update)
        self._notify()
        return update_id

    def _learn(self, update: dict[str, Any]) -> None:
        """Remember chats and users that appear in a raw update."""
        for value in update.values():
            if not isinstance(value, dict):
                continue
            sender = value.get("from")
            if isinstance(sender, dict) and not sender.get("is_bot") and "id" in sender:
                if sender["id"] not in self._users:
                    self._users[sender["id"]] = dict(sender)
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict) and "id" in chat and chat["id"] not in self._chats:
                self._chats[chat["id"]] = _Chat(
                    id=chat["id"],
                    type=chat.get("type", "private"),
                    title=chat.get("title"),
                    username=chat.get("username"),
                    first_name=chat.get("first_name"),
                    last_name=chat.get("last_name"),
                )

    def _user_message(
        self,
        user_id: int,
        content: dict[str, Any],
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        **profile: Any,
    ) -> int:
        user = self._user(user_id, profile, private=chat_type == "private")
        chat = self._chat_for(user_id, chat_id, chat_type)
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message = {
            "message_id": message_id,
            "from": user,
            "chat": chat.as_json(),
            "date": self._now(),
            **content,
        }
        chat.messages[message_id] = {
            "message_id": message_id,
            "chat_id": chat.id,
            "from_bot": False,
            "user_id": user_id,
            "message": message,
            "deleted": False,
        }
        return self.inject({"message": copy.deepcopy(message)})

    def _text_content(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        entities = [
            {
                "type": "bot_command",
                "offset": utf16_len(text[: m.start()]),
                "length": utf16_len(m.group(0)),
            }
            for m in re.finditer(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?", text)
        ]
        if entities:
            content["entities"] = entities
        return content

    def user_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_type: str = "private",
        chat_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> int:
        """The user sends a text message (``/commands`` get a ``bot_command`` entity)."""
        return self._user_message(
            user_id,
            self._text_content(text),
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    def user_command(
        self, user_id: int, command: str, payload: str | None = None, **kwargs: Any
    ) -> int:
        """The user sends ``/command [payload]`` (e.g. a deep link ``/start CODE``)."""
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {payload}" if payload else command
        return self.user_text(user_id, text, **kwargs)

    def group_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        chat_type: str | None = None,
        title: str | None = None,
        **profile: Any,
    ) -> int:
        """A member of a group writes a text message there."""
        if chat_id not in self._chats:
            self.add_group(chat_id, title=title or "Gruppe", chat_type=chat_type)
        elif title is not None:
            self._chats[chat_id].title = title
        kind = chat_type or self._chats[chat_id].type
        return self.user_text(user_id, text, chat_type=kind, chat_id=chat_id, **profile)

    def _file(self, prefix: str) -> dict[str, str]:
        number = next(self._file_ids)
        return {
            "file_id": f"{prefix}ACAgIAAxkBAAIB{number:08d}emulatedFileId",
            "file_unique_id": f"AQAD{number:06d}",
        }

    def user_sticker(self, user_id: int, *, emoji: str = "👍", **kwargs: Any) -> int:
        sticker = {
            **self._file("CA"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "EmulatorStickers",
            "file_size": 23_456,
        }
        return self._user_message(user_id, {"sticker": sticker}, **kwargs)

    def user_photo(self, user_id: int, *, caption: str | None = None, **kwargs: Any) -> int:
        base = self._file("Ag")
        sizes = [
            {
                "file_id": f"{base['file_id']}{suffix}",
                "file_unique_id": f"{base['file_unique_id']}{suffix}",
                "width": width,
                "height": height,
                "file_size": size,
            }
            for suffix, width, height, size in (
                ("s", 90, 67, 1_201),
                ("m", 320, 240, 15_320),
                ("x", 1280, 960, 121_004),
            )
        ]
        return self._user_message(user_id, {"photo": sizes, **_caption(caption)}, **kwargs)

    def user_voice(self, user_id: int, *, duration: int = 3, **kwargs: Any) -> int:
        voice = {
            **self._file("AwAC"),
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 6_000 * duration,
        }
        return self._user_message(user_id, {"voice": voice}, **kwargs)

    def user_video(
        self, user_id: int, *, duration: int = 5, caption: str | None = None, **kwargs: Any
    ) -> int:
        video = {
            **self._file("BAAC"),
            "width": 720,
            "height": 1280,
            "duration": duration,
            "mime_type": "video/mp4",
            "file_size": 300_000 * duration,
        }
        return self._user_message(user_id, {"video": video, **_caption(caption)}, **kwargs)

    def user_document(
        self,
        user_id: int,
        *,
        file_name: str = "dokument.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        **kwargs: Any,
    ) -> int:
        document = {
            **self._file("BQAC"),
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": 48_213,
        }
        return self._user_message(user_id, {"document": document, **_caption(caption)}, **kwargs)

    def user_location(
        self, user_id: int, latitude: float = 51.2277, longitude: float = 6.7735, **kwargs: Any
    ) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._user_message(user_id, {"location": location}, **kwargs)

    def user_contact(
        self,
        user_id: int,
        phone_number: str = "+4915112345678",
        *,
        contact_first_name: str | None = None,
        own: bool = True,
        **kwargs: Any,
    ) -> int:
        """The user shares a contact (their own, as a ``request_contact`` button does)."""
        profile_keys = ("first_name", "last_name", "username", "language_code")
        user = self._profile(user_id, **{k: kwargs.get(k) for k in profile_keys})
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": contact_first_name or user["first_name"],
        }
        if own:
            contact["user_id"] = user_id
        return self._user_message(user_id, {"contact": contact}, **kwargs)

    def edited_text(
        self,
        user_id: int,
        text: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
    ) -> int:
        """The user edits one of their text messages (default: their latest text message)."""
        chat = self._chats.get(user_id if chat_id is None else chat_id)
        candidates = [
            record
            for record in (chat.messages.values() if chat else [])
            if not record["from_bot"]
            and record["user_id"] == user_id
            and not record["deleted"]
            and "text" in record["message"]
        ]
        if message_id is not None:
            candidates = [r for r in candidates if r["message_id"] == message_id]
        if not candidates:
            msg = f"user {user_id} has no text message {message_id or ''} to edit"
            raise ValueError(msg)
        record = candidates[-1]
        message = record["message"]
        message.pop("entities", None)
        message.update(self._text_content(text))
        message["edit_date"] = self._now()
        return self.inject({"edited_message": copy.deepcopy(message)})

    def user_press(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        check_button: bool = True,
        **profile: Any,
    ) -> int:
        """The user presses an inline button of a bot message (a ``callback_query`` update).

        With ``check_button`` (default) the message must currently show a button with that
        ``callback_data`` — a user cannot press what is not there.
        """
        user = self._user(user_id, profile, private=chat_id in (None, user_id))
        chat = self._chats.get(user_id if chat_id is None else chat_id)
        record = chat.messages.get(message_id) if chat else None
        if record is None or not record["from_bot"] or record["deleted"]:
            msg = f"no bot message {message_id} in chat {chat_id or user_id}"
            raise ValueError(msg)
        if check_button:
            data = [
                button.get("callback_data")
                for row in _inline_rows(record["reply_markup"])
                for button in row
            ]
            if callback_data not in data:
                msg = f"message {message_id} has no button with callback_data {callback_data!r}"
                raise ValueError(msg + f" (buttons: {data})")
        query_id = str((self.bot_id << 24) + next(self._callback_ids))
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(chat, record),
            "chat_instance": str((chat.id * 2_654_435_761) % (2**63)),
            "data": callback_data,
        }
        self._callbacks[query_id] = query
        update_id = self.inject({"callback_query": query})
        self._callback_by_update[update_id] = query_id
        return update_id

    def user_press_button(
        self,
        user_id: int,
        button_text: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        **profile: Any,
    ) -> int:
        """Press the inline button labelled ``button_text`` (default: on the latest keyboard)."""
        chat_key = user_id if chat_id is None else chat_id
        records = [
            r
            for r in self._chats[chat_key].messages.values()
            if r["from_bot"] and not r["deleted"] and _inline_rows(r["reply_markup"])
        ]
        if message_id is not None:
            records = [r for r in records if r["message_id"] == message_id]
        if not records:
            msg = f"no bot message with an inline keyboard in chat {chat_key}"
            raise ValueError(msg)
        record = records[-1]
        for row in _inline_rows(record["reply_markup"]):
            for button in row:
                if button.get("text") == button_text and "callback_data" in button:
                    return self.user_press(
                        user_id,
                        record["message_id"],
                        button["callback_data"],
                        chat_id=chat_id,
                        **profile,
                    )
        msg = f"no button {button_text!r}; visible: {self.buttons(chat_key, record['message_id'])}"
        raise ValueError(msg)

    def callback_query_id(self, update_id: int) -> str:
        """The callback query id carried by the update returned from :meth:`user_press`."""
        return self._callback_by_update[update_id]

    def callback_answer(self, update_id: int) -> dict[str, Any] | None:
        """The ``answerCallbackQuery`` params for a press, or None if not answered (yet)."""
        return self.answered_callbacks.get(self._callback_by_update.get(update_id, ""))

    def redeliver(self, update_id: int) -> None:
        """Send an already delivered update to the webhook again (Telegram redelivery)."""
        if self._webhook is None:
            msg = "redeliver() needs a webhook; getUpdates never returns confirmed updates"
            raise RuntimeError(msg)
        self._pending.append(copy.deepcopy(self._updates[update_id]))
        self._notify()

    # ------------------------------------------------------------------------ assertions

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in ``chat_id`` in order, with edits applied.

        Each entry: ``message_id, chat_id, date, text`` (as displayed, i.e. after
        ``parse_mode``), ``raw_text``, ``parse_mode``, ``entities``, ``reply_markup`` (as sent,
        any keyboard kind, None when removed), ``edit_date``, ``edits`` (earlier versions),
        ``deleted``, ``reply_to_message_id`` and ``params`` (the sendMessage call).
        """
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [_public(record) for record in chat.messages.values() if record["from_bot"]]

    def texts(self, chat_id: int) -> list[str]:
        """Displayed texts of the bot's non-deleted messages in ``chat_id``."""
        return [m["text"] for m in self.sent(chat_id) if not m["deleted"]]

    def last(self, chat_id: int) -> dict[str, Any] | None:
        """The bot's latest non-deleted message in ``chat_id``."""
        messages = [m for m in self.sent(chat_id) if not m["deleted"]]
        return messages[-1] if messages else None

    def history(self, chat_id: int) -> list[dict[str, Any]]:
        """All messages of the chat, user and bot, in order (``from_bot`` tells them apart)."""
        chat = self._chats.get(chat_id)
        return [_public(record) for record in chat.messages.values()] if chat else []

    def buttons(self, chat_id: int, message_id: int | None = None) -> list[list[str]]:
        """Inline button labels of a bot message (default: the latest one)."""
        if message_id is None:
            message = self.last(chat_id)
        else:
            message = next((m for m in self.sent(chat_id) if m["message_id"] == message_id), None)
        if message is None:
            return []
        return [[b.get("text", "") for b in row] for row in _inline_rows(message["reply_markup"])]

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard currently shown to the user in ``chat_id`` (None if none)."""
        chat = self._chats.get(chat_id)
        return copy.deepcopy(chat.reply_keyboard) if chat else None

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Params of every call of ``method`` (case-insensitive), in order."""
        return [call.params for call in self.calls if call.method.lower() == method.lower()]

    def commands_for(
        self, language_code: str = "", scope: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Commands stored by ``setMyCommands`` for that exact scope and language."""
        key = (_scope_key(scope), language_code)
        return copy.deepcopy(self.my_commands.get(key, []))

    def is_blocked(self, user_id: int) -> bool:
        chat = self._chats.get(user_id)
        return bool(chat and chat.blocked)

    @property
    def pending_updates(self) -> list[int]:
        """Ids of updates not yet confirmed by the bot."""
        return [u["update_id"] for u in self._pending]

    @property
    def webhook_url(self) -> str:
        return self._webhook.url if self._webhook else ""

    # ------------------------------------------------------------------------------- waiting

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "condition",
    ) -> None:
        """Wait until ``predicate()`` holds, re-checking on every emulator event."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            if predicate():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                msg = f"timed out after {timeout}s waiting for {what}"
                raise TimeoutError(msg)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.25))

    async def wait_for_messages(
        self,
        chat_id: int,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Wait until the bot has sent at least ``n`` messages to ``chat_id``; return them."""
        try:
            await self.wait_until(
                lambda: len(self.sent(chat_id)) >= n, timeout, f"{n} messages in {chat_id}"
            )
        except TimeoutError as exc:
            texts = [m["text"] for m in self.sent(chat_id)]
            errors = [e for e in self.errors if e.params.get("chat_id") == chat_id]
            msg = f"{exc}; got {len(texts)}: {texts!r}; errors: {errors!r}"
            raise TimeoutError(msg) from None
        return self.sent(chat_id)

    async def wait_for_call(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Wait until ``method`` has been called ``count`` times; return all their params."""
        await self.wait_until(
            lambda: len(self.calls_to(method)) >= count, timeout, f"{count}x {method}"
        )
        return self.calls_to(method)

    async def wait_delivered(self, update_id: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the update was handed to the bot (getUpdates answer or webhook 2xx)."""
        await self.wait_until(
            lambda: update_id in self._delivered, timeout, f"delivery of update {update_id}"
        )

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until no update is pending (all confirmed by the bot or given up on)."""
        await self.wait_until(lambda: not self._pending, timeout, "an empty update queue")

    # --------------------------------------------------------------------------- API: basics

    def _api_get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ------------------------------------------------------------------------ API: updates

    def _update_allowed(self, update: dict[str, Any], allowed: list[str] | None) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        return kind in (allowed if allowed else DEFAULT_UPDATE_TYPES)

    async def _api_get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise TelegramError(409, CONFLICT_WEBHOOK)
        offset = _int_param(params, "offset", 0) or 0
        limit = min(max(_int_param(params, "limit", 100) or 100, 1), 100)
        timeout = max(_int_param(params, "timeout", 0) or 0, 0)
        allowed = _json_param(params, "allowed_updates", "can't parse allowed updates")
        if allowed is not None:
            self._allowed_updates = [str(kind) for kind in allowed] or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            if self._closing:
                return []
            if generation != self._poll_generation:
                raise TelegramError(409, CONFLICT_OTHER_POLLER)
            if self._webhook is not None:
                raise TelegramError(409, CONFLICT_WEBHOOK)
            self._pending = [
                u for u in self._pending if self._update_allowed(u, self._allowed_updates)
            ]
            batch = self._pending[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                self._delivered.update(u["update_id"] for u in batch)
                return copy.deepcopy(batch)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _api_set_webhook(self, params: dict[str, Any]) -> _Described:
        url = str(params.get("url") or "")
        if not url:
            return self._api_delete_webhook(params)
        if not re.match(r"^https?://[^/\s]+", url):
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        if self.strict_webhook_url:
            if not url.startswith("https://"):
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            port = re.match(r"^https://[^/:]+(?::(\d+))?", url)
            if port and port.group(1) and port.group(1) not in ("80", "88", "443", "8443"):
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret not in (None, ""):
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
                raise _bad("secret token contains unallowed characters")
        else:
            secret = None
        max_connections = _int_param(params, "max_connections", 40) or 40
        if not 1 <= max_connections <= 100:
            max_connections = min(max(max_connections, 1), 100)
        allowed = _json_param(params, "allowed_updates", "can't parse allowed updates")
        if allowed is not None:
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if _bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        old = self._webhook
        if old is not None and old.url == url and old.secret_token == secret:
            old.max_connections = max_connections
            return _Described(True, "Webhook is already set")
        self._webhook = _Webhook(url, secret, max_connections, self._allowed_updates)
        self._notify()
        return _Described(True, "Webhook was set")

    def _api_delete_webhook(self, params: dict[str, Any]) -> _Described:
        if _bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return _Described(True, "Webhook is already deleted")
        self._webhook = None
        self._notify()
        return _Described(True, "Webhook was deleted")

    def _api_get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        hook = self._webhook
        if hook is not None:
            info.update(url=hook.url, max_connections=hook.max_connections, ip_address="127.0.0.1")
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def _webhook_loop(self) -> None:
        while not self._closing:
            event = self._changed
            hook = self._webhook
            if hook is None or not self._pending:
                await event.wait()
                continue
            update = self._pending[0]
            if not self._update_allowed(update, self._allowed_updates):
                _remove_identity(self._pending, update)
                continue
            outcome = await self._deliver(hook, update)
            if outcome is None:  # webhook changed meanwhile: keep the update pending
                continue
            _remove_identity(self._pending, update)
            if not outcome:
                self.webhook_failed.append(update["update_id"])
            self._notify()

    async def _deliver(self, hook: _Webhook, update: dict[str, Any]) -> bool | None:
        for attempt in range(1, self.webhook_max_attempts + 1):
            if self._webhook is not hook:
                return None
            status, error = await self._post_update(hook, update)
            self.webhook_attempts.append(
                WebhookAttempt(update["update_id"], hook.url, status, error, time.monotonic())
            )
            self._notify()
            if status is not None and 200 <= status < 300:
                self._delivered.add(update["update_id"])
                return True
            hook.last_error_date = self._now()
            hook.last_error_message = error
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay)
        return False

    async def _post_update(self, hook: _Webhook, update: dict[str, Any]) -> tuple[int | None, str]:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self._client.post(
                hook.url,
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=ClientTimeout(total=self.webhook_timeout),
            ) as response:
                if 200 <= response.status < 300:
                    await self._run_webhook_reply(response)
                else:
                    await response.read()
                return response.status, (
                    f"Wrong response from the webhook: {response.status} {response.reason}"
                )
        except TimeoutError:
            return None, "Read timeout expired"
        except ClientError as exc:
            return None, f"Connection failed: {type(exc).__name__}"

    async def _run_webhook_reply(self, response: Any) -> None:
        """Execute a method call given as the webhook's answer, as Telegram does."""
        params: dict[str, Any] = {}
        if response.content_type.startswith("multipart/"):
            reader = MultipartReader.from_response(response)
            async for part in reader:
                if part is None or not hasattr(part, "name"):
                    continue
                if part.filename:
                    self.uploads[part.name] = {
                        "filename": part.filename,
                        "content_type": part.headers.get("Content-Type"),
                        "data": await part.read(),
                    }
                    params[part.name] = f"attach://{part.name}"
                else:
                    params[part.name] = await part.text()
        else:
            body = await response.read()
            with contextlib.suppress(ValueError):
                decoded = json.loads(body or b"{}")
                if isinstance(decoded, dict):
                    params = decoded
        method = params.pop("method", None)
        if isinstance(method, str) and method:
            with contextlib.suppress(TelegramError):
                await self.execute(method, params)

    # ----------------------------------------------------------------------- API: commands

    def _language_code(self, params: dict[str, Any]) -> str:
        code = str(params.get("language_code") or "")
        if code and not re.fullmatch(r"[a-z]{2}", code):
            raise _bad("invalid language code specified")
        return code

    def _api_set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = _json_param(params, "commands", "can't parse commands JSON object")
        scope = _json_param(params, "scope", "can't parse BotCommandScope JSON object")
        language = self._language_code(params)
        commands = commands or []
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict) or "command" not in command:
                raise _bad("can't parse BotCommand: Can't find field \"command\"")
            if "description" not in command:
                raise _bad("can't parse BotCommand: Can't find field \"description\"")
            name = str(command["command"])
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            description = str(command["description"])
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = (_scope_key(scope), language)
        if cleaned:
            self.my_commands[key] = cleaned
        else:
            self.my_commands.pop(key, None)
        return True

    def _api_get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        scope = _json_param(params, "scope", "can't parse BotCommandScope JSON object")
        key = (_scope_key(scope), self._language_code(params))
        return copy.deepcopy(self.my_commands.get(key, []))

    # ----------------------------------------------------------------------- API: messages

    def _writable_chat(self, params: dict[str, Any]) -> _Chat:
        chat_id = _chat_id_param(params)
        chat = self._chats.get(chat_id)
        if chat is None:
            if self.strict_chats and chat_id in self._users:
                raise TelegramError(403, "Forbidden: bot can't initiate conversation with a user")
            if self.strict_chats:
                raise _bad("chat not found")
            chat = self._ensure_chat(chat_id, "private" if chat_id > 0 else "group")
            if chat.type == "private":
                chat.first_name = "User"
        if chat.blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        if chat.left:
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            raise TelegramError(403, f"Forbidden: bot is not a member of the {kind}")
        return chat

    def _message_json(self, chat: _Chat, record: dict[str, Any]) -> dict[str, Any]:
        if not record["from_bot"]:
            return copy.deepcopy(record["message"])
        message: dict[str, Any] = {
            "message_id": record["message_id"],
            "from": self.bot_user,
            "chat": chat.as_json(),
            "date": record["date"],
        }
        if record.get("edit_date"):
            message["edit_date"] = record["edit_date"]
        reply_to = record.get("reply_to_message_id")
        if reply_to is not None and reply_to in chat.messages:
            replied = self._message_json(chat, chat.messages[reply_to])
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        message["text"] = record["text"]
        if record["entities"]:
            message["entities"] = copy.deepcopy(record["entities"])
        if _inline_rows(record["reply_markup"]):
            message["reply_markup"] = copy.deepcopy(record["reply_markup"])
        return message

    def _api_send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._writable_chat(params)
        raw_text = params.get("text")
        if raw_text is None or str(raw_text) == "":
            raise _bad("message text is empty")
        raw_text = str(raw_text)
        parse_mode = params.get("parse_mode") or None
        entities = _json_param(params, "entities", "can't parse entities JSON object")
        text, parsed = render_text(raw_text, parse_mode, entities)
        if not text:
            raise _bad("message text is empty")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise _bad("message is too long")
        markup = self._reply_markup(params, inline_only=False)
        reply_to = self._reply_target(chat, params)
        message_id = chat.next_message_id
        chat.next_message_id += 1
        record = {
            "message_id": message_id,
            "chat_id": chat.id,
            "from_bot": True,
            "date": self._now(),
            "text": text,
            "raw_text": raw_text,
            "parse_mode": parse_mode,
            "entities": parsed,
            "reply_markup": markup,
            "edit_date": None,
            "edits": [],
            "deleted": False,
            "reply_to_message_id": reply_to,
            "params": copy.deepcopy(params),
        }
        chat.messages[message_id] = record
        if markup is not None:
            if "keyboard" in markup:
                chat.reply_keyboard = copy.deepcopy(markup)
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        return self._message_json(chat, record)

    def _reply_target(self, chat: _Chat, params: dict[str, Any]) -> int | None:
        reply = _json_param(params, "reply_parameters", "can't parse reply parameters JSON object")
        allow_missing = _bool_param(params, "allow_sending_without_reply")
        target = _int_param(params, "reply_to_message_id")
        if isinstance(reply, dict):
            target = _int_param(reply, "message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        if target is None:
            return None
        record = chat.messages.get(target)
        if record is None or record["deleted"]:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        return target

    def _reply_markup(self, params: dict[str, Any], *, inline_only: bool) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup in (None, ""):
            return None
        if isinstance(markup, str) or not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _validate_inline_keyboard(markup["inline_keyboard"])
        elif inline_only:
            raise _bad("inline keyboard expected")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad("can't parse reply keyboard markup JSON object")
            for row in rows:
                for button in row:
                    if not isinstance(button, str | dict) or (
                        isinstance(button, dict) and not isinstance(button.get("text"), str)
                    ):
                        raise _bad(
                            'can\'t parse keyboard button: Field "text" must be of type String'
                        )
            placeholder = markup.get("input_field_placeholder")
            if placeholder is not None and len(str(placeholder)) > 64:
                raise _bad("input field placeholder is too long")
        elif "remove_keyboard" in markup:
            if markup["remove_keyboard"] is not True:
                raise _bad("can't parse reply keyboard markup JSON object")
        elif "force_reply" not in markup:
            raise _bad("can't parse reply keyboard markup JSON object")
        return copy.deepcopy(markup)

    def _editable(self, params: dict[str, Any]) -> tuple[_Chat, dict[str, Any]]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._writable_chat(params)
        message_id = _int_param(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        record = chat.messages.get(message_id)
        if record is None or record["deleted"]:
            raise _bad("message to edit not found")
        if not record["from_bot"]:
            raise _bad("message can't be edited")
        return chat, record

    def _apply_edit(self, chat: _Chat, record: dict[str, Any], changes: dict[str, Any]) -> None:
        current = {key: record[key] for key in changes}
        if current == changes:
            raise _bad(NOT_MODIFIED)
        keys = ("text", "raw_text", "parse_mode", "entities", "reply_markup", "edit_date")
        record["edits"].append({key: copy.deepcopy(record[key]) for key in keys})
        record.update(copy.deepcopy(changes))
        record["edit_date"] = self._now()

    def _api_edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, record = self._editable(params)
        raw_text = params.get("text")
        if raw_text is None or str(raw_text) == "":
            raise _bad("message text is empty")
        raw_text = str(raw_text)
        parse_mode = params.get("parse_mode") or None
        entities = _json_param(params, "entities", "can't parse entities JSON object")
        text, parsed = render_text(raw_text, parse_mode, entities)
        if not text:
            raise _bad("message text is empty")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise _bad("message is too long")
        markup = self._reply_markup(params, inline_only=True)
        changes = {"text": text, "entities": parsed, "reply_markup": markup}
        if {k: record[k] for k in changes} == changes:
            raise _bad(NOT_MODIFIED)
        self._apply_edit(chat, record, {**changes, "raw_text": raw_text, "parse_mode": parse_mode})
        return self._message_json(chat, record)

    def _api_edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, record = self._editable(params)
        markup = self._reply_markup(params, inline_only=True)
        self._apply_edit(chat, record, {"reply_markup": markup})
        return self._message_json(chat, record)

    def _api_delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = _chat_id_param(params)
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        message_id = _int_param(params, "message_id")
        record = chat.messages.get(message_id) if message_id is not None else None
        if record is None or record["deleted"]:
            raise _bad("message to delete not found")
        if not record["from_bot"] and chat.type != "private":
            raise _bad("message can't be deleted")
        record["deleted"] = True
        return True

    def _api_answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callbacks or query_id in self.answered_callbacks:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self.answered_callbacks[query_id] = copy.deepcopy(params)
        return True

    def _api_leave_chat(self, params: dict[str, Any]) -> bool:
        chat_id = _chat_id_param(params)
        chat = self._chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        if chat.type == "private":
            raise _bad("chat member status can't be changed in private chats")
        if chat.left:
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            raise TelegramError(403, f"Forbidden: bot is not a member of the {kind}")
        chat.left = True
        self.left_chats.add(chat_id)
        self.inject(
            {
                "my_chat_member": {
                    "chat": chat.as_json(),
                    "from": self.bot_user,
                    "date": self._now(),
                    "old_chat_member": {"user": self.bot_user, "status": "member"},
                    "new_chat_member": {"user": self.bot_user, "status": "left"},
                }
            }
        )
        return True


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


@dataclass
class _Described:
    """A successful result that carries Telegram's extra ``description`` field."""

    result: Any
    description: str


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _caption(caption: str | None) -> dict[str, Any]:
    return {"caption": caption} if caption else {}


def _scope_key(scope: Any) -> str:
    if not isinstance(scope, dict) or not scope:
        scope = {"type": "default"}
    return json.dumps(scope, sort_keys=True)


def _inline_rows(markup: Any) -> list[list[dict[str, Any]]]:
    if isinstance(markup, dict) and isinstance(markup.get("inline_keyboard"), list):
        return markup["inline_keyboard"]
    return []


def _remove_identity(items: list[Any], item: Any) -> None:
    for index, candidate in enumerate(items):
        if candidate is item:
            del items[index]
            return


def _public(record: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(record)
    if not data["from_bot"]:
        message = data["message"]
        data.update(
            text=message.get("text") or message.get("caption"),
            date=message["date"],
            edit_date=message.get("edit_date"),
        )
    return data


_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    total = 0
    for row in rows:
        for button in row:
            total += 1
            if not isinstance(button, dict):
                raise _bad(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not isinstance(button.get("text"), str):
                raise _bad(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not any(action in button for action in _INLINE_ACTIONS):
                raise _bad(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                raise _bad("BUTTON_URL_INVALID")
    if total > MAX_INLINE_BUTTONS:
        raise _bad("reply markup is too long")
