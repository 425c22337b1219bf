"""Telegram updates → runtime `Inbound`s, on a real aiogram Dispatcher (polling or webhook).

* private chats only: in a group, supergroup or channel the bot leaves and stores nothing;
* text, `/commands` (with deep-link payloads), button presses; everything else (stickers,
  photos, voice, video, documents, locations, contacts, edited messages) is `Unsupported`;
* the update id is the idempotency key, so a redelivered update is answered once;
* every callback query is answered — with "already answered" for a stale button;
* a person who blocks the bot is opted out at once (`my_chat_member`).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    ChatMemberUpdated,
    Message,
    Update,
    User,
)
from sqlalchemy import select

from base.i18n import render
from bot import outbox
from bot.runtime import Handled, Inbound, Runtime, pseudonym
from bot.telegram import messages as TM
from dialogs.io import Command, Event, Press, Text, Unsupported
from dialogs.messages import M
from store.models import Conversation

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "channel_post"]
STALE = (M.ALREADY_ANSWERED, M.STALE_BUTTON, M.FLOW_CHANGED)

# Our locales → Telegram's two-letter language codes for setMyCommands. Telegram has no code
# for Dari (fa_AF) or Sorani (ckb): their speakers see the default list.
TELEGRAM_LANGUAGES = {
    loc: loc
    for loc in ("de", "en", "ar", "fa", "ps", "ku", "ti", "so", "uk", "ru", "tr", "fr", "ur")
}


def make_bot(token: str, api_base: str = "https://api.telegram.org") -> Bot:
    """A Bot on the given Bot API server (Telegram's or a self-hosted one)."""
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base.rstrip("/"))))


def command_list(locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=render(text, locale)) for name, text in TM.COMMANDS
    ]


async def set_commands(bot: Bot, default_locale: str = "de") -> None:
    """The command menu in every language we have, plus a default list."""
    await bot.set_my_commands(command_list(default_locale))
    for locale, code in TELEGRAM_LANGUAGES.items():
        await bot.set_my_commands(command_list(locale), language_code=code)


def event_of(message: Message) -> Event:
    text = message.text
    if text is None:
        return Unsupported(str(message.content_type))
    if text.startswith("/") and text[1:2].strip():  # "/" or "/ x" alone is just text
        head, *rest = text[1:].split(maxsplit=1)
        name = head.split("@", 1)[0].lower()
        return Command(name, rest[0].strip() if rest else "")
    return Text(text)


class TelegramChannel:
    """The aiogram Dispatcher wired to the runtime. `reraise`: let failures reach the caller
    (the webhook answers 503 and Telegram delivers again); otherwise the person is told."""

    def __init__(self, runtime: Runtime, bot: Bot, *, reraise: bool = False) -> None:
        self.runtime, self.bot, self.reraise = runtime, bot, reraise
        self.dp = Dispatcher()
        self.dp.message.register(self._on_message)
        self.dp.edited_message.register(self._on_edited)
        self.dp.callback_query.register(self._on_callback)
        self.dp.my_chat_member.register(self._on_member)
        self.dp.channel_post.register(self._on_channel_post)

    # ------------------------------------------------------------------ entry points
    async def feed(self, update: Update) -> Any:
        return await self.dp.feed_update(self.bot, update)

    async def poll(self, **kwargs: Any) -> None:
        """Long polling until `stop()`; a webhook left over from before is removed first."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.dp.start_polling(
            self.bot,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=ALLOWED_UPDATES,
            **kwargs,
        )

    async def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # not polling
            await self.dp.stop_polling()

    # ------------------------------------------------------------------ handlers
    async def _on_message(self, message: Message, event_update: Update) -> None:
        if message.chat.type != "private":
            await self._leave(message.chat.id)
            return
        user = message.from_user
        if user is None or user.is_bot:
            return
        event = event_of(message)
        await self._handle(user.id, message.chat.id, event, event_update.update_id, user)

    async def _on_edited(self, message: Message, event_update: Update) -> None:
        if message.chat.type != "private":
            await self._leave(message.chat.id)
            return
        user = message.from_user
        if user is None or user.is_bot:
            return
        event = Unsupported("edited_message")
        await self._handle(user.id, message.chat.id, event, event_update.update_id, user)

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        notice: str | None = None
        try:
            chat = query.message.chat if query.message is not None else None
            if chat is None or chat.type != "private":
                if chat is not None:
                    await self._leave(chat.id)
                return
            if chat.id != query.from_user.id:  # a private chat is the person's own: forged
                log.warning("callback query naming another chat refused")
                notice = render(TM.ALREADY_ANSWERED, self.runtime.default_locale)
                return
            press = Press(query.data or "")
            user = query.from_user
            handled = await self._handle(user.id, chat.id, press, event_update.update_id, user)
            if handled is not None and _stale(handled):
                notice = render(TM.ALREADY_ANSWERED, handled.locale or self.runtime.default_locale)
        finally:
            with contextlib.suppress(TelegramAPIError):  # too old, or answered before
                await query.answer(text=notice)

    async def _on_member(self, update: ChatMemberUpdated) -> None:
        status = update.new_chat_member.status
        if update.chat.type != "private":
            if status in ("member", "administrator", "restricted"):
                await self._leave(update.chat.id)
            return
        if status == "kicked":  # blocked by the person: stop sending at once
            await self._unreachable(update.from_user.id)

    async def _on_channel_post(self, message: Message) -> None:
        await self._leave(message.chat.id)

    # ------------------------------------------------------------------ helpers
    async def _handle(
        self, user_id: int, chat_id: int, event: Event, update_id: int, user: User
    ) -> Handled | None:
        # the phone's language comes with every update: the person's until they choose one
        inbound = Inbound(
            CHANNEL,
            str(user_id),
            str(chat_id),
            event,
            key=str(update_id),
            language=user.language_code,
        )
        try:
            return await self.runtime.handle(inbound)
        except Exception as e:
            log.error("telegram update failed: %s", type(e).__name__)
            if self.reraise:
                raise
            with contextlib.suppress(TelegramAPIError):
                sorry = render(M.UNAVAILABLE, self.runtime.default_locale)
                await self.bot.send_message(chat_id, sorry)
            return None

    async def _leave(self, chat_id: int) -> None:
        with contextlib.suppress(TelegramAPIError):
            await self.bot.leave_chat(chat_id)
        log.info("left a chat that is not private")

    async def _unreachable(self, user_id: int) -> None:
        rt = self.runtime
        pn = pseudonym(rt.secret, CHANNEL, str(user_id))
        async with rt._serialised(pn), rt.sessions() as s, s.begin():
            conv_id = await s.scalar(select(Conversation.id).where(Conversation.pseudonym == pn))
            if conv_id is not None:
                await outbox.opt_out(s, conv_id, "403 blocked by the user")


def _stale(handled: Handled) -> bool:
    return any(reply.parts and reply.parts[0] in STALE for reply in handled.out)
