"""Routes of the web chat (see the package docstring and docs/webchat.md).

Identity: a conversation token `<22 random chars>.<22 chars of HMAC>` issued by the server and
kept by the browser in localStorage. The runtime pseudonymises it like any messenger id; it is
never stored, and never logged. No cookies at all.

Every refusal is `{"error": {"code", "message", "locale", "rtl"}}` with the message in the
person's language; programs read `code`, people read `message`.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from base import i18n
from bot.languages import device_language
from bot.runtime import Inbound, Runtime
from bot.webchat.chat import (
    ADDRESS,
    API_HEADERS,
    CHANNEL,
    KEY_RE,
    SECURITY_HEADERS,
    START_CODE_RE,
    STATIC,
    TOKEN_HEADER,
    Refused,
    WebChat,
)
from bot.webchat.limits import Limits
from bot.webchat.messages import W
from dialogs.messages import M

log = logging.getLogger(__name__)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def build_webchat_router(
    runtime: Runtime,
    *,
    prefix: str = "/chat",
    limits: Limits | None = None,
) -> APIRouter:
    """The web chat's routes, to be included into the FastAPI app by `wegweiser serve`."""
    chat = WebChat(runtime, limits or Limits())
    router = APIRouter(prefix=prefix, tags=["web chat"])

    @router.get("", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request, lang: str | None = None, start: str | None = None) -> Response:
        lang = lang.replace("-", "_") if lang else None  # `fa-AF` as well as `fa_AF`
        locale = chat.pick_locale(lang, accept=request.headers.get("accept-language"))
        html = chat.templates.get_template("chat.html").render(
            base=prefix,
            locale=locale,
            html_lang=locale.replace("_", "-"),
            dir="rtl" if i18n.is_rtl(locale) else "ltr",
            lang_chosen=lang == locale,
            start_code=start if start and START_CODE_RE.fullmatch(start) else "",
            ui=chat.ui(locale),
            languages=i18n.languages(),
            max_length=runtime.max_text_length,
            poll_seconds=chat.limits.poll_seconds,
            asset_version=chat.asset_version,
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store", **SECURITY_HEADERS})

    @router.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name not in STATIC:
            return Response(status_code=404, headers=SECURITY_HEADERS)
        return Response(
            chat.assets[name],
            media_type=STATIC[name],
            headers={"Cache-Control": "public, max-age=86400", **SECURITY_HEADERS},
        )

    @router.post("/api/token", status_code=201)
    async def token(request: Request) -> Response:
        locale = chat.pick_locale(accept=request.headers.get("accept-language"))
        try:
            chat.limit(chat.token_buckets, _client(request))
        except Refused as e:
            return chat.refusal(e, locale)
        log.info("web chat token issued")
        return JSONResponse({"token": chat.new_token()}, status_code=201, headers=API_HEADERS)

    @router.post("/api/messages")
    async def post_message(request: Request) -> Response:
        locale = chat.pick_locale(accept=request.headers.get("accept-language"))
        try:
            chat.limit(chat.address_buckets, _client(request))
            data = await chat.read_json(request)
            hint = data.get("locale") if isinstance(data.get("locale"), str) else None
            accept = request.headers.get("accept-language")
            locale = chat.pick_locale(hint, accept=accept)
            tok = data.get("token")
            if not chat.valid_token(tok):
                raise Refused(401, "bad_token", W.BAD_TOKEN)
            assert isinstance(tok, str)
            locale = chat.pick_locale(await chat.conversation_locale(tok), hint, locale)
            chat.limit(chat.message_buckets, tok)
            key = data.get("key")
            if not isinstance(key, str) or not KEY_RE.fullmatch(key):
                raise Refused(400, "bad_request", W.BAD_REQUEST)
            event = chat.event_of(data)
            # the page's language (`?lang=`) or the browser's: theirs until they choose one
            device = hint or device_language(accept, i18n.available_locales())
            inbound = Inbound(CHANNEL, tok, ADDRESS, event, key, language=device)
            handled = await runtime.handle(inbound)
            if handled.conversation_id is not None and await chat.conversation_id(tok) is None:
                messages = await chat.farewell(handled)  # `/delete` removed the conversation
            else:
                messages = await chat.deliver(handled.conversation_id)
        except Refused as e:
            log.info("web chat refused code=%s", e.code)
            return chat.refusal(e, locale)
        except SQLAlchemyError as e:
            log.warning("web chat database error kind=%s", type(e).__name__)
            return chat.refusal(Refused(503, "unavailable", M.UNAVAILABLE), locale)
        return await chat.answer(tok, messages, duplicate=handled.duplicate)

    @router.get("/api/messages")
    async def poll(request: Request) -> Response:
        locale = chat.pick_locale(accept=request.headers.get("accept-language"))
        tok = request.headers.get(TOKEN_HEADER, "")
        try:
            if not chat.valid_token(tok):
                raise Refused(401, "bad_token", W.BAD_TOKEN)
            chat.limit(chat.poll_buckets, tok)
            messages = await chat.deliver(await chat.conversation_id(tok))
        except Refused as e:
            return chat.refusal(e, locale)
        except SQLAlchemyError as e:
            log.warning("web chat database error kind=%s", type(e).__name__)
            return chat.refusal(Refused(503, "unavailable", M.UNAVAILABLE), locale)
        return await chat.answer(tok, messages)

    return router
