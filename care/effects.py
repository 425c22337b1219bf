"""Effect handlers of the help after a danger message: the local contacts shown with it (the
Jugendamt from the catalogue, the Servicestelle for an urgent contact), its anonymous count,
and the urgent contact itself."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from base.i18n import render
from care.tally import held_counts
from dialogs.care_messages import HM
from dialogs.effects import Handled, SafetyHelpShown, UrgentContactWanted
from offers.search import OfferQueryError, responsible_servicestelle
from places.gemeinden import place
from referrals import lifecycle
from store.models import Offer, Servicestelle, today
from store.turn import Handler, Turn

log = logging.getLogger(__name__)

JUGENDAMT, EMERGENCY_SERVICE = "jugendamt", "notdienst"  # catalogue keywords
URGENT_NEEDS = ["beratung"]  # the need area an urgent contact is routed by
URGENT_ROLE = "urgent"  # role of the one shared answer of an urgent referral


def _words(offer: Offer) -> set[str]:
    return {str(k).casefold() for k in offer.keywords or []} | {offer.provider.casefold()}


async def local_jugendamt(
    s: AsyncSession, buendnis_id: int | None, gemeinde_id: int | None
) -> dict[str, str] | None:
    """The Jugendamt in the Bündnis' catalogue (keyword "Jugendamt"), for the person's
    Gemeinde when it is known; one marked "Notdienst" first."""
    if buendnis_id is None:
        return None
    rows = await s.scalars(select(Offer).where(Offer.buendnis_id == buendnis_id))
    found = [
        o
        for o in rows
        if any(JUGENDAMT in w for w in _words(o))
        and (not o.gemeinde_ids or gemeinde_id is None or gemeinde_id in o.gemeinde_ids)
    ]
    if not found:
        return None
    best = min(found, key=lambda o: (EMERGENCY_SERVICE not in " ".join(_words(o)), o.id))
    contact = ", ".join(p for p in (best.contact, best.address) if p)
    return {"name": best.provider, "contact": contact}


class Care:
    def __init__(self, retention_days: int) -> None:
        self.retention_days = retention_days

    def handlers(self) -> tuple[tuple[type, Handler], ...]:
        return ((SafetyHelpShown, self.help_shown), (UrgentContactWanted, self.urgent_contact))

    async def help_shown(self, turn: Turn, shown: SafetyHelpShown) -> Handled:
        s, conv = turn.session, turn.conversation
        buendnis_id, gemeinde = await place(s, conv, shown.profile.get("gemeinde"))
        for held in held_counts(buendnis_id, shown.categories, today()):
            turn.hold(held)  # after the commit, into the holding area: see care.tally
        data: dict[str, Any] = {
            "jugendamt": await local_jugendamt(s, buendnis_id, gemeinde),
            "outcome": "none",
        }
        if shown.age == "u16" or buendnis_id is None:
            return Handled(data)
        open_one = await lifecycle.open_referral(s, conv.id)
        stelle = None
        if open_one is not None:
            stelle, data["outcome"] = await s.get(Servicestelle, open_one.servicestelle_id), "open"
        else:
            languages = shown.profile.get("languages")
            stelle = await _route(s, buendnis_id, gemeinde, languages)
            data["outcome"] = "found" if stelle is not None else "none"
        if stelle is not None:
            data |= {
                "servicestelle_id": stelle.id,
                "servicestelle": stelle.name,
                "retention_days": self.retention_days,
            }
        return Handled(data)

    async def urgent_contact(self, turn: Turn, wanted: UrgentContactWanted) -> Handled:
        s, conv = turn.session, turn.conversation
        stelle = await s.get(Servicestelle, wanted.servicestelle_id)
        if stelle is None:
            return Handled({"outcome": "failed"})
        done = {"outcome": "sent", "servicestelle": stelle.name}
        try:
            open_one = await lifecycle.open_referral(s, conv.id)
            if open_one is not None and open_one.servicestelle_id == stelle.id:
                await lifecycle.mark_urgent(s, open_one.id, wanted.category)
            elif open_one is None:
                topic = HM.CONSENT_TOPIC.with_(topic=HM.TOPIC[wanted.category])
                shared = {
                    "item": "",
                    "role": URGENT_ROLE,
                    "question": render(HM.FIELD_TOPIC, "de"),
                    "answer": render(topic, "de"),
                    "value": wanted.category,
                }
                await lifecycle.create_referral(
                    s,
                    buendnis_id=stelle.buendnis_id,
                    servicestelle_id=stelle.id,
                    conversation_id=conv.id,
                    locale=wanted.locale,
                    shared=[shared],
                    urgent=wanted.category,
                )
            else:  # an open referral elsewhere: the consent named another Servicestelle
                return Handled({"outcome": "failed"})
        except (lifecycle.ReferralError, KeyError):
            log.warning("urgent contact refused by the lifecycle")
            return Handled({"outcome": "failed"})
        log.info("urgent contact created")
        return Handled(done)


async def _route(
    s: AsyncSession, buendnis_id: int, gemeinde: int | None, languages: object
) -> Servicestelle | None:
    codes: Sequence[str] = [str(x) for x in languages] if isinstance(languages, list) else []
    try:
        return await responsible_servicestelle(
            s,
            buendnis_id=buendnis_id,
            gemeinde_id=gemeinde,
            need_areas=URGENT_NEEDS,
            languages=codes,
        )
    except OfferQueryError:
        log.exception("routing refused the urgent need area")
        return None
