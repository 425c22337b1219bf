"""Effect handlers of referrals: who would get one, creating it after consent, how far it
is (asked after the end), the person's messages to a Servicestelle, what /mydata shows of
them, and withdrawal on /delete."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import ColumnElement, select

from base.i18n import render
from dialogs.effects import (
    DataWanted,
    Forget,
    Handled,
    ReferralWanted,
    ServicestelleWanted,
    StatusWanted,
    ThreadOpened,
    ThreadReply,
)
from offers.effects import languages
from offers.search import OfferQueryError, responsible_servicestelle
from places.gemeinden import place
from referrals import lifecycle
from store.models import Conversation, Referral, Servicestelle, today
from store.turn import Handler, Turn

log = logging.getLogger(__name__)


def _codes(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _stelle_data(stelle: Servicestelle) -> dict[str, Any]:
    return {
        "servicestelle_id": stelle.id,
        "servicestelle": stelle.name,
        "address": stelle.address or "",
        "contact": stelle.contact or "",
    }


def reply_by(start: dt.date, working_days: int) -> dt.date:
    """The day `working_days` working days (Monday to Friday) after `start`."""
    day, left = start, max(0, working_days)
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def shown_date(day: dt.date) -> str:
    """A date as people read it in every language: digits only ("14.03.2027")."""
    return day.strftime("%d.%m.%Y")


class Referrals:
    """The handlers, with the retention the consent screen promises."""

    def __init__(self, retention_days: int) -> None:
        self.retention_days = retention_days

    def handlers(self) -> tuple[tuple[type, Handler], ...]:
        return (
            (ServicestelleWanted, self.servicestelle_wanted),
            (ReferralWanted, self.referral_wanted),
            (StatusWanted, status_wanted),
            (ThreadOpened, thread_opened),
            (ThreadReply, thread_reply),
            (DataWanted, data_wanted),
            (Forget, forget),
        )

    async def servicestelle_wanted(self, turn: Turn, wanted: ServicestelleWanted) -> Handled:
        s, conv, profile = turn.session, turn.conversation, wanted.profile
        open_one = await lifecycle.open_referral(s, conv.id)
        if open_one is not None:
            stelle = await s.get(Servicestelle, open_one.servicestelle_id)
            found = _stelle_data(stelle) if stelle is not None else {}
            return Handled({**found, "outcome": "open"})
        buendnis_id, gemeinde = await place(s, conv, profile.get("gemeinde"))
        stelle = None
        if buendnis_id is not None:
            try:
                stelle = await responsible_servicestelle(
                    s,
                    buendnis_id=buendnis_id,
                    gemeinde_id=gemeinde,
                    need_areas=_codes(profile.get("needs")),
                    languages=languages(profile, wanted.locale),
                )
            except OfferQueryError:
                log.exception("routing refused the flow's answer codes")
        if stelle is None:
            return Handled({"outcome": "none"})
        data = _stelle_data(stelle)
        return Handled({**data, "outcome": "found", "retention_days": self.retention_days})

    async def referral_wanted(self, turn: Turn, wanted: ReferralWanted) -> Handled:
        s, conv = turn.session, turn.conversation
        stelle = await s.get(Servicestelle, wanted.servicestelle_id)
        if stelle is None:
            return Handled({"outcome": "failed"})
        if await lifecycle.open_referral(s, conv.id) is not None:
            return Handled({**_stelle_data(stelle), "outcome": "failed"})
        shared = [
            {
                "item": a.item,
                "role": a.role,
                "question": render(a.question, "de"),
                "answer": a.answer if isinstance(a.answer, str) else render(a.answer, "de"),
                "value": a.value,
            }
            for a in wanted.shared
        ]
        try:
            await lifecycle.create_referral(
                s,
                buendnis_id=stelle.buendnis_id,
                servicestelle_id=stelle.id,
                conversation_id=conv.id,
                locale=wanted.locale,
                shared=shared,
                contact_via=wanted.contact_via,
                contact_value=wanted.contact,
            )
        except lifecycle.ReferralError:
            log.warning("referral refused by the lifecycle")
            return Handled({**_stelle_data(stelle), "outcome": "failed"})
        log.info("referral created")
        by = shown_date(reply_by(today(), stelle.response_days))
        return Handled({**_stelle_data(stelle), "outcome": "sent", "by": by})


async def _open(turn: Turn, referral_id: int) -> tuple[Referral | None, str]:
    found = {r.id: r for r in await lifecycle.referrals_of(turn.session, turn.conversation.id)}
    referral = found.get(referral_id)
    if referral is None or referral.status in lifecycle.TERMINAL:
        return None, ""
    stelle = await turn.session.get(Servicestelle, referral.servicestelle_id)
    return referral, stelle.name if stelle else ""


async def status_wanted(turn: Turn, _wanted: StatusWanted) -> Handled:
    """The person's open referrals: status, contact way, and by when the Servicestelle usually
    gets in touch (its response days after the referral was made)."""
    shown = []
    for referral in await lifecycle.referrals_of(turn.session, turn.conversation.id):
        if referral.status in lifecycle.TERMINAL:
            continue
        stelle = await turn.session.get(Servicestelle, referral.servicestelle_id)
        if stelle is None:
            continue
        by = reply_by(referral.created_at.date(), stelle.response_days)
        shown.append(
            {
                "id": referral.id,
                "servicestelle": stelle.name,
                "status": referral.status,
                "contact": stelle.contact or "",
                "via": referral.contact_via,
                "by": shown_date(by),
                "late": today() > by,
            }
        )
    return Handled({"referrals": shown})


async def thread_opened(turn: Turn, opened: ThreadOpened) -> Handled:
    referral, name = await _open(turn, opened.referral_id)
    return Handled({"open": referral is not None, "servicestelle": name})


async def thread_reply(turn: Turn, reply: ThreadReply) -> Handled:
    referral, name = await _open(turn, reply.referral_id)
    if referral is None:
        return Handled({"open": False})
    await lifecycle.add_reply(turn.session, referral.id, reply.text)
    if reply.urgent is not None:  # they wrote of danger to the people who know them
        await lifecycle.mark_urgent(turn.session, referral.id, reply.urgent)
    return Handled({"open": True, "servicestelle": name})


async def data_wanted(turn: Turn, _wanted: DataWanted) -> Handled:
    shown = []
    for referral in await lifecycle.referrals_of(turn.session, turn.conversation.id):
        stelle = await turn.session.get(Servicestelle, referral.servicestelle_id)
        shown.append(
            {
                "servicestelle": stelle.name if stelle else "",
                "status": referral.status,
                "date": referral.created_at.date().isoformat(),
                "answers": list((referral.shared or {}).get("answers", [])),
                "contact": referral.contact_value or "",
                "messages": [
                    {
                        "date": event.at.date().isoformat(),
                        "from": "servicestelle" if event.kind == "relay" else "person",
                        "text": event.note,
                    }
                    for event in referral.events
                    if event.kind in ("relay", "reply") and event.note
                ],
            }
        )
    return Handled({"referrals": shown})


async def forget(turn: Turn, _forget: Forget) -> None:
    """/delete: every referral withdrawn (personal data deleted) before the conversation goes."""
    withdrawn = await lifecycle.withdraw_for_conversation(turn.session, turn.conversation.id)
    log.info("delete withdrawn=%d", withdrawn)


def still_open() -> ColumnElement[bool]:
    """A conversation a Servicestelle is still working on (kept past its time to live)."""
    return (
        select(Referral.id)
        .where(Referral.conversation_id == Conversation.id)
        .where(Referral.status.not_in(lifecycle.TERMINAL))
        .exists()
    )
