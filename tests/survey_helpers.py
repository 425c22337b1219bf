"""Drive the survey through the runtime like a person would (buttons and typed answers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.runtime import Inbound
from dialogs.buttons import Op, encode
from dialogs.io import Command, Press, Text
from store.models import OutboxMessage

SURVEY = "befragung-lebenslage"

# A full set of answers; None skips an optional item.
ANSWERS: dict[str, Any] = {
    "1.2": "21-24",
    "gemeinde": "Mörs",  # a typo of Moers
    "1.1": "d",
    "1.3": "w",
    "1.4": ["partner", "kinder"],
    "1.5": "unterkunft",
    "1.6": "ik_aktuell",
    "1.7": None,
    "1.8": "dual",
    "1.9": "yes",
    "1.10": "nein",
    "1.11": "no",
    "1.12": "yes",
    "1.13": 2,
    "1.14": 1,
    "1.15": ["0-2", "3-5"],
    "2.2": ["sprache", "wohnen"],
    "2.4": "yes",
    "2.9": "schwer",
    "2.10": None,
    "2.13": "yes",
    "2.16": "moechte",
    "2.17": "no",
    "2.18": "Ich suche eine Wohnung. Ruf mich an: 0171 2345678",
    "einladung": "yes",
}


class Person:
    def __init__(self, runtime: Any, user: str, channel: str = "telegram") -> None:
        self.rt, self.user, self.channel, self.n = runtime, user, channel, 0

    async def send(self, event: Any) -> None:
        self.n += 1
        await self.rt.handle(
            Inbound(self.channel, self.user, self.user, event, f"{self.user}-{self.n}")
        )

    async def last(self) -> dict[str, Any]:
        address = self.rt.addresses.seal(self.user)
        async with self.rt.sessions() as s:
            latest = (
                select(OutboxMessage.payload)
                .where(OutboxMessage.address == address)
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            )
            payload = await s.scalar(latest)
        assert payload is not None, "nothing was sent to this person"
        return dict(payload)

    async def answer_all(self, version: str, answers: dict[str, Any], limit: int = 80) -> list:
        """Answer whatever is asked until nothing is asked; returns the item ids asked."""
        asked: list[str] = []
        for _ in range(limit):
            ask = (await self.last())["ask"]
            if ask in (None, "@next"):  # the end (then perhaps the way on to the Erstberatung)
                return asked
            asked.append(ask)
            value = answers.get(ask)
            if value is None:
                await self.send(Press(encode(Op.SKIP, version, ask, "")))
            elif isinstance(value, list):
                for code in value:
                    await self.send(Press(encode(Op.TOGGLE, version, ask, code)))
                await self.send(Press(encode(Op.DONE, version, ask, "")))
            elif isinstance(value, int):
                await self.send(Text(str(value)))
            elif ask in ("gemeinde", "2.18"):
                await self.send(Text(value))
            else:
                await self.send(Press(encode(Op.ANSWER, version, ask, value)))
        raise AssertionError("the survey did not end")

    async def take_part(
        self,
        code: str,
        version: str,
        answers: dict[str, Any] | None = None,
        lang: str = "de",
        stored: bool = True,
    ) -> list[str]:
        """Take part from /start to the end; `stored`: then write what the holding area
        keeps back (tests that read responses; the batching is tested on its own)."""
        await self.send(Command("start", code))
        if (await self.last())["ask"] == "@language":
            await self.send(Press(encode(Op.LANGUAGE, "", "", lang)))
        asked = await self.answer_all(version, ANSWERS if answers is None else answers)
        if stored:
            await self.rt.holding.flush(force=True)
        return asked
