"""Telegram calls per step and the wait from a tap to the next question, over the Bot API
emulator (tests/tg_emulator.py) with the real aiogram polling loop, runtime, outbox and sender
on PostgreSQL — one call per step against the earlier way (a message per reply, the answered
keyboard removed by a call of its own: `SenderConfig(one_call_per_step=False)`) in one run.

    .venv/bin/python bench/telegram_pace.py [--tappers 20] [--people 250] [--skip-load]

1. calls: one person through the demo, the Erstberatung and the survey by buttons (typing
   where a question has none); message calls (sendMessage, editMessageText,
   editMessageReplyMarkup) from the emulator's call log per step (a step: one update).
2. tap: `--tappers` people at once, each tapping `--reaction` seconds after the question
   arrives, through the demo, under the real pacing (1 message/s per chat, bursts of 3) with
   the emulator enforcing Telegram's limits (429 with retry_after).
3. load: `--people` people at once (their first message spread over `--arrive` seconds),
   each answering `--think` seconds (uniform) after the question arrives, under the same
   limits (30 messages/s for the bot in all). `answer_wait_*`: the waits after an answer,
   without the greeting. `--only-load` runs this part alone.

Prints one JSON object; targets: ≤ 1.1 calls per step, tap p95 < 0.5 s, load p95 < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from base.i18n import render
from base.settings import load_settings
from bench.pg import admin, database_url
from bot.outbox import Pacing
from bot.runtime import Handled, Inbound
from bot.telegram.adapter import TelegramChannel, make_bot
from bot.telegram.sender import SenderConfig, TelegramSender
from dialogs.messages import M
from store.migrate import upgrade
from tests.intake_support import seed
from tests.tg_emulator import FloodLimits, TelegramEmulator
from wegweiser.services import Services, build

SENDS = {"sendMessage", "editMessageText"}
MESSAGE_CALLS = SENDS | {"editMessageReplyMarkup"}
FAST = Pacing(chat_rate=200.0, chat_burst=50)
REAL = Pacing()  # 1 message/s per chat, bursts of 3
MAX_STEPS = 150
DONE, THANKS = render(M.DONE, "de"), render(M.THANKS, "de")
ENDS = {render(M.NEXT_FLOW_YES, "de"), render(M.START_AGAIN, "de")}
CONVERSATION_TABLES = "conversation, outbox, inbound_seen, participation_marker"
GO_ON = render(M.CONTINUE, "de")
SKIPPED_LABELS = ("🌐", "‹", "›", "✓ ")


class Bench:
    """One Wegweiser worker (polling the emulator) and the people talking to it."""

    def __init__(self, services: Services, tg: TelegramEmulator, config: SenderConfig) -> None:
        self.services, self.tg, self.config = services, tg, config
        self.bot = make_bot(tg.token, tg.base_url)
        self.channel = TelegramChannel(services.runtime, self.bot)
        self.sender = TelegramSender(
            self.bot, services.sessions, config, ready=services.runtime.outbox_ready
        )
        self.handled: dict[str, asyncio.Queue[Handled]] = {}
        self._sends: dict[int | None, list[float]] = {}
        self._refused: set[int] = set()
        self._calls_read = self._errors_read = 0
        handle = services.runtime.handle

        async def recording(msg: Inbound) -> Handled:
            done = await handle(msg)
            self.handled.setdefault(msg.address, asyncio.Queue()).put_nowait(done)
            return done

        services.runtime.handle = recording  # type: ignore[method-assign]
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Bench:
        self.tasks = [
            asyncio.create_task(self.sender.run()),
            asyncio.create_task(self.channel.poll(polling_timeout=1)),
        ]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.channel.stop()
        self.sender.stop()
        await asyncio.wait(self.tasks, timeout=15)
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.bot.session.close()

    def sends(self, chat: int) -> list[float]:
        """When messages reached the chat (calls refused with 429 left out); the call log is
        read once, as it grows."""
        tg = self.tg
        self._refused.update(id(e.params) for e in tg.errors[self._errors_read :])
        self._errors_read = len(tg.errors)
        for call in tg.calls[self._calls_read :]:
            if call.method in SENDS and id(call.params) not in self._refused:
                self._sends.setdefault(_chat(call), []).append(call.timestamp)
        self._calls_read = len(tg.calls)
        return self._sends.get(chat, [])

    async def step(self, chat: int, act: Callable[[], object]) -> float | None:
        """Do one thing; seconds until its last message arrived (None: nothing came)."""
        before = len(self.sends(chat))
        queue = self.handled.setdefault(str(chat), asyncio.Queue())
        t0 = time.monotonic()
        try:
            act()
        except ValueError:  # the button went while the person looked: look again
            return None
        try:
            handled = await asyncio.wait_for(queue.get(), 30)
        except TimeoutError:
            return None
        expected = 1 if self.config.one_call_per_step else handled.replies
        if handled.replies == 0:
            return None
        with contextlib.suppress(TimeoutError):
            await self.tg.wait_until(lambda: len(self.sends(chat)) >= before + expected, 120)
        sent = self.sends(chat)
        return sent[min(len(sent), before + expected) - 1] - t0 if len(sent) > before else None

    async def converse(
        self, chat: int, start: str, pause: Callable[[], float], arrive: float = 0.0
    ) -> tuple[int, list[float], bool]:
        """One person through a flow, coming `arrive` seconds after the run began: (steps,
        waits per step — the first one the greeting's —, finished)."""
        tg = self.tg
        waits: list[float] = []
        steps = 0
        await asyncio.sleep(arrive)
        wait = await self.step(chat, lambda: tg.user_command(chat, "/start", payload=start or None))
        steps += 1
        waits += [wait] if wait is not None else []
        while steps < MAX_STEPS:
            last = tg.last(chat)
            if last is None or THANKS in last["text"]:
                return steps, waits, True
            labels = [b for row in tg.buttons(chat) for b in row]
            if ENDS & set(labels):
                return steps, waits, True
            await asyncio.sleep(pause())
            act = _answer(tg, chat, last, labels)
            wait = await self.step(chat, act)
            steps += 1
            waits += [wait] if wait is not None else []
        return steps, waits, False


def delivered(tg: TelegramEmulator, methods: set[str]) -> list[Any]:
    refused = {id(e.params) for e in tg.errors}
    return [c for c in tg.calls if c.method in methods and id(c.params) not in refused]


def _chat(call: Any) -> int | None:
    chat = call.params.get("chat_id")
    return int(chat) if chat is not None else None


def _answer(
    tg: TelegramEmulator, chat: int, last: dict[str, Any], labels: list[str]
) -> Callable[[], object]:
    """What a person in a hurry does: the first answer offered, "Fertig" once something is
    ticked, the lowest number allowed or a word where there are no buttons."""
    if any(label.startswith("✓ ") for label in labels) and DONE in labels:
        return lambda: tg.user_press_button(chat, DONE)
    if GO_ON in labels:  # an offers list: on to what comes after it
        return lambda: tg.user_press_button(chat, GO_ON)
    back = render(M.BACK, "de")
    choices = [b for b in labels if not b.startswith(SKIPPED_LABELS) and b != back]
    if choices:
        return lambda: tg.user_press_button(chat, choices[0])
    number = re.search(r"\d+", last["text"].rsplit("\n\n", 1)[-1])  # "from 14 to 99": 14
    typed = number.group() if number else "Hallo"
    return lambda: tg.user_text(chat, typed)


async def run_people(
    services: Services,
    config: SenderConfig,
    limits: FloodLimits | None,
    people: int,
    start: str,
    pause: Callable[[], float],
    first_chat: int,
    arrival: Callable[[], float] = lambda: 0.0,
) -> dict[str, Any]:
    async with TelegramEmulator() as tg:
        if limits is not None:
            tg.enable_flood_control(limits)
        async with Bench(services, tg, config) as bench:
            t0 = time.monotonic()
            chats = range(first_chat, first_chat + people)
            results = await asyncio.gather(
                *(bench.converse(c, start, pause, arrival()) for c in chats)
            )
            elapsed = time.monotonic() - t0
        calls = delivered(tg, MESSAGE_CALLS)
        too_many = sum(e.error_code == 429 for e in tg.errors)
    steps = sum(r[0] for r in results)
    waits = sorted(w for r in results for w in r[1])
    answers = sorted(w for r in results for w in r[1][1:])  # after a tap or a typed answer
    return {
        "people": people,
        "finished": sum(r[2] for r in results),
        "steps": steps,
        "message_calls": len(calls),
        "calls_per_step": round(len(calls) / steps, 3) if steps else None,
        "answered_callbacks": len(tg.answered_callbacks),
        "http_429": too_many,
        "seconds": round(elapsed, 1),
        "wait_p50_s": _q(waits, 0.5),
        "wait_p95_s": _q(waits, 0.95),
        "wait_max_s": round(waits[-1], 3) if waits else None,
        "answer_wait_p50_s": _q(answers, 0.5),
        "answer_wait_p95_s": _q(answers, 0.95),
    }


def _q(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * q))], 3)


def services_for(url: str, tmp: str, flow: str) -> Services:
    cfg = load_settings(
        database_url=url,
        instance_dir=Path(tmp),
        secret_key="p" * 40,
        default_flow=flow,
        flood_max_updates=10_000,
    )
    return build(cfg)


async def measured(
    url: str, tmp: str, flow: str, run: Callable[[Services, str], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """`run` on a database without conversations (the seeded Bündnis stays)."""
    services = services_for(url, tmp, flow)
    try:
        async with services.sessions() as s, s.begin():
            await s.execute(text(f"TRUNCATE {CONVERSATION_TABLES} CASCADE"))
        return await run(services, "test-link" if flow == "erstberatung" else "")
    finally:
        await services.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tappers", type=int, default=20)
    ap.add_argument("--reaction", type=float, default=0.4, help="seconds from question to tap")
    ap.add_argument("--people", type=int, default=250)
    ap.add_argument("--think", type=float, nargs=2, default=(5.0, 15.0))
    ap.add_argument("--arrive", type=float, default=10.0, help="load: starts spread over")
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--only-load", action="store_true")
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    modes = {
        "one_call_per_step": True,
        "baseline_message_per_reply_and_keyboard_removal": False,
    }
    name = f"wegweiser_pace_{uuid.uuid4().hex[:8]}"
    url = database_url(name)
    await admin(f'CREATE DATABASE "{name}"')
    out: dict[str, Any] = {"benchmark": "telegram_pace", "database": "postgresql"}
    try:
        await asyncio.to_thread(upgrade, url)
        with tempfile.TemporaryDirectory() as tmp:
            seeding = services_for(url, tmp, "demo")
            await seed(seeding.sessions)  # a Bündnis, Gemeinden and offers for the Erstberatung
            await seeding.close()
            calls: dict[str, Any] = {}
            for mode, one in modes.items() if not args.only_load else ():
                config = SenderConfig(pacing=FAST, global_rate=1000, one_call_per_step=one)
                calls[mode] = {}
                for flow in ("demo", "erstberatung", "befragung-lebenslage"):

                    async def one_person(s: Services, code: str, cfg=config) -> dict[str, Any]:
                        return await run_people(s, cfg, None, 1, code, lambda: 0.0, 1000)

                    calls[mode][flow] = await measured(url, tmp, flow, one_person)
            out["calls_per_step"] = calls
            print(json.dumps(calls), file=sys.stderr)  # each phase as it ends

            tap: dict[str, Any] = {}
            for mode, one in modes.items() if not args.only_load else ():
                config = SenderConfig(pacing=REAL, one_call_per_step=one)

                async def tappers(s: Services, code: str, cfg=config) -> dict[str, Any]:
                    return await run_people(
                        s, cfg, FloodLimits(), args.tappers, code, lambda: args.reaction, 2000
                    )

                tap[mode] = await measured(url, tmp, "demo", tappers)
            out["fast_tapper"] = {"reaction_s": args.reaction, **tap}
            print(json.dumps(out["fast_tapper"]), file=sys.stderr)

            if not args.skip_load:
                load: dict[str, Any] = {}
                for mode, one in modes.items():
                    config = SenderConfig(pacing=REAL, one_call_per_step=one)
                    lo, hi = args.think

                    async def crowd(
                        s: Services, code: str, cfg=config, lo=lo, hi=hi
                    ) -> dict[str, Any]:
                        def think() -> float:
                            return rng.uniform(lo, hi)

                        def arrival() -> float:
                            return rng.uniform(0, args.arrive)

                        return await run_people(
                            s, cfg, FloodLimits(), args.people, code, think, 100_000, arrival
                        )

                    load[mode] = await measured(url, tmp, "demo", crowd)
                    print(json.dumps({mode: load[mode]}), file=sys.stderr)
                out["load"] = {"think_s": list(args.think), "arrive_s": args.arrive, **load}
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    out |= {
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "targets": {"calls_per_step": 1.1, "tap_p95_s": 0.5, "load_p95_s": 2.0, "people": 250},
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
