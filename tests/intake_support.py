"""Shared setup for the Erstberatung tests: a small Bündnis with offers, and a chat driver."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox import drain
from bot.runtime import Inbound
from dialogs.buttons import Op, encode
from dialogs.io import Command, Event, Press, Text
from store.models import Buendnis, EntryPoint, Gemeinde, Offer, OutboxMessage, Servicestelle

ALL = ["AG", "D", "AE", "NE", "P24", "EU", "other", "unknown"]


async def seed(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Bündnis "Test-Stadt" with Münster and Moers, two Servicestellen and three offers."""
    async with sessions() as s, s.begin():
        b = Buendnis(code="test", name="Test-Bündnis", default_locale="de")
        s.add(b)
        await s.flush()
        ms = Gemeinde(buendnis_id=b.id, name="Münster", kreis=None)
        moers = Gemeinde(buendnis_id=b.id, name="Moers", kreis="Kreis Wesel")
        s.add_all([ms, moers, EntryPoint(code="test-link", buendnis_id=b.id, source="Test")])
        await s.flush()
        default = Servicestelle(
            buendnis_id=b.id,
            name="Servicestelle Zuwanderung",
            address="Rathausplatz 1",
            contact="02841 000",
            is_default=True,
        )
        jmd = Servicestelle(
            buendnis_id=b.id,
            name="JMD Münster",
            address="Hafenweg 2",
            contact="0251 000",
            gemeinde_ids=[ms.id],
            need_areas=["sprache", "beratung"],
            languages=["ar", "de"],
        )
        s.add_all([default, jmd])
        course = Offer(
            buendnis_id=b.id,
            title="Deutschkurs am Abend",
            provider="VHS",
            category="sprache",
            need_areas=["sprache"],
            gemeinde_ids=[ms.id],
            address="Aegidiimarkt 3",
            contact="0251 111",
            opening_hours="Mo–Do 18–20 Uhr",
            languages=["de", "ar"],
            what_to_bring="Ausweis oder Duldung",
            access={k: "yes" for k in ALL},
        )
        job = Offer(
            buendnis_id=b.id,
            title="Jobcoaching",
            provider="Jobcenter",
            category="arbeitsfoerderung",
            need_areas=["arbeit"],
            access={**{k: "yes" for k in ALL}, "D": "ask"},
        )
        closed = Offer(
            buendnis_id=b.id,
            title="Nur mit Erlaubnis",
            provider="X",
            category="sprache",
            need_areas=["sprache"],
            access={**{k: "no" for k in ALL}, "AE": "yes"},
        )
        s.add_all([course, job, closed])
        await s.flush()
        return {
            "buendnis": b.id,
            "muenster": ms.id,
            "moers": moers.id,
            "default": default.id,
            "jmd": jmd.id,
            "course": course.id,
            "job": job.id,
            "closed": closed.id,
        }


async def add_jugendamt(sessions: async_sessionmaker[AsyncSession], buendnis_id: int) -> int:
    """The local Jugendamt's emergency service in the catalogue (found by its keywords)."""
    async with sessions() as s, s.begin():
        offer = Offer(
            buendnis_id=buendnis_id,
            title="Kinder- und Jugendnotdienst",
            provider="Jugendamt Münster",
            category="jugendhilfe",
            need_areas=["familie"],
            address="Hafenweg 9",
            contact="0251 492 0",
            keywords=["Jugendamt", "Notdienst", "Inobhutnahme"],
            access={k: "yes" for k in ALL},
        )
        s.add(offer)
        await s.flush()
        return offer.id


class Chat:
    """One person talking to the runtime; `send` returns the new outbox payloads."""

    def __init__(self, services: Any, user: str = "4711", flow: str = "erstberatung") -> None:
        self.services, self.user, self.flow = services, user, flow
        self.n = 0
        self.buttons: list[dict[str, Any]] = []
        self.transcript: list[dict[str, Any]] = []

    async def send(self, event: Event) -> list[dict[str, Any]]:
        self.n += 1
        inbound = Inbound("telegram", self.user, self.user, event, f"k{self.n}", self.flow)
        await self.services.runtime.handle(inbound)
        return await self.new()

    async def _delivered(self, _row: OutboxMessage) -> None:
        """The channel's send: the payloads are read from the database in `new`."""

    async def new(self) -> list[dict[str, Any]]:
        async with self.services.sessions() as s:
            query = select(OutboxMessage).where(
                OutboxMessage.status == "pending", OutboxMessage.address == self.user
            )
            rows = (await s.scalars(query.order_by(OutboxMessage.id))).all()
        payloads = [r.payload for r in rows]
        await drain(self.services.sessions, "telegram", self._delivered)
        for p in payloads:
            if p["buttons"]:
                self.buttons = p["buttons"]
        self.transcript += payloads
        return payloads

    async def text(self, text: str) -> list[dict[str, Any]]:
        return await self.send(Text(text))

    async def cmd(self, name: str, arg: str = "") -> list[dict[str, Any]]:
        return await self.send(Command(name, arg))

    async def press(self, label: str) -> list[dict[str, Any]]:
        """Press the button of the latest buttons whose label starts with `label`."""
        for b in self.buttons:
            if b["label"].lstrip("\u2068").startswith(label):
                return await self.send(Press(b["data"]))
        raise AssertionError(f"no button {label!r} in {[b['label'] for b in self.buttons]}")

    async def refer(self, via: str = "Hier im Chat", contact: str | None = None) -> str:
        """From the offers list to the consent screen; returns the consent screen's text."""
        await self.press("Weiter")
        await self.press("Ja, bitte melden")
        out = await self.press(via)
        if contact is not None:
            out = await self.text(contact)
        return texts(out)

    async def finish(self) -> list[dict[str, Any]]:
        """From the offers list: "no, thanks", confirmed."""
        await self.press("Weiter")
        await self.press("Nein, fertig")
        return await self.send(Press(encode(Op.CONFIRM, "", "end", "yes")))

    async def finish_here(self) -> list[dict[str, Any]]:
        """At the "what next" question: "no, thanks", confirmed."""
        await self.press("Nein, fertig")
        return await self.send(Press(encode(Op.CONFIRM, "", "end", "yes")))

    @staticmethod
    def buttons_now(payloads: list[dict[str, Any]]) -> list[str]:
        """The labels of the buttons under the last message."""
        return [b["label"] for b in payloads[-1]["buttons"]] if payloads else []

    async def delete(self) -> list[dict[str, Any]]:
        """/delete, confirmed with the second "yes"."""
        await self.cmd("delete")
        return await self.send(Press(encode(Op.CONFIRM, "", "delete", "yes")))

    async def start(self, lang: str = "de", link: str = "") -> list[dict[str, Any]]:
        await self.cmd("start", link)
        return await self.send(Press(encode(Op.LANGUAGE, "", "", lang)))

    async def intake(
        self,
        *,
        gemeinde: str = "Münster",
        age: str = "18 bis 20",
        status: str = "Duldung",
        needs: tuple[str, ...] = ("Deutsch lernen",),
        goal: str | None = "Ich möchte eine Ausbildung machen.",
        link: str = "",
    ) -> list[dict[str, Any]]:
        """Answer the whole Erstberatung with buttons (goal typed); returns the last replies."""
        await self.start(link=link)
        await self.press(gemeinde)
        await self.press(age)
        await self.press(status)
        await self.press("Arabisch")
        await self.press("Deutsch")
        await self.press("Fertig")
        await self.press("Ein bisschen")
        out = await self.press("Ja")
        for need in needs:
            out = await self.press(need)
        out = await self.press("Fertig")
        while out and out[-1]["ask"] not in (None, "goal"):
            labels = [b["label"] for b in out[-1]["buttons"]]
            first = labels[0]
            out = await self.press(first)
            if out and out[-1]["ask"] and out[-1]["ask"] == "helpers":
                break
        if out[-1]["ask"] == "helpers":
            await self.press("Ehrenamtliche")
            out = await self.press("Fertig")
        if goal is None:
            return await self.press("Überspringen")
        return await self.text(goal)


def texts(payloads: list[dict[str, Any]]) -> str:
    return "\n---\n".join(p["text"] for p in payloads)
