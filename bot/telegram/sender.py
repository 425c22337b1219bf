"""Sends the Telegram outbox: paced, in order per chat, shared by any number of workers.

429 → the row waits `retry_after` (not counted as a failed attempt); 403 → the person is
unreachable (blocked the bot, deleted the account): the conversation is opted out and its
unsent rows are dead-lettered; 5xx and network errors → retry with exponential backoff, then
dead-letter with the reason; other 400s → dead-letter at once (retrying cannot help).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import outbox
from bot.clock import SYSTEM_CLOCK, Clock
from bot.outbox import Claimed, Dead, Outcome, Pacing, Retry, Sent, Unreachable
from bot.telegram.keyboard import markup
from store.addresses import AddressBox

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096


@dataclass(frozen=True)
class SenderConfig:
    pacing: Pacing = field(default_factory=Pacing)
    global_rate: float = 30.0  # API calls per second for this worker
    retry_seconds: float = 2.0  # first backoff step for 5xx / network errors
    max_attempts: int = 5
    idle_poll: float = 0.5  # look for work this often when nobody signals
    batch: int = 30
    # One call per step: the texts of a step go in one message and an answered keyboard stays
    # (a press on it is answered "already answered"). False: a message per reply and the
    # answered keyboard removed by a call of its own — for comparison in bench/telegram_pace.py.
    one_call_per_step: bool = True


class RateLimiter:
    """Token bucket for this worker's calls to Telegram (replies are claimed first)."""

    def __init__(
        self, rate: float, burst: float | None = None, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)


class TelegramSender:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        config: SenderConfig,
        *,
        ready: asyncio.Event | None = None,
        write_lock: asyncio.Lock | None = None,
        addresses: AddressBox,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.bot, self.sessions, self.config = bot, sessions, config
        self.addresses = addresses  # the one place a chat id is read back
        self.ready = ready or asyncio.Event()
        self.write_lock = write_lock
        self.clock = clock
        self.limiter = RateLimiter(config.global_rate, clock=clock)
        self.sent = 0
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Send until `stop()` (a round in progress is finished and recorded first)."""
        while not self._stopping.is_set():
            try:
                done = await self.send_due()
            except Exception as e:  # database trouble: report, wait, go on
                log.error("telegram sender: %s", type(e).__name__)
                done = 0
            if not done:
                await self._idle()

    def stop(self) -> None:
        self._stopping.set()
        self.ready.set()

    async def _idle(self) -> None:
        wait = self.config.idle_poll
        with contextlib.suppress(Exception):  # the database is away: the usual poll
            due = await outbox.next_due(self.sessions, CHANNEL, self.config.pacing, self.clock)
            wait = wait if due is None else min(wait, due)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), wait)
        if not self._stopping.is_set():
            self.ready.clear()

    async def send_due(self) -> int:
        """One round: claim what is due, send it (chats in parallel), record the outcomes."""
        cfg = self.config
        rows = await outbox.claim(
            self.sessions,
            CHANNEL,
            cfg.pacing,
            limit=cfg.batch,
            write_lock=self.write_lock,
            merge=cfg.one_call_per_step,
            clock=self.clock,
        )
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self._deliver(row) for row in rows))
        await outbox.settle(
            self.sessions,
            list(zip(rows, outcomes, strict=True)),
            cfg.pacing,
            max_attempts=cfg.max_attempts,
            write_lock=self.write_lock,
            clock=self.clock,
        )
        self.sent += sum(isinstance(o, Sent) for o in outcomes)
        return len(rows)

    async def _deliver(self, row: Claimed) -> Outcome:
        try:
            return await self._send(row)
        except TelegramRetryAfter as e:
            return Retry(float(e.retry_after), f"429 retry after {e.retry_after}", counts=False)
        except TelegramForbiddenError as e:
            return Unreachable(f"403 {e.message}")
        except (TelegramServerError, TelegramNetworkError, TelegramUnauthorizedError) as e:
            delay = self.config.retry_seconds * 2**row.attempts
            return Retry(delay, f"{type(e).__name__}: {e.message}")
        except TelegramBadRequest as e:
            return Dead(f"400 {e.message}")
        except TelegramAPIError as e:
            return Dead(f"{type(e).__name__}: {e.message}")
        except (ValueError, KeyError, TypeError) as e:  # a payload we cannot show
            return Dead(f"bad payload: {type(e).__name__}")

    async def _send(self, row: Claimed) -> Outcome:
        chat_id = int(self.addresses.open(row.address))  # ValueError: dead, see above
        payload = row.payload
        text = str(payload.get("text") or "").strip() or "…"
        keyboard = markup(payload)
        ask = payload.get("ask")
        calls = 0
        if (
            payload.get("replace")
            and row.keyboard_message_id is not None
            and row.keyboard_ask == ask
            and len(text) <= MAX_TEXT
        ):
            await self.limiter.acquire()
            calls += 1
            try:
                await self.bot.edit_message_text(
                    chat_id=chat_id,
                    message_id=row.keyboard_message_id,
                    text=text,
                    reply_markup=keyboard,
                )
                return Sent(calls, (row.keyboard_message_id, ask) if keyboard else (None, None))
            except TelegramBadRequest as e:
                if "not modified" in e.message:
                    return Sent(calls)
                # the message is gone or too old to edit: send a new one below
        # An answered question keeps its keyboard: removing it would be a second call per
        # step. A press on it later is answered "already answered" and changes nothing.
        if row.keyboard_message_id is not None and not self.config.one_call_per_step:
            await self._remove_keyboard(chat_id, row.keyboard_message_id)
            calls += 1
        chunks = _split(text)
        message_id = None
        for n, chunk in enumerate(chunks):
            await self.limiter.acquire()
            last = n == len(chunks) - 1
            message = await self.bot.send_message(
                chat_id=chat_id, text=chunk, reply_markup=keyboard if last else None
            )
            message_id = message.message_id
            calls += 1
        return Sent(calls, (message_id, ask) if keyboard else (None, None))

    async def _remove_keyboard(self, chat_id: int, message_id: int) -> None:
        await self.limiter.acquire()
        with contextlib.suppress(TelegramBadRequest):
            await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=None
            )


def _split(text: str) -> list[str]:
    """Telegram's limit is 4096 characters: longer text goes as several messages."""
    chunks = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > MAX_TEXT // 2 else MAX_TEXT
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    chunks.append(text)
    return chunks
