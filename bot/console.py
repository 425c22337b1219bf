"""Console channel: the same runtime in a terminal, with numbered choices.

A terminal shows only what was written to its own user: it drains the rows of its own
(sealed) address — its replies, and the goodbye after `/delete`, which no longer belongs to a
conversation — never another console user's."""

from __future__ import annotations

import asyncio
import hashlib
import sys
import uuid
from typing import Any, TextIO

from bot.outbox import drain
from bot.runtime import Inbound, Runtime
from dialogs.buttons import Op, encode
from dialogs.io import Command, Event, Press, Text
from store.models import OutboxMessage

CHANNEL = "console"
PROMPT = "> "


class Console:
    def __init__(self, runtime: Runtime, *, user: str, out: TextIO = sys.stdout) -> None:
        self.runtime, self.user, self.out = runtime, user, out
        self.buttons: list[dict[str, Any]] = []
        # any name may be typed; the address is a short stand-in that fits a sealed column
        self.address = hashlib.sha256(user.encode()).hexdigest()[:16]
        self.sealed = runtime.addresses.seal(self.address)

    async def _print(self, row: OutboxMessage) -> None:
        payload = row.payload
        self.out.write(f"\n{payload['text']}\n")
        if payload["buttons"]:
            self.buttons = list(payload["buttons"])
            for n, b in enumerate(self.buttons, 1):
                mark = "[x] " if b.get("selected") else ""
                self.out.write(f"  {n}) {mark}{b['label']}\n")
        self.out.flush()

    def event_for(self, line: str) -> Event:
        line = line.strip()
        if line.startswith("/"):
            name, _, arg = line[1:].partition(" ")
            return Command(name.lower(), arg.strip())
        if line.isdecimal() and self.buttons and 1 <= int(line) <= len(self.buttons):
            return Press(self.buttons[int(line) - 1]["data"])
        return Text(line)

    async def send(self, event: Event, flow: str | None = None) -> None:
        inbound = Inbound(CHANNEL, self.user, self.address, event, uuid.uuid4().hex, flow)
        await self.runtime.handle(inbound)
        await self.flush()

    async def flush(self) -> None:
        await drain(self.runtime.sessions, CHANNEL, self._print, address=self.sealed)

    async def run(self, lines: TextIO, *, lang: str | None, flow: str | None) -> None:
        await self.flush()  # anything committed but not shown before a crash
        state = await self.runtime.state_of(CHANNEL, self.user)
        if state is None or not state.get("locale"):
            if lang:
                await self.send(Press(encode(Op.LANGUAGE, "", "", lang)), flow)
            else:
                await self.send(Command("start"), flow)
        else:
            await self.send(Command("resume"), flow)
        while True:
            self.out.write(PROMPT)
            self.out.flush()
            line = await asyncio.to_thread(lines.readline)
            if not line:
                break
            if not line.strip():
                continue
            await self.send(self.event_for(line), flow)
