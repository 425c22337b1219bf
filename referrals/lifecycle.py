"""Referral lifecycle (data space (c)): creation after consent, transitions, relay, withdrawal,
retention. Used by the bot runtime and, later, the admin API; it imports no `bot` code.

new → in_review → contacted → appointment → handed_on → closed (with outcome), and from any
open status: withdrawn (by the person) or declined (with reason). Every change is a
`ReferralEvent` with time and actor. What the person should know is put into the outbox of the
referral's conversation, rendered in the person's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from base.i18n import is_rtl, render
from dialogs.buttons import Op, encode
from dialogs.intake_messages import IM
from dialogs.io import Button, Msg, Reply
from store.models import Conversation, OutboxMessage, Referral, ReferralEvent, Servicestelle, utcnow

STATUSES = (
    "new",
    "in_review",
    "contacted",
    "appointment",
    "handed_on",
    "closed",
    "withdrawn",
    "declined",
)
TERMINAL = frozenset({"closed", "withdrawn", "declined"})
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "new": frozenset({"in_review", "declined", "withdrawn"}),
    "in_review": frozenset({"contacted", "declined", "withdrawn"}),
    "contacted": frozenset({"appointment", "handed_on", "closed", "declined", "withdrawn"}),
    "appointment": frozenset({"appointment", "handed_on", "closed", "declined", "withdrawn"}),
    "handed_on": frozenset({"closed", "withdrawn"}),
    "closed": frozenset(),
    "withdrawn": frozenset(),
    "declined": frozenset(),
}
# What a transition needs written down (shown to the Servicestelle in German).
NOTE_REQUIRED = {
    "appointment": "date and time of the appointment",
    "handed_on": "the organisation the person is handed on to",
    "closed": "the outcome",
    "declined": "the reason",
}
PERSON = "person"
WITHDRAWN_NOTE = "withdrawn by the person"
MAX_RELAY = 2000


class ReferralError(ValueError):
    """A refused change, phrased for the Servicestelle (German UI shows it as it is)."""


class InvalidTransition(ReferralError):
    pass


class Unreachable(ReferralError):
    pass


async def _get(s: AsyncSession, referral_id: int) -> Referral:
    referral = await s.get(
        Referral,
        referral_id,
        options=[selectinload(Referral.events)],
        with_for_update=s.get_bind().dialect.name != "sqlite",
        populate_existing=True,
    )
    if referral is None:
        raise ReferralError(f"referral {referral_id} does not exist")
    return referral


def _event(
    referral: Referral, kind: str, actor: str, *, to: str | None = None, note: str | None = None
) -> ReferralEvent:
    event = ReferralEvent(kind=kind, actor=actor, to_status=to, note=note, at=utcnow())
    referral.events.append(event)
    return event


async def create_referral(
    s: AsyncSession,
    *,
    buendnis_id: int,
    servicestelle_id: int,
    conversation_id: int | None,
    locale: str,
    shared: Sequence[Mapping[str, Any]],
    contact_via: str = "bot",
    contact_value: str | None = None,
    urgent: str | None = None,
) -> Referral:
    """Only after the person consented to exactly `shared` going to this Servicestelle.
    `urgent`: the danger category the person asked to be contacted soon about."""
    if contact_via not in ("bot", "phone", "email"):
        raise ReferralError(f"unknown contact way {contact_via!r}")
    if contact_via != "bot" and not contact_value:
        raise ReferralError(f"contact way {contact_via} needs a value")
    referral = Referral(
        buendnis_id=buendnis_id,
        servicestelle_id=servicestelle_id,
        conversation_id=conversation_id,
        status="new",
        locale=locale,
        shared={"answers": [dict(a) for a in shared]},
        contact_via=contact_via,
        contact_value=contact_value if contact_via != "bot" else None,
        created_at=utcnow(),
        urgent=urgent is not None,
    )
    s.add(referral)
    _event(referral, "transition", PERSON, to="new", note="consent given")
    if urgent is not None:
        _event(referral, "urgent", PERSON, note=urgent)
    await s.flush()
    return referral


async def mark_urgent(s: AsyncSession, referral_id: int, category: str) -> Referral:
    """The person spoke of danger (`category`, never their words): first in the queue."""
    referral = await _get(s, referral_id)
    if referral.status in TERMINAL:
        raise ReferralError(f"referral is {referral.status}")
    referral.urgent = True
    _event(referral, "urgent", PERSON, note=category)
    await s.flush()
    return referral


async def transition(
    s: AsyncSession, referral_id: int, to_status: str, *, actor: str, note: str | None = None
) -> Referral:
    """Move a referral on; refuses anything the lifecycle does not allow."""
    referral = await _get(s, referral_id)
    if to_status not in TRANSITIONS:
        raise InvalidTransition(f"unknown status {to_status!r}")
    if to_status not in TRANSITIONS[referral.status]:
        allowed = ", ".join(sorted(TRANSITIONS[referral.status])) or "none (finished)"
        raise InvalidTransition(
            f"cannot go from {referral.status} to {to_status}; allowed: {allowed}"
        )
    note = (note or "").strip() or None
    if to_status in NOTE_REQUIRED and note is None:
        raise ReferralError(f"{to_status} needs {NOTE_REQUIRED[to_status]}")
    if not actor.strip():
        raise ReferralError("every change needs an actor")
    if to_status == "withdrawn":
        return await _withdraw(s, referral, actor)
    referral.status = to_status
    _event(referral, "transition", actor, to=to_status, note=note)
    if to_status in TERMINAL:
        referral.closed_at = utcnow()
    stelle = await s.get(Servicestelle, referral.servicestelle_id)
    name = stelle.name if stelle else ""
    notice = _notice(to_status, name, note or "", stelle.contact if stelle else "")
    if notice is not None:
        await _notify(s, referral, Reply(parts=(notice,)))
    await s.flush()
    return referral


def _notice(status: str, name: str, note: str, contact: str) -> Msg | None:
    if status == "in_review":
        return IM.NOTE_IN_REVIEW.with_(servicestelle=name)
    if status == "appointment":
        return IM.NOTE_APPOINTMENT.with_(servicestelle=name, when=note)
    if status == "handed_on":
        return IM.NOTE_HANDED_ON.with_(servicestelle=name, organisation=note)
    if status == "closed":
        return IM.NOTE_CLOSED.with_(servicestelle=name)
    if status == "declined":
        return IM.NOTE_DECLINED.with_(servicestelle=name, reason=note, contact=contact)
    return None  # contacted: the person has just been contacted


async def relay(s: AsyncSession, referral_id: int, text: str, *, actor: str) -> ReferralEvent:
    """A free message from the Servicestelle to the person, through the bot."""
    referral = await _get(s, referral_id)
    text = text.strip()
    if not text:
        raise ReferralError("empty message")
    if len(text) > MAX_RELAY:
        raise ReferralError(f"message longer than {MAX_RELAY} characters")
    if referral.status in TERMINAL:
        raise ReferralError(f"referral is {referral.status}")
    if referral.conversation_id is None:
        raise Unreachable("the person can no longer be reached through the bot")
    stelle = await s.get(Servicestelle, referral.servicestelle_id)
    name = stelle.name if stelle else ""
    event = _event(referral, "relay", actor, note=text)
    button = Button(IM.REPLY, encode(Op.REPLY, "", "ref", str(referral.id)))
    await _notify(
        s,
        referral,
        Reply(parts=(IM.RELAY.with_(servicestelle=name, text=text),), buttons=(button,)),
    )
    await s.flush()
    return event


async def add_note(s: AsyncSession, referral_id: int, text: str, *, actor: str) -> ReferralEvent:
    """An internal note of the Servicestelle (never shown to the person). A withdrawn referral
    takes no notes: its personal data is gone and stays gone."""
    referral = await _get(s, referral_id)
    text = text.strip()
    if not text:
        raise ReferralError("empty note")
    if len(text) > MAX_RELAY:
        raise ReferralError(f"note longer than {MAX_RELAY} characters")
    if referral.status == "withdrawn":
        raise ReferralError("referral is withdrawn")
    if not actor.strip():
        raise ReferralError("every change needs an actor")
    event = _event(referral, "note", actor, note=text)
    await s.flush()
    return event


async def add_reply(s: AsyncSession, referral_id: int, text: str) -> ReferralEvent:
    """The person's answer, attached to the referral's thread."""
    referral = await _get(s, referral_id)
    if referral.status in TERMINAL:
        raise ReferralError(f"referral is {referral.status}")
    event = _event(referral, "reply", PERSON, note=text.strip()[:MAX_RELAY])
    await s.flush()
    return event


async def _withdraw(s: AsyncSession, referral: Referral, actor: str) -> Referral:
    """Delete the personal data; the Servicestelle sees only that the person withdrew."""
    referral.status = "withdrawn"
    referral.shared = {}
    referral.contact_via = "bot"
    referral.contact_value = None
    referral.conversation_id = None
    referral.closed_at = utcnow()
    for event in list(referral.events):
        if event.kind in ("relay", "reply", "note"):
            referral.events.remove(event)
        else:
            event.note = None
    _event(referral, "transition", actor, to="withdrawn", note=WITHDRAWN_NOTE)
    await s.flush()
    return referral


async def withdraw_for_conversation(s: AsyncSession, conversation_id: int) -> int:
    """/delete: withdraw every referral of this conversation, open or not."""
    found = await referrals_of(s, conversation_id)
    for referral in found:
        if referral.status != "withdrawn":
            await _withdraw(s, referral, PERSON)
        else:
            referral.conversation_id = None
    return len(found)


async def referrals_of(s: AsyncSession, conversation_id: int) -> list[Referral]:
    query = (
        select(Referral)
        .options(selectinload(Referral.events))
        .where(Referral.conversation_id == conversation_id)
        .order_by(Referral.id)
        .execution_options(populate_existing=True)
    )
    return list((await s.scalars(query)).all())


async def open_referral(s: AsyncSession, conversation_id: int) -> Referral | None:
    return next(
        (r for r in await referrals_of(s, conversation_id) if r.status not in TERMINAL), None
    )


async def purge_closed(
    s: AsyncSession, retention: dt.timedelta, now: dt.datetime | None = None
) -> int:
    """Delete finished referrals (closed, declined, withdrawn) older than `retention`."""
    cutoff = (now or utcnow()) - retention
    ids = (
        await s.scalars(
            select(Referral.id).where(
                Referral.status.in_(TERMINAL),
                Referral.closed_at.is_not(None),
                Referral.closed_at < cutoff,
            )
        )
    ).all()
    if ids:
        await s.execute(delete(ReferralEvent).where(ReferralEvent.referral_id.in_(ids)))
        await s.execute(delete(Referral).where(Referral.id.in_(ids)))
    return len(ids)


async def _notify(s: AsyncSession, referral: Referral, reply: Reply) -> None:
    if referral.conversation_id is None:
        return
    conv = await s.get(Conversation, referral.conversation_id)
    if conv is None:
        return
    locale = conv.locale or referral.locale
    s.add(
        OutboxMessage(
            conversation_id=conv.id,
            channel=conv.channel,
            address=conv.address,
            payload=render_payload(reply, locale),
        )
    )


def render_payload(reply: Reply, locale: str) -> dict[str, Any]:
    """The outbox payload shape of bot/render.py (kept here so this module needs no bot code)."""
    return {
        "text": "\n\n".join(render(part, locale) for part in reply.parts),
        "buttons": [
            {"label": render(b.label, locale), "data": b.data, "selected": b.selected}
            for b in reply.buttons
        ],
        "ask": reply.ask,
        "rtl": is_rtl(locale),
    }
