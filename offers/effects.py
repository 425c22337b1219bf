"""Effect handlers of the offer catalogue: the offers list of a flow and an offer's details.

A first look at the list also leaves the only trace an Erstberatung without referral leaves:
anonymous counts of needs per Bündnis, Gemeinde and day, and a gap signal for every need
area without a fitting offer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.effects import Handled, OfferOpened, OffersWanted
from offers.search import OfferQueryError, find_offers
from places.gemeinden import place
from store.models import IntakeNeedCount, Offer, OfferGap, today
from store.turn import Handler, Turn

log = logging.getLogger(__name__)

PER_AREA = 5
# Flow answer codes are lower case; offers.taxonomy uses the Arbeitshilfe's upper-case codes.
STATUS_CODES = {"ag": "AG", "d": "D", "ae": "AE", "ne": "NE", "p24": "P24", "eu": "EU"}
# Age answers outside the taxonomy's bands search with the nearest band.
AGE_SEARCH = {"u16": "16-17", "27plus": "25-26"}


def _status(code: object) -> str:
    """The flow's status answer as an offers.taxonomy code (skipped → unknown)."""
    if isinstance(code, str) and code in STATUS_CODES:
        return STATUS_CODES[code]
    return "other" if code == "other" else "unknown"


def _age_band(code: object) -> str | None:
    return AGE_SEARCH.get(code, code) if isinstance(code, str) else None


def _codes(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


async def offers_wanted(turn: Turn, wanted: OffersWanted) -> Handled:
    s, profile = turn.session, wanted.profile
    buendnis_id, gemeinde = await place(s, turn.conversation, profile.get("gemeinde"))
    areas = _codes(profile.get("needs"))
    found: dict[str, list[dict[str, Any]]] = {a: [] for a in areas}
    if buendnis_id is not None and areas:
        try:
            ranked = await find_offers(
                s,
                buendnis_id=buendnis_id,
                gemeinde_id=gemeinde,
                need_areas=areas,
                status=_status(profile.get("status")),
                age_band=_age_band(profile.get("age")),
                languages=_codes(profile.get("languages")),
                today=today(),
                limit_per_area=PER_AREA,
            )
        except OfferQueryError:
            log.exception("offer search refused the flow's answer codes")
            ranked = {}
        for area in areas:
            found[area] = [
                {"id": r.offer.id, "title": r.offer.title, "access": r.access}
                for r in ranked.get(area, [])
            ]
    if wanted.count:
        await _count(s, buendnis_id, gemeinde, areas, [a for a in areas if not found[a]])
    log.info("offers listed areas=%d gaps=%d", len(areas), sum(not v for v in found.values()))
    return Handled({"areas": [{"area": a, "offers": found[a]} for a in areas]})


async def offer_opened(turn: Turn, opened: OfferOpened) -> Handled:
    offer = await turn.session.get(Offer, opened.offer_id)
    if offer is None:
        return Handled({})
    return Handled(
        {
            "offer": {
                "title": offer.title,
                "provider": offer.provider,
                "address": offer.address,
                "contact": offer.contact,
                "hours": offer.opening_hours,
                "languages": list(offer.languages or []),
                "cost": offer.cost,
                "bring": offer.what_to_bring,
            }
        }
    )


async def _count(
    s: AsyncSession,
    buendnis_id: int | None,
    gemeinde: int | None,
    areas: Sequence[str],
    gaps: Sequence[str],
) -> None:
    for area in areas:
        await _count_need(s, buendnis_id, gemeinde, area)
    for area in gaps:
        s.add(OfferGap(buendnis_id=buendnis_id, gemeinde_id=gemeinde, need_area=area))


async def _count_need(
    s: AsyncSession, buendnis_id: int | None, gemeinde: int | None, area: str
) -> None:
    day = today()
    where = [
        IntakeNeedCount.need_area == area,
        IntakeNeedCount.day == day,
        IntakeNeedCount.buendnis_id.is_(None)
        if buendnis_id is None
        else IntakeNeedCount.buendnis_id == buendnis_id,
        IntakeNeedCount.gemeinde_id.is_(None)
        if gemeinde is None
        else IntakeNeedCount.gemeinde_id == gemeinde,
    ]
    result = await s.execute(
        update(IntakeNeedCount).where(*where).values(count=IntakeNeedCount.count + 1)
    )
    if not getattr(result, "rowcount", 0):
        s.add(
            IntakeNeedCount(
                buendnis_id=buendnis_id, gemeinde_id=gemeinde, need_area=area, day=day, count=1
            )
        )
        await s.flush()


HANDLERS: tuple[tuple[type, Handler], ...] = (
    (OffersWanted, offers_wanted),
    (OfferOpened, offer_opened),
)
