"""Telegram as `serve` runs it: polling or webhook in, the outbox sender out.

Used by the composition root (`wegweiser serve`, `wegweiser telegram …`), which hands in the
settings; the admin API never imports this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.token import TokenValidationError
from fastapi import FastAPI

from base.settings import Settings, SettingsError
from bot.outbox import Pacing
from bot.runtime import Runtime
from bot.telegram.adapter import ALLOWED_UPDATES, TelegramChannel, make_bot, set_commands
from bot.telegram.sender import SenderConfig, TelegramSender
from bot.telegram.webhook import webhook_router

log = logging.getLogger(__name__)


def sender_config(cfg: Settings) -> SenderConfig:
    return SenderConfig(
        pacing=Pacing(
            chat_rate=cfg.telegram_chat_rate,
            chat_burst=cfg.telegram_chat_burst,
            lease_seconds=cfg.telegram_claim_seconds,
        ),
        global_rate=cfg.telegram_global_rate,
        retry_seconds=cfg.telegram_retry_seconds,
        max_attempts=cfg.telegram_max_attempts,
    )


def bot_for(cfg: Settings) -> Bot:
    try:
        return make_bot(cfg.telegram_bot_token.get_secret_value(), cfg.telegram_api_base)
    except TokenValidationError:
        raise SettingsError("TELEGRAM_BOT_TOKEN: not a bot token (digits:letters)") from None


class TelegramService:
    def __init__(self, runtime: Runtime, cfg: Settings) -> None:
        self.cfg = cfg
        self.webhook = bool(cfg.telegram_webhook_url)
        if self.webhook and not cfg.telegram_webhook_secret:
            raise SettingsError("WEGWEISER_TELEGRAM_WEBHOOK_SECRET: required in webhook mode")
        self.bot = bot_for(cfg)
        self.channel = TelegramChannel(runtime, self.bot, reraise=self.webhook)
        self.sender = TelegramSender(
            self.bot,
            runtime.sessions,
            sender_config(cfg),
            ready=runtime.outbox_ready,
            write_lock=runtime.single_writer,
            addresses=runtime.addresses,
        )
        self._tasks: list[asyncio.Task[None]] = []

    def mount(self, api: FastAPI) -> None:
        if self.webhook:
            api.include_router(
                webhook_router(self.channel, self.cfg.telegram_webhook_secret.get_secret_value())
            )

    async def start(self) -> None:
        try:
            await set_commands(self.bot, self.cfg.default_locale)
            if self.webhook:
                await self.bot.set_webhook(
                    self.cfg.telegram_webhook_url,
                    secret_token=self.cfg.telegram_webhook_secret.get_secret_value(),
                    allowed_updates=ALLOWED_UPDATES,
                )
        except TelegramAPIError as e:  # Telegram unreachable now: polling retries anyway
            log.error("telegram setup failed: %s", type(e).__name__)
        self._tasks.append(asyncio.create_task(self.sender.run()))
        if not self.webhook:
            self._tasks.append(asyncio.create_task(self.channel.poll()))
        log.info("telegram started mode=%s", "webhook" if self.webhook else "polling")

    async def stop(self) -> None:
        await self.channel.stop()
        self.sender.stop()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
        await self.bot.session.close()


async def set_webhook(cfg: Settings, url: str, *, drop_pending: bool = False) -> str:
    bot = bot_for(cfg)
    try:
        await bot.set_webhook(
            url,
            secret_token=cfg.telegram_webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=drop_pending,
        )
        await set_commands(bot, cfg.default_locale)
        info = await bot.get_webhook_info()
        return f"webhook set: {info.url} (pending updates: {info.pending_update_count})"
    except TelegramAPIError as e:
        raise SettingsError(f"Telegram refused: {e.message}") from None
    finally:
        await bot.session.close()


async def delete_webhook(cfg: Settings, *, drop_pending: bool = False) -> str:
    bot = bot_for(cfg)
    try:
        await bot.delete_webhook(drop_pending_updates=drop_pending)
        return "webhook deleted"
    except TelegramAPIError as e:
        raise SettingsError(f"Telegram refused: {e.message}") from None
    finally:
        await bot.session.close()
