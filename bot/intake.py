"""What happens around the Erstberatung flow (kind "intake"): the runtime's hooks.

- `specialise`: the flow's `gemeinde` question gets the Gemeinden of the person's Bündnis as
  choices (typed names are fuzzy-matched by the engine, umlaut spellings included). The engine
  stays pure: it only ever sees a flow.
- `completed`: anonymous aggregates (need counts, gap signals), then offers per need area.
- `before`: what is handled before the engine: safety words, /mydata, /delete, the offer and
  referral buttons, the contact details, replies to a Servicestelle.

The answers of a finished Erstberatung stay in the conversation state (key "intake") only
while the person looks at offers and decides about a referral; they are removed when the
person finishes, refuses consent, gives consent (then they live only in the referral),
restarts, deletes, or after `SESSION_HOURS` (housekeeping).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.survey.responses import gemeinde_code
from dialogs.buttons import Op, Pressed, encode, parse
from dialogs.intake_messages import IM
from dialogs.io import Button, Command, Completed, Event, Msg, Press, Reply, Text, Unsupported
from dialogs.messages import M
from dialogs.model import Choice, Flow, Item
from dialogs.safety import is_danger
from offers.search import OfferQueryError, find_offers, responsible_servicestelle
from store import referrals
from store.models import (
    Conversation,
    Gemeinde,
    IntakeNeedCount,
    Offer,
    OfferGap,
    OutboxMessage,
    Servicestelle,
    today,
    utcnow,
)
from wegweiser.i18n import available_locales, render

log = logging.getLogger(__name__)

SESSION = "intake"  # key in the conversation state: the finished intake being looked at
REPLY_TO = "reply_to"  # key in the conversation state: referral the next text goes to
STATE_KEYS = (SESSION, REPLY_TO)
SESSION_HOURS = 24
GEMEINDE_ITEM, AGE_ITEM, STATUS_ITEM, LANGUAGES_ITEM, NEEDS_ITEM = (
    "gemeinde",
    "age",
    "status",
    "languages",
    "needs",
)
UNDER_16 = "u16"
# Flow answer codes are lower case; offers.taxonomy uses the Arbeitshilfe's upper-case codes.
STATUS_CODES = {"ag": "AG", "d": "D", "ae": "AE", "ne": "NE", "p24": "P24", "eu": "EU"}
# Age answers outside the taxonomy's bands search with the nearest band.
AGE_SEARCH = {"u16": "16-17", "27plus": "25-26"}
PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{4,28}[0-9]$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


@dataclasses.dataclass
class Pre:
    """The result of `before`: replies to send, and the event for the engine (None: none)."""

    replies: list[Reply]
    event: Event | None = None


def _variants(name: str) -> tuple[str, ...]:
    """Spellings people type without umlauts: Münster → Muenster, Munster."""
    table = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
    spelled = "".join(table.get(ch, ch) for ch in name)
    return (spelled,) if spelled != name else ()


def _gemeinde_id(code: object) -> int | None:
    if isinstance(code, str) and code.startswith("g") and code[1:].isdecimal():
        return int(code[1:])
    return None


class Intake:
    def __init__(self, *, retention_days: int = 90, flows: Iterable[Flow] = ()) -> None:
        self.retention_days = retention_days
        # intake flows, to show a referral's answers in the person's language in /mydata
        self.intake_flows = tuple(f for f in flows if f.kind == "intake")
        self._flows: dict[tuple[str, str, tuple[tuple[int, str], ...]], Flow] = {}

    # ------------------------------------------------------------------ the flow
    async def specialise(self, s: AsyncSession, conv: Conversation, flow: Flow) -> Flow:
        """The Bündnis' Gemeinden as choices of the `gemeinde` item (all, without a Bündnis)."""
        item = flow.item(GEMEINDE_ITEM)
        if flow.kind != "intake" or item is None:
            return flow
        query = select(Gemeinde.id, Gemeinde.name).order_by(Gemeinde.name, Gemeinde.id)
        if conv.buendnis_id is not None:
            query = query.where(Gemeinde.buendnis_id == conv.buendnis_id)
        rows = tuple((int(i), str(n)) for i, n in (await s.execute(query)).all())
        key = (flow.id, flow.version, rows)
        if key not in self._flows:
            if len(self._flows) > 256:
                self._flows.clear()
            choices = tuple(
                Choice(gemeinde_code(i), name, _variants(name)) for i, name in rows
            ) + tuple(c for c in item.choices if _gemeinde_id(c.code) is None)
            special = dataclasses.replace(item, choices=choices)
            items = tuple(special if it.id == item.id else it for it in flow.items)
            self._flows[key] = Flow(flow.id, flow.version, flow.title, items, flow.path, flow.kind)
        return self._flows[key]

    # ------------------------------------------------------------------ after the questions
    async def completed(
        self, s: AsyncSession, conv: Conversation, flow: Flow, done: Completed
    ) -> list[Reply]:
        answers = dict(done.answers)
        gemeinde = None
        gid = _gemeinde_id(answers.get(GEMEINDE_ITEM))
        if gid is not None:
            gemeinde = await s.get(Gemeinde, gid)
        if gemeinde is not None and conv.buendnis_id is None:
            conv.buendnis_id = gemeinde.buendnis_id
        buendnis_id = conv.buendnis_id
        gemeinde_id = gemeinde.id if gemeinde is not None else None
        areas = [str(a) for a in answers.get(NEEDS_ITEM) or []]
        for area in areas:
            await _count_need(s, buendnis_id, gemeinde_id, area)
        found: dict[str, list[list[Any]]] = {a: [] for a in areas}
        if buendnis_id is not None and areas:
            try:
                ranked = await find_offers(
                    s,
                    buendnis_id=buendnis_id,
                    gemeinde_id=gemeinde_id,
                    need_areas=areas,
                    status=_status(answers.get(STATUS_ITEM)),
                    age_band=_age_band(answers.get(AGE_ITEM)),
                    languages=[str(x) for x in answers.get(LANGUAGES_ITEM) or []],
                    today=today(),
                    limit_per_area=5,
                )
            except OfferQueryError:
                log.exception("offer search refused the intake codes")
                ranked = {}
            for area in areas:
                found[area] = [[r.offer.id, r.access] for r in ranked.get(area, [])]
        for area in areas:
            if not found[area]:
                s.add(OfferGap(buendnis_id=buendnis_id, gemeinde_id=gemeinde_id, need_area=area))
        session = {
            "flow": flow.id,
            "version": flow.version,
            "answers": answers,
            "buendnis_id": buendnis_id,
            "gemeinde_id": gemeinde_id,
            "areas": [[a, found[a]] for a in areas],
            "step": "menu",
            "started": utcnow().isoformat(),
        }
        _set(conv, SESSION, session)
        log.info(
            "intake completed areas=%d gaps=%d", len(areas), sum(not v for v in found.values())
        )
        replies = [Reply(parts=(IM.OFFERS_INTRO,))]
        if session["answers"].get(AGE_ITEM) == UNDER_16:
            replies += await self._under_16(s, session)
        replies.append(await self._page(s, flow, session, 0))
        return replies

    # ------------------------------------------------------------------ before the engine
    async def before(
        self, s: AsyncSession, conv: Conversation, flow: Flow, event: Event
    ) -> Pre | None:
        session: dict[str, Any] | None = (conv.state or {}).get(SESSION)
        if isinstance(event, Text) and is_danger(event.text):
            log.info("safety message sent")
            again = await self._again(s, conv, flow, session)
            return Pre([Reply(parts=(IM.SAFETY,)), *again.replies], again.event)
        if isinstance(event, Command):
            if event.name in ("start", "restart"):
                _set(conv, SESSION, None)
                _set(conv, REPLY_TO, None)
                return None
            if event.name == "help" and session is not None:
                again = await self._again(s, conv, flow, session)
                return Pre([Reply(parts=(M.HELP,)), *again.replies])
            if event.name == "resume" and session is not None:  # after a restart
                return Pre((await self._again(s, conv, flow, session)).replies)
            return None
        if isinstance(event, Press):
            pressed = parse(event.data)
            if pressed is not None and pressed.op in (Op.OFFERS, Op.OFFER, Op.REFER, Op.REPLY):
                return await self._press(s, conv, flow, session, pressed)
            if pressed is not None and pressed.op is Op.LANGUAGE and session is not None:
                if pressed.code in available_locales():  # else the engine says "stale"
                    conv.locale = pressed.code
                    _set(conv, "locale", pressed.code)
                    return Pre((await self._again(s, conv, flow, session)).replies)
            return None
        reply_to = (conv.state or {}).get(REPLY_TO)
        if isinstance(event, Text) and reply_to is not None:
            return Pre(await self._thread_reply(s, conv, int(reply_to), event.text))
        if session is None:
            return None
        if isinstance(event, Text) and session.get("step") in ("phone", "email"):
            return Pre(await self._contact_typed(s, conv, flow, session, event.text))
        if isinstance(event, Text | Unsupported):
            hint = M.UNSUPPORTED if isinstance(event, Unsupported) else IM.CONTACT_BUTTONS
            again = await self._again(s, conv, flow, session)
            return Pre([Reply(parts=(hint,)), *again.replies])
        return None

    async def _again(
        self, s: AsyncSession, conv: Conversation, flow: Flow, session: dict[str, Any] | None
    ) -> Pre:
        """Show again what the person was looking at (the engine re-asks outside a session)."""
        if session is None:
            return Pre([], Command("resume"))
        step = session.get("step")
        if step == "via":
            return Pre([_contact_question()])
        if step in ("phone", "email"):
            return Pre([Reply(parts=(IM.ASK_PHONE if step == "phone" else IM.ASK_EMAIL,))])
        if step == "consent":
            return Pre([await self._consent_screen(s, flow, session)])
        return Pre([await self._page(s, flow, session, int(session.get("page", 0)))])

    # ------------------------------------------------------------------ buttons
    async def _press(
        self,
        s: AsyncSession,
        conv: Conversation,
        flow: Flow,
        session: dict[str, Any] | None,
        p: Pressed,
    ) -> Pre:
        if p.op is Op.REPLY:
            return Pre(await self._thread_open(s, conv, p.code))
        if session is None or session.get("flow") != flow.id:
            return Pre([Reply(parts=(M.STALE_BUTTON,))], Command("resume"))
        if p.op is Op.OFFERS and p.item.isdecimal():
            page = min(int(p.item), max(len(session["areas"]) - 1, 0))
            session = {**session, "page": page, "step": "menu"}
            _set(conv, SESSION, session)
            return Pre([await self._page(s, flow, session, page)])
        if p.op is Op.OFFER and p.code.isdecimal() and p.item.isdecimal():
            return Pre([await self._details(s, flow, session, int(p.code), int(p.item))])
        if p.op is Op.REFER:
            return Pre(await self._refer(s, conv, flow, session, p.item, p.code))
        again = await self._again(s, conv, flow, session)
        return Pre([Reply(parts=(M.STALE_BUTTON,)), *again.replies])

    async def _page(
        self, s: AsyncSession, flow: Flow, session: Mapping[str, Any], page: int
    ) -> Reply:
        areas: list[list[Any]] = session["areas"]
        buttons: list[Button] = []
        parts: list[Msg] = []
        if not areas:
            parts.append(IM.OFFERS_NONE)
        else:
            page = max(0, min(page, len(areas) - 1))
            area, found = areas[page]
            parts.append(
                IM.OFFERS_AREA.with_(area=_area_label(flow, area), page=page + 1, pages=len(areas))
            )
            ids = [int(i) for i, _ in found]
            titles = {
                o.id: o.title
                for o in (await s.scalars(select(Offer).where(Offer.id.in_(ids)))).all()
            }
            if not ids:
                parts.append(IM.OFFERS_AREA_NONE)
            for offer_id in ids:
                if offer_id in titles:
                    buttons.append(
                        Button(titles[offer_id], encode(Op.OFFER, "", str(page), str(offer_id)))
                    )
            if page > 0:
                buttons.append(Button(IM.PREVIOUS_AREA, encode(Op.OFFERS, "", str(page - 1), "")))
            if page + 1 < len(areas):
                buttons.append(Button(IM.NEXT_AREA, encode(Op.OFFERS, "", str(page + 1), "")))
        if session["answers"].get(AGE_ITEM) != UNDER_16:
            parts.append(IM.WHAT_NEXT)
            buttons.append(Button(IM.REFER_YES, encode(Op.REFER, "", "ask", "")))
            buttons.append(Button(IM.FINISH, encode(Op.REFER, "", "finish", "")))
        else:
            buttons.append(Button(IM.FINISH, encode(Op.REFER, "", "finish", "")))
        return Reply(parts=tuple(parts), buttons=tuple(buttons))

    async def _details(
        self, s: AsyncSession, flow: Flow, session: Mapping[str, Any], offer_id: int, page: int
    ) -> Reply:
        known = {int(i): access for _, found in session["areas"] for i, access in found}
        offer = await s.get(Offer, offer_id) if offer_id in known else None
        back = Button(IM.BACK, encode(Op.OFFERS, "", str(page), ""))
        if offer is None:
            return Reply(parts=(IM.OFFER_GONE,), buttons=(back,))
        parts: list[Msg] = [IM.DETAILS_TITLE.with_(title=offer.title, provider=offer.provider)]
        languages = _language_names(flow, [str(x) for x in offer.languages or []])
        for msg, value in (
            (IM.DETAILS_ADDRESS, offer.address),
            (IM.DETAILS_CONTACT, offer.contact),
            (IM.DETAILS_HOURS, offer.opening_hours),
            (IM.DETAILS_LANGUAGES, languages),
            (IM.DETAILS_COST, offer.cost),
            (IM.DETAILS_BRING, offer.what_to_bring),
        ):
            if value:
                parts.append(msg.with_(value=value))
        if known[offer_id] == "ask":
            parts.append(IM.OFFERS_ASK)
        parts.append(IM.DETAILS_CHECK)
        return Reply(parts=tuple(parts), buttons=(back,))

    async def _under_16(self, s: AsyncSession, session: Mapping[str, Any]) -> list[Reply]:
        stelle = await self._servicestelle(s, session)
        if stelle is None:
            return []
        contact = IM.DIRECT_CONTACT.with_(
            name=stelle.name, address=stelle.address, contact=stelle.contact
        )
        return [Reply(parts=(IM.UNDER_16, contact))]

    async def _servicestelle(
        self, s: AsyncSession, session: Mapping[str, Any]
    ) -> Servicestelle | None:
        if session.get("buendnis_id") is None:
            return None
        answers = session["answers"]
        return await responsible_servicestelle(
            s,
            buendnis_id=int(session["buendnis_id"]),
            gemeinde_id=session.get("gemeinde_id"),
            need_areas=[str(a) for a in answers.get(NEEDS_ITEM) or []],
            languages=[str(x) for x in answers.get(LANGUAGES_ITEM) or []],
        )

    # ------------------------------------------------------------------ referral
    async def _refer(
        self,
        s: AsyncSession,
        conv: Conversation,
        flow: Flow,
        session: dict[str, Any],
        step: str,
        code: str,
    ) -> list[Reply]:
        if step == "finish":
            _set(conv, SESSION, None)
            await _forget_sent(s, conv)
            return [Reply(parts=(IM.FINISHED,))]
        if session["answers"].get(AGE_ITEM) == UNDER_16:
            return [*await self._under_16(s, session), await self._page(s, flow, session, 0)]
        if step == "ask":
            open_one = await referrals.open_referral(s, conv.id)
            if open_one is not None:
                stelle = await s.get(Servicestelle, open_one.servicestelle_id)
                name = stelle.name if stelle else ""
                page = await self._page(s, flow, session, int(session.get("page", 0)))
                return [Reply(parts=(IM.ALREADY_OPEN.with_(servicestelle=name),)), page]
            stelle = await self._servicestelle(s, session)
            if stelle is None:
                _set(conv, SESSION, None)
                return [Reply(parts=(IM.NO_SERVICESTELLE,))]
            _set(conv, SESSION, {**session, "step": "via", "servicestelle_id": stelle.id})
            return [_contact_question()]
        if step == "via" and session.get("step") in ("via", "phone", "email", "consent"):
            if code == "bot":
                session = {**session, "step": "consent", "via": "bot", "contact": None}
                _set(conv, SESSION, session)
                return [await self._consent_screen(s, flow, session)]
            if code in ("phone", "email"):
                _set(conv, SESSION, {**session, "step": code, "via": code, "contact": None})
                return [Reply(parts=(IM.ASK_PHONE if code == "phone" else IM.ASK_EMAIL,))]
        if step == "consent" and session.get("step") == "consent":
            if code == "yes":
                return await self._create(s, conv, flow, session)
            if code == "no":
                _set(conv, SESSION, None)
                await _forget_sent(s, conv)
                return [Reply(parts=(IM.CONSENT_REFUSED,))]
        again = await self._again(s, conv, flow, session)
        return [Reply(parts=(M.STALE_BUTTON,)), *again.replies]

    async def _contact_typed(
        self, s: AsyncSession, conv: Conversation, flow: Flow, session: dict[str, Any], text: str
    ) -> list[Reply]:
        value = " ".join(text.split())
        if session["step"] == "phone":
            ok = bool(PHONE.match(value)) and sum(ch.isdigit() for ch in value) >= 6
            if not ok:
                return [Reply(parts=(IM.BAD_PHONE,)), _contact_question()]
        else:
            ok = len(value) <= 200 and bool(EMAIL.match(value))
            if not ok:
                return [Reply(parts=(IM.BAD_EMAIL,)), _contact_question()]
        session = {**session, "step": "consent", "contact": value}
        _set(conv, SESSION, session)
        return [await self._consent_screen(s, flow, session)]

    async def _consent_screen(
        self, s: AsyncSession, flow: Flow, session: Mapping[str, Any]
    ) -> Reply:
        stelle = await s.get(Servicestelle, int(session["servicestelle_id"]))
        name = stelle.name if stelle else ""
        gemeinde = await _gemeinde_name(s, session)
        lines: list[Msg | str] = [IM.CONSENT_HEAD.with_(servicestelle=name)]
        for item, answer in shared_answers(flow, session["answers"], gemeinde):
            lines.append(IM.CONSENT_LINE.with_(question=field_name(flow, item), answer=answer))
        via = session.get("via", "bot")
        contact: Msg | str = IM.VIA_BOT if via == "bot" else str(session.get("contact") or "")
        parts = (
            Msg.join(lines, "\n"),
            IM.CONSENT_CONTACT.with_(value=contact),
            IM.CONSENT_KEEP.with_(n=self.retention_days),
            IM.CONSENT_WITHDRAW,
            IM.CONSENT_QUESTION,
        )
        buttons = (
            Button(IM.CONSENT_YES, encode(Op.REFER, "", "consent", "yes")),
            Button(IM.CONSENT_NO, encode(Op.REFER, "", "consent", "no")),
        )
        return Reply(parts=parts, buttons=buttons)

    async def _create(
        self, s: AsyncSession, conv: Conversation, flow: Flow, session: Mapping[str, Any]
    ) -> list[Reply]:
        stelle = await s.get(Servicestelle, int(session["servicestelle_id"]))
        if stelle is None or session.get("buendnis_id") is None:
            _set(conv, SESSION, None)
            return [Reply(parts=(IM.NO_SERVICESTELLE,))]
        gemeinde = await _gemeinde_name(s, session)
        shared = [
            {
                "item": item.id,
                "question": _german(field_name(flow, item)),
                "answer": answer if isinstance(answer, str) else _german(answer),
                "value": session["answers"].get(item.id),
            }
            for item, answer in shared_answers(flow, session["answers"], gemeinde)
        ]
        await referrals.create_referral(
            s,
            buendnis_id=int(session["buendnis_id"]),
            servicestelle_id=stelle.id,
            conversation_id=conv.id,
            locale=conv.locale or "de",
            shared=shared,
            contact_via=str(session.get("via") or "bot"),
            contact_value=session.get("contact"),
        )
        _set(conv, SESSION, None)
        await _forget_sent(s, conv)
        log.info("referral created")
        return [Reply(parts=(IM.REFERRAL_SENT.with_(servicestelle=stelle.name),))]

    # ------------------------------------------------------------------ relay thread
    async def _thread_open(self, s: AsyncSession, conv: Conversation, code: str) -> list[Reply]:
        found = {r.id: r for r in await referrals.referrals_of(s, conv.id)}
        referral = found.get(int(code)) if code.isdecimal() else None
        if referral is None or referral.status in referrals.TERMINAL:
            _set(conv, REPLY_TO, None)
            return [Reply(parts=(IM.REPLY_CLOSED,))]
        stelle = await s.get(Servicestelle, referral.servicestelle_id)
        _set(conv, REPLY_TO, referral.id)
        return [Reply(parts=(IM.REPLY_ASK.with_(servicestelle=stelle.name if stelle else ""),))]

    async def _thread_reply(
        self, s: AsyncSession, conv: Conversation, referral_id: int, text: str
    ) -> list[Reply]:
        _set(conv, REPLY_TO, None)
        found = {r.id: r for r in await referrals.referrals_of(s, conv.id)}
        referral = found.get(referral_id)
        if referral is None or referral.status in referrals.TERMINAL:
            return [Reply(parts=(IM.REPLY_CLOSED,))]
        stelle = await s.get(Servicestelle, referral.servicestelle_id)
        name = stelle.name if stelle else ""
        if not text.strip():  # only characters the runtime cleaned away: nothing to pass on
            _set(conv, REPLY_TO, referral.id)
            return [Reply(parts=(IM.REPLY_ASK.with_(servicestelle=name),))]
        await referrals.add_reply(s, referral.id, text)
        return [Reply(parts=(IM.REPLY_SENT.with_(servicestelle=name),))]

    # ------------------------------------------------------------------ /mydata, /delete
    async def mydata(self, s: AsyncSession, conv: Conversation, flow: Flow) -> list[Reply]:
        """/mydata: the chat, intake answers still held, every referral with what it holds."""
        parts: list[Msg] = [IM.MYDATA_CHAT]
        session = (conv.state or {}).get(SESSION)
        if session is not None:
            intake_flow = flow if flow.id == session.get("flow") else None
            lines: list[Msg | str] = [IM.MYDATA_INTAKE]
            if intake_flow is not None:
                gemeinde = await _gemeinde_name(s, session)
                for item, answer in shared_answers(intake_flow, session["answers"], gemeinde):
                    q = field_name(intake_flow, item)
                    lines.append(IM.CONSENT_LINE.with_(question=q, answer=answer))
            parts.append(Msg.join(lines, "\n"))
        for referral in await referrals.referrals_of(s, conv.id):
            stelle = await s.get(Servicestelle, referral.servicestelle_id)
            lines = [
                IM.MYDATA_REFERRAL.with_(
                    servicestelle=stelle.name if stelle else "",
                    status=IM.STATUS.get(referral.status, referral.status),
                    date=referral.created_at.date().isoformat(),
                )
            ]
            for a in (referral.shared or {}).get("answers", []):
                lines.append(self._shared_line(flow, a))
            if referral.contact_value:
                lines.append(IM.CONSENT_CONTACT.with_(value=referral.contact_value))
            for event in referral.events:
                if event.kind in ("relay", "reply") and event.note:
                    # who: the Servicestelle by name, never a staff account id; "»" marks the
                    # person's own replies
                    who = (stelle.name if stelle else "") if event.kind == "relay" else "»"
                    lines.append(f"{event.at.date().isoformat()} {who}: {event.note}")
            parts.append(Msg.join(lines, "\n"))
        if len(parts) == 1 and not conv.state:
            parts = [IM.MYDATA_NONE]
        return [Reply(parts=tuple(parts))]

    def _shared_line(self, current: Flow, answer: Mapping[str, Any]) -> Msg | str:
        """One answer a referral holds, in the person's language where its question is known;
        otherwise as stored (the German text the Servicestelle reads)."""
        item_id, value = str(answer.get("item", "")), answer.get("value")
        for flow in (current, *self.intake_flows):
            item = flow.item(item_id) if flow.kind == "intake" else None
            if item is None or value is None:
                continue
            stored = str(answer.get("answer", ""))
            shown = stored if item.id == GEMEINDE_ITEM else _shown(flow, item, value, stored)
            return IM.CONSENT_LINE.with_(question=field_name(flow, item), answer=shown)
        return f"{answer.get('question', '')} – {answer.get('answer', '')}"

    async def delete(self, s: AsyncSession, conv: Conversation) -> int:
        """/delete: withdraw every referral (personal data deleted), drop intake answers.
        The channel commands (bot/commands.py) call this before deleting the conversation."""
        withdrawn = await referrals.withdraw_for_conversation(s, conv.id)
        locale = (conv.state or {}).get("locale")
        conv.state = {"locale": locale} if locale else {}
        await _forget_sent(s, conv)
        log.info("delete withdrawn=%d", withdrawn)
        return withdrawn


# ---------------------------------------------------------------------- helpers


async def _forget_sent(s: AsyncSession, conv: Conversation) -> None:
    """Delivered replies may repeat answers (consent screen, /mydata): drop them once the
    answers themselves are gone. Pending replies stay, so nothing unseen is lost."""
    await s.execute(
        delete(OutboxMessage).where(
            OutboxMessage.conversation_id == conv.id, OutboxMessage.status != "pending"
        )
    )


def _set(conv: Conversation, key: str, value: object) -> None:
    """Replace the state dict (a new object, so the JSON column is written)."""
    state = dict(conv.state or {})
    if value is None:
        state.pop(key, None)
    else:
        state[key] = value
    conv.state = state


def _contact_question() -> Reply:
    return Reply(
        parts=(IM.CONTACT_HOW,),
        buttons=(
            Button(IM.VIA_BOT, encode(Op.REFER, "", "via", "bot")),
            Button(IM.VIA_PHONE, encode(Op.REFER, "", "via", "phone")),
            Button(IM.VIA_EMAIL, encode(Op.REFER, "", "via", "email")),
        ),
    )


def _status(code: object) -> str:
    """The flow's status answer as an offers.taxonomy code (skipped → unknown)."""
    if isinstance(code, str) and code in STATUS_CODES:
        return STATUS_CODES[code]
    return "other" if code == "other" else "unknown"


def _age_band(code: object) -> str | None:
    if not isinstance(code, str):
        return None
    return AGE_SEARCH.get(code, code)


def _language_names(flow: Flow, codes: list[str]) -> Msg | None:
    """Language codes of an offer as the names the flow's languages question uses."""
    if not codes:
        return None
    item = flow.item(LANGUAGES_ITEM)
    names: list[Msg | str] = []
    for code in codes:
        choice = item.choice(code) if item else None
        names.append(Msg(choice.label, flow.context(LANGUAGES_ITEM)) if choice else code)
    return Msg.join(names)


def _area_label(flow: Flow, area: str) -> Msg | str:
    item = flow.item(NEEDS_ITEM)
    choice = item.choice(area) if item else None
    return Msg(choice.label, flow.context(NEEDS_ITEM)) if choice else area


async def _gemeinde_name(s: AsyncSession, session: Mapping[str, Any]) -> str | None:
    gid = session.get("gemeinde_id")
    if gid is None:
        return None
    g = await s.get(Gemeinde, int(gid))
    return g.name if g else None


def field_name(flow: Flow, item: Item) -> Msg:
    """The short name of a question on the consent screen (the question itself if none)."""
    return IM.FIELDS.get(item.id) or Msg(item.text, flow.context(item.id))


def shared_answers(
    flow: Flow, answers: Mapping[str, Any], gemeinde: str | None
) -> list[tuple[Item, Msg | str]]:
    """Every answered question with its answer, in flow order: exactly what a referral holds."""
    out: list[tuple[Item, Msg | str]] = []
    for item in flow.items:
        value = answers.get(item.id)
        if item.kind == "info" or value is None or value == []:
            continue
        if item.id == GEMEINDE_ITEM and _gemeinde_id(value) is not None:
            out.append((item, gemeinde or str(value)))
        else:
            out.append((item, _shown(flow, item, value, str(value))))
    return out


def _shown(flow: Flow, item: Item, value: Any, otherwise: str) -> Msg | str:
    """An answer value as the person saw it: choice labels (translatable) or the typed text."""
    ctx = flow.context(item.id)
    if isinstance(value, list):
        return Msg.join([Msg(c.label, ctx) for c in item.choices if c.code in value])
    if item.choices:
        choice = item.choice(str(value))
        return Msg(choice.label, ctx) if choice else otherwise
    return str(value)


def _german(msg: Msg) -> str:
    return render(msg, "de")


async def _count_need(
    s: AsyncSession, buendnis_id: int | None, gemeinde_id: int | None, area: str
) -> None:
    day = today()
    where = [
        IntakeNeedCount.need_area == area,
        IntakeNeedCount.day == day,
        IntakeNeedCount.buendnis_id.is_(None)
        if buendnis_id is None
        else IntakeNeedCount.buendnis_id == buendnis_id,
        IntakeNeedCount.gemeinde_id.is_(None)
        if gemeinde_id is None
        else IntakeNeedCount.gemeinde_id == gemeinde_id,
    ]
    result = await s.execute(
        update(IntakeNeedCount).where(*where).values(count=IntakeNeedCount.count + 1)
    )
    if not getattr(result, "rowcount", 0):
        s.add(
            IntakeNeedCount(
                buendnis_id=buendnis_id, gemeinde_id=gemeinde_id, need_area=area, day=day, count=1
            )
        )
        await s.flush()


async def housekeeping(
    sessions: async_sessionmaker[AsyncSession],
    *,
    retention: dt.timedelta,
    session_hours: int = SESSION_HOURS,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Delete finished referrals after `retention`; drop intake answers left lying in a
    conversation longer than `session_hours`. Returns (referrals deleted, sessions cleared)."""
    now = now or utcnow()
    cleared = 0
    async with sessions() as s, s.begin():
        purged = await referrals.purge_closed(s, retention, now)
        holding = func.cast(Conversation.state, String).like(f'%"{SESSION}"%')
        for conv in (await s.scalars(select(Conversation).where(holding))).all():
            session = (conv.state or {}).get(SESSION)
            if not isinstance(session, dict):
                continue
            try:
                started = dt.datetime.fromisoformat(str(session.get("started")))
            except ValueError:
                started = dt.datetime.min
            if now - started > dt.timedelta(hours=session_hours):
                _set(conv, SESSION, None)
                await _forget_sent(s, conv)
                cleared += 1
    if purged or cleared:
        log.info("intake housekeeping referrals=%d sessions=%d", purged, cleared)
    return purged, cleared


def extras(state: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keys of the conversation state this module owns (kept across engine steps)."""
    return {k: v for k, v in (state or {}).items() if k in STATE_KEYS}


__all__ = ["Intake", "Pre", "extras", "housekeeping", "shared_answers"]
