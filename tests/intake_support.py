"""Shared setup for the Erstberatung tests: a small Bündnis with offers, and a chat driver."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, func, select
from sqlalchemy import Text as SqlText
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox import drain
from bot.runtime import Inbound
from dialogs.buttons import Op, encode
from dialogs.io import Command, Event, Press, Text
from store.models import (
    Base,
    Buendnis,
    EntryPoint,
    Gemeinde,
    Offer,
    OfferText,
    OutboxMessage,
    Servicestelle,
)

ALL = ["AG", "D", "AE", "NE", "P24", "EU", "other", "unknown"]


# Translations of the test offers (drafts), so that goldens show them in the person's language.
TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "Deutschkurs am Abend": {
        "ar": {
            "title": "دورة ألمانية مسائية",
            "summary": "تعلّم الألمانية في المساء، للمبتدئين.",
            "opening_hours": "الإثنين–الخميس 18–20",
            "what_to_bring": "بطاقة هوية أو دولدونغ",
            "capacity_note": "أماكن متاحة",
        },
        "fa_AF": {
            "title": "کورس آلمانی شبانه",
            "summary": "آموختن زبان آلمانی در شام، برای مبتدیان.",
            "opening_hours": "دوشنبه–پنجشنبه ۱۸–۲۰",
            "what_to_bring": "تذکره یا دولدونگ",
            "capacity_note": "جای خالی است",
        },
        "uk": {
            "title": "Вечірній курс німецької",
            "summary": "Німецька ввечері, для початківців.",
            "opening_hours": "Пн–Чт 18–20",
            "what_to_bring": "Посвідчення або Duldung",
            "capacity_note": "Є вільні місця",
        },
    },
    "Jugendberufshilfe – Schule und Beruf": {
        "ar": {
            "title": "مساعدة الشباب – المدرسة والمهنة",
            "summary": "نصائح حول المدرسة والتدريب المهني للشباب.",
        },
        "fa_AF": {
            "title": "کمک جوانان – مکتب و مسلک",
            "summary": "مشوره برای مکتب و آموزش مسلکی برای جوانان.",
        },
        "uk": {
            "title": "Допомога молоді – школа і професія",
            "summary": "Порада щодо школи та навчання для молоді.",
        },
    },
    "Notschlafstelle für junge Menschen": {
        "ar": {"title": "مبيت طارئ للشباب", "summary": "سرير لليلة، بدون موعد."},
        "fa_AF": {
            "title": "جای خواب اضطراری برای جوانان",
            "summary": "یک جای خواب برای شب، بدون وقت قبلی.",
        },
        "uk": {"title": "Нічліжка для молоді", "summary": "Ліжко на ніч, без запису."},
    },
    "Ordnungsamt – Unterbringung ohne Wohnung": {
        "ar": {
            "title": "مكتب النظام – سكن لمن لا مأوى له",
            "summary": "يجب على المدينة أن تعطيك مكانًا للنوم.",
        },
        "fa_AF": {
            "title": "اداره نظم – جای بود و باش بدون خانه",
            "summary": "شهر باید به تو یک جای خواب بدهد.",
        },
        "uk": {
            "title": "Ордунгсамт – житло без квартири",
            "summary": "Місто має дати тобі місце для сну.",
        },
    },
    "Wohnungssuche – Beratung": {
        "ar": {"title": "البحث عن سكن – استشارة", "summary": "مساعدة في البحث عن شقة."},
        "fa_AF": {"title": "پیدا کردن خانه – مشوره", "summary": "کمک برای پیدا کردن آپارتمان."},
        "uk": {"title": "Пошук житла – консультація", "summary": "Допомога в пошуку квартири."},
    },
    "Sprachcafé": {
        "ar": {"title": "مقهى اللغة", "summary": "تدرّب على الألمانية مع متطوعين."},
        "uk": {"title": "Мовне кафе", "summary": "Практикуй німецьку з волонтерами."},
    },
}


def _offer(b: int, title: str, **fields: Any) -> Offer:
    return Offer(buendnis_id=b, title=title, access={k: "yes" for k in ALL}, **fields)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Bündnis "Test-Bündnis" with Münster and Moers, two Servicestellen and offers that
    show fit: a course for beginners and one that needs B1, one closed to Duldung, a job offer
    from 18 and a youth offer, emergency accommodation, and one offer only in Moers."""
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
            response_days=5,
        )
        jmd = Servicestelle(
            buendnis_id=b.id,
            name="JMD Münster",
            address="Hafenweg 2",
            contact="0251 000",
            gemeinde_ids=[ms.id],
            need_areas=["sprache", "beratung"],
            languages=["ar", "de"],
            response_days=3,
        )
        s.add_all([default, jmd])
        course = _offer(
            b.id,
            "Deutschkurs am Abend",
            summary="Deutsch lernen am Abend, für Anfänger.",
            provider="VHS",
            category="sprache",
            need_areas=["sprache"],
            gemeinde_ids=[ms.id],
            address="Aegidiimarkt 3",
            contact="0251 111",
            opening_hours="Mo–Do 18–20 Uhr",
            languages=["de", "ar"],
            what_to_bring="Ausweis oder Duldung",
            capacity_note="Plätze frei",
            german_max="a2",
        )
        b1 = _offer(
            b.id,
            "Berufssprachkurs B1",
            summary="Deutsch für den Beruf, ab B1.",
            provider="Sprachschule",
            category="sprache",
            need_areas=["sprache", "arbeit"],
            german_min="b1",
            age_min=16,
        )
        job = _offer(
            b.id,
            "Jobcoaching",
            provider="Jobcenter",
            category="arbeitsfoerderung",
            need_areas=["arbeit"],
            age_min=18,
            topics=["work_permit"],
        )
        job.access = {**job.access, "D": "ask"}
        closed = _offer(
            b.id,
            "Nur mit Erlaubnis",
            provider="X",
            category="sprache",
            need_areas=["sprache"],
        )
        closed.access = {**{k: "no" for k in ALL}, "AE": "yes"}
        youth = _offer(
            b.id,
            "Jugendberufshilfe – Schule und Beruf",
            summary="Beratung zu Schule und Ausbildung für junge Leute.",
            provider="Jugendamt",
            category="jugendhilfe",
            need_areas=["schule", "ausbildung", "arbeit"],
            gemeinde_ids=[ms.id],
            age_min=12,
            age_max=17,
        )
        shelter = _offer(
            b.id,
            "Notschlafstelle für junge Menschen",
            summary="Ein Bett für die Nacht, ohne Termin.",
            provider="Jugendhilfe",
            category="jugendhilfe",
            need_areas=["wohnen"],
            opening_hours="täglich ab 18 Uhr",
            age_min=14,
            age_max=26,
            topics=["no_home"],
        )
        office = _offer(
            b.id,
            "Ordnungsamt – Unterbringung ohne Wohnung",
            summary="Die Stadt muss dir einen Schlafplatz geben.",
            provider="Stadt Münster",
            category="beratung",
            need_areas=["wohnen"],
            gemeinde_ids=[ms.id],
            topics=["no_home"],
        )
        flat = _offer(
            b.id,
            "Wohnungssuche – Beratung",
            summary="Hilfe bei der Suche nach einer Wohnung.",
            provider="Caritas",
            category="beratung",
            need_areas=["wohnen"],
            gemeinde_ids=[ms.id],
            opening_hours="Do 9–12 Uhr",
        )
        cafe = _offer(
            b.id,
            "Sprachcafé",
            summary="Deutsch üben mit Ehrenamtlichen.",
            provider="Flüchtlingshilfe Moers",
            category="sprache",
            need_areas=["sprache", "freizeit"],
            gemeinde_ids=[moers.id],
            address="Kirchplatz 2",
            directions="Bus 911 bis Moers Königlicher Hof",
        )
        offers = [course, b1, job, closed, youth, shelter, office, flat, cafe]
        s.add_all(offers)
        await s.flush()
        for offer in offers:
            for locale, fields in TEXTS.get(offer.title, {}).items():
                for name, text in fields.items():
                    s.add(
                        OfferText(
                            offer_id=offer.id,
                            locale=locale,
                            field=name,
                            text=text,
                            source=getattr(offer, name),
                        )
                    )
        return {
            "buendnis": b.id,
            "muenster": ms.id,
            "moers": moers.id,
            "default": default.id,
            "jmd": jmd.id,
            "course": course.id,
            "b1": b1.id,
            "job": job.id,
            "closed": closed.id,
            "youth": youth.id,
            "shelter": shelter.id,
            "office": office.id,
            "flat": flat.id,
            "cafe": cafe.id,
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
                OutboxMessage.status == "pending",
                OutboxMessage.address == self.services.runtime.addresses.seal(self.user),
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
            if b["label"].replace("\u2068", "").replace("\u2069", "").startswith(label):
                return await self.send(Press(b["data"]))
        raise AssertionError(f"no button {label!r} in {[b['label'] for b in self.buttons]}")

    async def refer(
        self,
        via: str = "Hier im Chat",
        contact: str | None = None,
        *,
        goal: str | None = None,
        urgent: str | None = None,
    ) -> str:
        """From the offers list through the referral questions to the consent screen (optional
        ones skipped unless given); returns the consent screen's text."""
        await self.press("Weiter")
        out = await self.press("Ja, bitte melden")
        given = {"dringend": urgent, "goal": goal}
        while out and out[-1]["ask"] not in ("languages", None):
            ask = out[-1]["ask"]
            answer = given.pop(ask, None)  # once: a refused goal text is skipped, not retyped
            if ask == "dringend" and answer is not None:
                out = await self.press(answer)
            elif ask == "goal" and answer is not None:
                out = await self.text(answer)
            else:
                out = await self.press("Überspringen")
        await self.press("Arabisch")
        await self.press("Deutsch")
        await self.press("Fertig")
        out = await self.press("Ja")  # someone who translates
        out = await self.press(via)
        if contact is not None:
            out = await self.text(contact)
        if out and out[-1]["ask"] == "zeit":
            out = await self.press("Überspringen")
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
        german: str = "Ein bisschen (A1)",
        needs: tuple[str, ...] = ("Deutsch lernen",),
        link: str = "",
    ) -> list[dict[str, Any]]:
        """Answer the Erstberatung up to the offers list with buttons (follow-ups: the first
        answer); returns the last replies (the list)."""
        await self.start(link=link)
        out = await self.press(gemeinde)
        if out[-1]["ask"] == "ort_weiter":
            out = await self.press("Ja, Angebote zeigen")
        if out[-1]["ask"] != "age":
            return out
        await self.press(age)
        await self.press(status)
        await self.press(german)
        for need in needs:
            out = await self.press(need)
        out = await self.press("Fertig")
        while out and out[-1]["ask"] not in (None, "angebote"):
            if out[-1]["ask"] and any(b["data"].startswith("t:") for b in out[-1]["buttons"]):
                await self.send(Press(out[-1]["buttons"][0]["data"]))
                out = await self.press("Fertig")
            else:
                out = await self.send(Press(out[-1]["buttons"][0]["data"]))
        return out


def texts(payloads: list[dict[str, Any]]) -> str:
    return "\n---\n".join(p["text"] for p in payloads)


async def occurrences(services: Any, needle: str) -> list[str]:
    """Every table.column whose text contains `needle` (JSON columns included; times and
    numbers are not text, so a digit run cannot match a timestamp's microseconds)."""
    hits = []
    text_type = Base.metadata.tables["buendnis"].c.name.type
    async with services.sessions() as s:
        for table in Base.metadata.sorted_tables:
            for col in table.columns:
                if not isinstance(col.type, String | SqlText | JSON):
                    continue
                value = func.cast(table.c[col.name], text_type)
                q = select(func.count()).select_from(table).where(value.like(f"%{needle}%"))
                if await s.scalar(q):
                    hits.append(f"{table.name}.{col.name}")
    return hits
