"""Effect handlers of the offer catalogue: the offers list of a flow and an offer's details,
with the offer texts in the person's language (German plus a note where no translation is
current: `german` lists those fields).

A first look at the list also leaves the only trace an Erstberatung without referral leaves:
anonymous counts of needs per Bündnis, Gemeinde and day, and a gap signal for every need
area without a fitting offer. Both are held (store/holding.py) and written later in batches,
never in the person's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.effects import Handled, OfferOpened, OffersWanted, Profile
from offers.ranking import RankedOffer, gemeinde_ids
from offers.search import OfferQueryError, find_offers
from offers.taxonomy import GERMAN_LEVELS
from offers.texts import TRANSLATED_FIELDS, localized, texts_of
from places.gemeinden import place
from store.holding import Held, Writer
from store.models import Gemeinde, IntakeNeedCount, Offer, OfferGap, today
from store.turn import Handler, Turn

log = logging.getLogger(__name__)

PER_AREA = 5
NEED, GAP = "intake_need", "offer_gap"  # kinds of held items
ALL = "all"  # counts wait as one group: a batch holds at least k of them, whatever they say
# Flow answer codes are lower case; offers.taxonomy uses the Arbeitshilfe's upper-case codes.
STATUS_CODES = {"ag": "AG", "d": "D", "ae": "AE", "ne": "NE", "p24": "P24", "eu": "EU"}
# A chat language as the language code offers list (Dari is listed with Persian).
LOCALE_LANGUAGE = {"fa_AF": "fa"}


def _status(code: object) -> str:
    """The flow's status answer as an offers.taxonomy code (skipped → unknown)."""
    if isinstance(code, str) and code in STATUS_CODES:
        return STATUS_CODES[code]
    return "other" if code == "other" else "unknown"


def _age_band(code: object) -> str | None:
    return code if isinstance(code, str) else None


def _codes(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def languages(profile: Profile, locale: str) -> list[str]:
    """The languages the person speaks: as answered, else the language they chat in."""
    answered = _codes(profile.get("languages"))
    return answered or [LOCALE_LANGUAGE.get(locale, locale).lower()]


def german_level(code: object) -> str | None:
    """The flow's German answer as a level of offers.taxonomy (skipped, "unknown" → None)."""
    return code if isinstance(code, str) and code in GERMAN_LEVELS else None


async def _towns(s: AsyncSession, buendnis_id: int) -> dict[int, str]:
    rows = await s.execute(
        select(Gemeinde.id, Gemeinde.name).where(Gemeinde.buendnis_id == buendnis_id)
    )
    return {int(i): str(n) for i, n in rows.all()}


def _listed(r: RankedOffer, texts: list[Any], locale: str, towns: dict[int, str]) -> dict[str, Any]:
    shown = localized(r.offer, texts, locale)
    line = "summary" if shown["summary"] else ""
    where = [towns[g] for g in gemeinde_ids(r.offer.gemeinde_ids) if g in towns]
    return {
        "id": r.offer.id,
        "title": shown["title"],
        "line": shown[line] if line else r.offer.provider,
        "town": ", ".join(where) if r.elsewhere else "",
        "german": [f for f in shown.german if f in ("title", line)],
        "access": r.access,
        "urgent": r.urgent,
    }


async def offers_wanted(turn: Turn, wanted: OffersWanted) -> Handled:
    s, profile = turn.session, wanted.profile
    buendnis_id, gemeinde = await place(s, turn.conversation, profile.get("gemeinde"))
    areas = _codes(profile.get("needs"))
    found: dict[str, list[dict[str, Any]]] = {a: [] for a in areas}
    order = list(areas)
    if buendnis_id is not None and areas:
        try:
            ranked = await find_offers(
                s,
                buendnis_id=buendnis_id,
                gemeinde_id=gemeinde,
                need_areas=areas,
                status=_status(profile.get("status")),
                age_band=_age_band(profile.get("age")),
                languages=languages(profile, wanted.locale),
                today=today(),
                limit_per_area=PER_AREA,
                german=german_level(profile.get("german")),
                topics=_codes(profile.get("topic")),
            )
        except OfferQueryError:
            log.exception("offer search refused the flow's answer codes")
            ranked = {}
        order = list(ranked) or order
        towns = await _towns(s, buendnis_id)
        texts = await texts_of(s, [r.offer.id for rs in ranked.values() for r in rs])
        for area in areas:
            found[area] = [
                _listed(r, texts[r.offer.id], wanted.locale, towns) for r in ranked.get(area, [])
            ]
    if wanted.count:
        _count(turn, buendnis_id, gemeinde, areas, [a for a in areas if not found[a]])
    log.info("offers listed areas=%d gaps=%d", len(areas), sum(not v for v in found.values()))
    return Handled({"areas": [{"area": a, "offers": found[a]} for a in order]})


async def offer_opened(turn: Turn, opened: OfferOpened) -> Handled:
    offer = await turn.session.get(Offer, opened.offer_id)
    if offer is None:
        return Handled({})
    texts = (await texts_of(turn.session, [offer.id]))[offer.id]
    shown = localized(offer, texts, opened.locale)
    offer_data: dict[str, Any] = {name: shown[name] for name in TRANSLATED_FIELDS}
    offer_data.update(
        provider=offer.provider,
        address=offer.address,
        contact=offer.contact,
        languages=list(offer.languages or []),
        german_min=offer.german_min or "",
        german_max=offer.german_max or "",
        german=list(shown.german),
    )
    return Handled({"offer": offer_data})


class Counted(NamedTuple):
    buendnis_id: int | None
    gemeinde_id: int | None
    need_area: str
    day: dt.date


def _count(
    turn: Turn,
    buendnis_id: int | None,
    gemeinde: int | None,
    areas: Sequence[str],
    gaps: Sequence[str],
) -> None:
    day = today()
    for kind, chosen in ((NEED, areas), (GAP, gaps)):
        for area in chosen:
            turn.hold(Held(kind, ALL, day, Counted(buendnis_id, gemeinde, area, day)))


async def write_needs(s: AsyncSession, batch: list[Counted]) -> None:
    """Held need counts as increments, one per Bündnis, Gemeinde, area and day."""
    for key, n in Counter(batch).items():
        where = [
            IntakeNeedCount.need_area == key.need_area,
            IntakeNeedCount.day == key.day,
            IntakeNeedCount.buendnis_id.is_(None)
            if key.buendnis_id is None
            else IntakeNeedCount.buendnis_id == key.buendnis_id,
            IntakeNeedCount.gemeinde_id.is_(None)
            if key.gemeinde_id is None
            else IntakeNeedCount.gemeinde_id == key.gemeinde_id,
        ]
        result = await s.execute(
            update(IntakeNeedCount).where(*where).values(count=IntakeNeedCount.count + n)
        )
        if not getattr(result, "rowcount", 0):
            s.add(IntakeNeedCount(**key._asdict(), count=n))
            await s.flush()


async def write_gaps(s: AsyncSession, batch: list[Counted]) -> None:
    s.add_all(OfferGap(**key._asdict()) for key in batch)
    await s.flush()


WRITERS: dict[str, Writer] = {NEED: write_needs, GAP: write_gaps}


HANDLERS: tuple[tuple[type, Handler], ...] = (
    (OffersWanted, offers_wanted),
    (OfferOpened, offer_opened),
)
