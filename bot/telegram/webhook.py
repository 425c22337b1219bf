"""The webhook route, mounted into the FastAPI app by the composition root (`serve`).

Telegram sends each update as a POST with the secret token in a header; the update is
handled before the answer, so an answer other than 2xx makes Telegram deliver it again —
and the runtime's idempotency keys make a second delivery harmless.
"""

from __future__ import annotations

import hmac
import logging

from aiogram.types import Update
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.telegram.adapter import TelegramChannel

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def webhook_router(channel: TelegramChannel, secret: str, path: str = WEBHOOK_PATH) -> APIRouter:
    if not secret:
        raise ValueError("a webhook needs a secret token")
    router = APIRouter()

    @router.post(path, include_in_schema=False)
    async def telegram_webhook(request: Request) -> JSONResponse:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook call with a wrong secret token refused")
            return JSONResponse({"error": "wrong secret token"}, status_code=403)
        try:
            data = await request.json()
            update = Update.model_validate(data, context={"bot": channel.bot})
        except ValueError:
            return JSONResponse({"error": "not a Telegram update"}, status_code=400)
        try:
            await channel.feed(update)
        except Exception as e:  # Telegram delivers again later; the update id de-duplicates
            log.error("webhook update failed: %s", type(e).__name__)
            return JSONResponse({"error": "temporarily unavailable"}, status_code=503)
        return JSONResponse({})

    return router
