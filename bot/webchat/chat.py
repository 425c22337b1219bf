"""The web chat's workings behind its routes: signed conversation tokens, the person's
language, rate limits, the conversation's outbox drained into the HTTP answer, refusals in the
person's language and the parsing of what the page sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, select

from base import i18n
from base.ratelimit import RateLimit
from bot.languages import accept_language, locales_for
from bot.locks import KeyedLocks
from bot.outbox import drain
from bot.render import render_reply
from bot.runtime import Handled, Runtime, pseudonym
from bot.webchat.limits import Limits, bucket_key, rate_limit
from bot.webchat.messages import W
from dialogs.buttons import MAX_BYTES, Op, encode
from dialogs.io import Command, Event, Msg, Press, Text
from dialogs.messages import M
from store.models import Conversation, OutboxMessage, utcnow

CHANNEL = "web"
# Replies are fetched by conversation, never sent to an address: the token is not stored.
ADDRESS = "-"
HERE = Path(__file__).resolve().parent
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}")
KEY_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
COMMAND_RE = re.compile(r"[a-z]{1,32}")
START_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
BODY_OVERHEAD = 2048  # bytes of JSON around the text
# A character may arrive JSON-escaped: "\\ud83d\\ude00" is 12 bytes for one emoji. A text the
# runtime accepts must fit, so its refusal is "too long" in the person's own language.
BYTES_PER_CHAR = 12
FIELDS = {"token", "key", "text", "button", "command", "arg", "language", "locale"}
ACTIONS = ("text", "button", "command", "language")
TOKEN_HEADER = "X-Chat-Token"  # noqa: S105 - a header name, not a secret
STATIC = {
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

UI: dict[str, Msg] = {
    "title": W.TITLE,
    "intro": W.INTRO,
    "log_label": W.LOG_LABEL,
    "input_label": W.INPUT_LABEL,
    "placeholder": W.PLACEHOLDER,
    "send": W.SEND,
    "language": W.LANGUAGE,
    "restart": W.RESTART,
    "reconnecting": W.RECONNECTING,
    "privacy": W.PRIVACY,
    "noscript": W.NOSCRIPT,
}
API_HEADERS = {"Cache-Control": "no-store", **SECURITY_HEADERS}


class Refused(Exception):
    def __init__(
        self, status: int, code: str, message: Msg, *, retry_after: float | None = None
    ) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class WebChat:
    def __init__(self, runtime: Runtime, limits: Limits) -> None:
        self.runtime = runtime
        self.limits = limits
        self._token_key = hmac.new(runtime.secret, b"webchat-token", hashlib.sha256).digest()
        self.message_buckets = rate_limit(
            "message", limits.message_burst, limits.message_per_second
        )
        self.poll_buckets = rate_limit("poll", limits.poll_burst, limits.poll_per_second)
        self.address_buckets = rate_limit(
            "address", limits.address_burst, limits.address_per_second
        )
        self.token_buckets = rate_limit("token", limits.token_burst, limits.token_per_second)
        self._drain_locks = KeyedLocks()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.assets = {name: (HERE / "static" / name).read_bytes() for name in STATIC}
        digest = hashlib.sha256(b"".join(self.assets.values())).hexdigest()
        self.asset_version = digest[:12]

    # ------------------------------------------------------------ tokens
    def new_token(self) -> str:
        rand = _b64(secrets.token_bytes(16))
        return f"{rand}.{self._sign(rand)}"

    def _sign(self, rand: str) -> str:
        return _b64(hmac.new(self._token_key, rand.encode(), hashlib.sha256).digest()[:16])

    def valid_token(self, token: object) -> bool:
        if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
            return False
        rand, _, sig = token.partition(".")
        return hmac.compare_digest(sig, self._sign(rand))

    # ------------------------------------------------------------ languages
    def pick_locale(self, *wanted: str | None, accept: str | None = None) -> str:
        known = i18n.available_locales()
        for w in wanted:
            if w in known:
                return str(w)
        for tag in accept_language(accept):
            if found := locales_for(tag, known):
                return found[0]
        return self.runtime.default_locale

    def ui(self, locale: str) -> dict[str, str]:
        return {key: self.text(msg, locale) for key, msg in UI.items()}

    def text(self, msg: Msg, locale: str) -> str:
        return page_text(msg, locale, self.runtime.default_locale)

    async def conversation_locale(self, token: str) -> str | None:
        state = await self.runtime.state_of(CHANNEL, token)
        locale = (state or {}).get("locale")
        return locale if isinstance(locale, str) else None

    # ------------------------------------------------------------ limits
    def limit(self, buckets: RateLimit, key: str) -> None:
        wait = buckets.hit(bucket_key(key))
        if wait > 0:
            raise Refused(429, "too_many_requests", W.TOO_MANY, retry_after=wait)

    # ------------------------------------------------------------ outbox
    async def conversation_id(self, token: str) -> int | None:
        pn = pseudonym(self.runtime.secret, CHANNEL, token)
        async with self.runtime.sessions() as s:
            found = await s.scalar(select(Conversation.id).where(Conversation.pseudonym == pn))
        return None if found is None else int(found)

    async def farewell(self, handled: Handled) -> list[dict[str, Any]]:
        """The goodbye after `/delete`: its outbox row has no conversation any more (and the
        web address is shared), so answer from what was said and drop the row."""
        async with self.runtime.sessions() as s, s.begin():
            await s.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.channel == CHANNEL, OutboxMessage.conversation_id.is_(None)
                )
            )
        locale = handled.locale or self.runtime.default_locale
        stamp = f"{utcnow():%Y%m%d%H%M%S%f}"
        return [
            {"id": f"bye-{n}-{stamp}", **_visible(render_reply(reply, locale))}
            for n, reply in enumerate(handled.out)
        ]

    async def deliver(self, conversation_id: int | None) -> list[dict[str, Any]]:
        """Drain this conversation's pending web outbox rows into the HTTP answer."""
        if conversation_id is None:
            return []
        out: list[dict[str, Any]] = []

        async def send(row: OutboxMessage) -> None:
            # delivered rows are deleted and SQLite may reuse a row id: the creation time
            # keeps the id unique for the page's de-duplication
            out.append({"id": f"{row.id}-{row.created_at:%Y%m%d%H%M%S%f}", **_visible(row.payload)})

        async with self._drain_locks.hold(conversation_id):
            await drain(self.runtime.sessions, CHANNEL, send, conversation_id=conversation_id)
        return out

    # ------------------------------------------------------------ answers
    def refusal(self, e: Refused, locale: str) -> JSONResponse:
        text = self.text(e.message, locale)
        body = {
            "error": {
                "code": e.code,
                "message": text,
                "locale": locale,
                "rtl": i18n.is_rtl(locale),
            }
        }
        headers = dict(API_HEADERS)
        if e.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(e.retry_after + 0.5)))
        return JSONResponse(body, status_code=e.status, headers=headers)

    async def answer(self, token: str, messages: list[dict[str, Any]], **extra: Any) -> Response:
        locale = await self.conversation_locale(token) or self.runtime.default_locale
        body = {
            "messages": messages,
            "locale": locale,
            "rtl": i18n.is_rtl(locale),
            "ui": self.ui(locale),
            **extra,
        }
        return JSONResponse(body, headers=API_HEADERS)

    # ------------------------------------------------------------ parsing
    async def read_json(self, request: Request) -> dict[str, Any]:
        limit = self.runtime.max_text_length * BYTES_PER_CHAR + BODY_OVERHEAD
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdecimal() or int(declared) > limit):
            raise Refused(413, "too_long", _too_long(self.runtime.max_text_length))
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise Refused(413, "too_long", _too_long(self.runtime.max_text_length))
        try:
            data = json.loads(body or b"{}")
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            raise Refused(400, "bad_request", W.BAD_REQUEST) from None
        if not isinstance(data, dict):
            raise Refused(400, "bad_request", W.BAD_REQUEST)
        return data

    def event_of(self, data: dict[str, Any]) -> Event:
        unknown = set(data) - FIELDS
        given = [a for a in ACTIONS if data.get(a) is not None]
        if unknown or len(given) != 1:
            raise Refused(400, "bad_request", W.BAD_REQUEST)
        action, value = given[0], data[given[0]]
        if not isinstance(value, str):
            raise Refused(400, "bad_request", W.BAD_REQUEST)
        if action == "text":
            if not value.strip():
                raise Refused(422, "empty", W.EMPTY)
            if len(value) > self.runtime.max_text_length:
                raise Refused(422, "too_long", _too_long(self.runtime.max_text_length))
            if value.startswith("/"):
                name, _, arg = value[1:].partition(" ")
                return self._command(name.lower(), arg.strip())
            return Text(value)
        if action == "button":
            if not value or len(value.encode()) > MAX_BYTES or not value.isprintable():
                raise Refused(422, "bad_button", W.BAD_BUTTON)
            return Press(value)
        if action == "language":
            if value not in i18n.available_locales():
                raise Refused(422, "unknown_language", W.UNKNOWN_LANGUAGE)
            return Press(encode(Op.LANGUAGE, "", "", value))
        arg = data.get("arg") or ""
        if not isinstance(arg, str):
            raise Refused(400, "bad_request", W.BAD_REQUEST)
        return self._command(value, arg)

    def _command(self, name: str, arg: str) -> Command:
        if not COMMAND_RE.fullmatch(name):
            return Command("unknown")  # the engine answers "unknown command"
        if name in ("start", "restart") and arg and not START_CODE_RE.fullmatch(arg):
            arg = ""  # an unusable start code is ignored like an unknown one
        return Command(name, arg if name in ("start", "restart") else "")


def page_text(msg: Msg, locale: str, fallback: str = i18n.SOURCE) -> str:
    """A text of the page or of a refusal in `locale`. Not yet translated, it is the German
    source as it is — without the isolates meant for right-to-left translations."""
    if i18n.translate(locale, msg.context, msg.msgid, fallback) == msg.msgid:
        locale = i18n.SOURCE
    return i18n.render(msg, locale, fallback)


def _too_long(maximum: int) -> Msg:
    return M.MESSAGE_TOO_LONG.with_(max=maximum)


def _visible(payload: dict[str, Any]) -> dict[str, Any]:
    """What the page needs of an outbox payload."""
    return {
        "text": str(payload.get("text", "")),
        "buttons": list(payload.get("buttons") or []),
        "ask": payload.get("ask"),
        "rtl": bool(payload.get("rtl")),
    }
