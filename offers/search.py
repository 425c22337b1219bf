"""Look-ups for the intake: offers per need area, free-text search, the responsible
Servicestelle. Catalogues are small (hundreds of rows per Bündnis), so rows of one Bündnis are
loaded and filtered here; JSON list columns are not queried in SQL (portable SQLite/PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from offers.eligibility import assess
from offers.fuzzy import keys
from offers.ranking import RankedOffer, gemeinde_ids, normalize_languages, ordered, rank
from offers.taxonomy import NEED_AREAS, PERSON_AGE_BANDS, STATUSES
from store.models import AccessOverride, Offer, Servicestelle


class OfferQueryError(ValueError):
    """A query the catalogue cannot answer (unknown code); the message says which."""


def _check(need_areas: Sequence[str], status: str, age_band: str | None) -> None:
    unknown = [a for a in need_areas if a not in NEED_AREAS]
    if unknown:
        raise OfferQueryError(
            f"unknown need area(s) {', '.join(map(repr, unknown))}; known: {', '.join(NEED_AREAS)}"
        )
    if status not in STATUSES:
        raise OfferQueryError(f"unknown status {status!r}; known: {', '.join(STATUSES)}")
    if age_band is not None and age_band not in PERSON_AGE_BANDS:
        known = ", ".join(PERSON_AGE_BANDS)
        raise OfferQueryError(f"unknown age band {age_band!r}; known: {known}")


async def load_offers(session: AsyncSession, buendnis_id: int) -> list[Offer]:
    rows = await session.scalars(
        select(Offer).where(Offer.buendnis_id == buendnis_id).order_by(Offer.id)
    )
    return list(rows)


async def load_overrides(session: AsyncSession, buendnis_id: int) -> list[AccessOverride]:
    rows = await session.scalars(
        select(AccessOverride)
        .where(AccessOverride.buendnis_id == buendnis_id)
        .order_by(AccessOverride.id)
    )
    return list(rows)


async def find_offers(
    session: AsyncSession,
    *,
    buendnis_id: int,
    gemeinde_id: int | None,
    need_areas: Sequence[str],
    status: str,
    age_band: str | None,
    languages: Sequence[str],
    today: dt.date,
    limit_per_area: int | None = 5,
    german: str | None = None,
    topics: Sequence[str] = (),
) -> dict[str, list[RankedOffer]]:
    """Offers a person might use, per requested need area, best first (offers/ranking.py).

    Every requested area is a key, in the order asked — except that areas with an offer for
    an urgent topic the person named come first; an empty list means no offer (a gap).
    Offers with access "no" (status, age, German level, validity) are left out; "ask" ones
    are kept (the Servicestelle checks). `limit_per_area=None` returns all, for paging.
    Unknown need areas, statuses or age bands raise `OfferQueryError`; an unknown German
    level or topic counts as not given.
    """
    areas = list(dict.fromkeys(need_areas))
    _check(areas, status, age_band)
    if limit_per_area is not None and limit_per_area < 0:
        raise OfferQueryError("limit_per_area must not be negative")
    langs = normalize_languages(languages)
    offers = await load_offers(session, buendnis_id)
    overrides = await load_overrides(session, buendnis_id)

    decisions = {
        o.id: assess(o, status, overrides, today, age_band=age_band, german=german) for o in offers
    }
    result: dict[str, list[RankedOffer]] = {}
    for area in areas:
        ranked = [
            rank(
                o,
                decisions[o.id],
                need_area=area,
                gemeinde_id=gemeinde_id,
                languages=langs,
                topics=topics,
            )
            for o in offers
            if area in (o.need_areas or []) and decisions[o.id].shown
        ]
        best = ordered(ranked)
        result[area] = best if limit_per_area is None else best[:limit_per_area]
    urgent = [a for a in areas if any(r.urgent for r in result[a])]
    return {a: result[a] for a in [*urgent, *(a for a in areas if a not in urgent)]}


# ---------------------------------------------------------------- free-text search


@dataclass(frozen=True)
class TextHit:
    offer: Offer
    score: float  # 0-100
    matched: str  # the title, provider or keyword that matched best


def _text_score(query_keys: tuple[str, ...], candidate: str) -> float:
    best = 0.0
    for c in keys(candidate):
        for q in query_keys:
            if not q or not c:
                continue
            score = float(fuzz.ratio(q, c))
            if len(q) >= 4 and len(c) >= len(q):
                score = max(score, 0.9 * fuzz.partial_ratio(q, c))
            best = max(best, score)
    return best


async def search_text(
    session: AsyncSession,
    buendnis_id: int,
    query: str,
    limit: int = 10,
    *,
    on: dt.date | None = None,
    min_score: float = 80.0,
) -> list[TextHit]:
    """Offers of the Bündnis whose title, provider or keywords (in any language) match the
    typed `query`, tolerant of typos, umlaut spellings and diacritics; best first. With `on`,
    offers not valid on that date are left out. An empty query finds nothing."""
    query_keys = keys(query or "")
    if not any(query_keys) or limit <= 0:
        return []
    hits: list[TextHit] = []
    for offer in await load_offers(session, buendnis_id):
        if on is not None and (
            (offer.valid_from is not None and on < offer.valid_from)
            or (offer.valid_to is not None and on > offer.valid_to)
        ):
            continue
        fields = [offer.title, offer.provider, *[str(k) for k in offer.keywords or []]]
        scored = [(_text_score(query_keys, f), f) for f in fields if f]
        if not scored:
            continue
        score, matched = max(scored, key=lambda x: x[0])
        if score >= min_score:
            hits.append(TextHit(offer, score, matched))
    hits.sort(key=lambda h: (-h.score, h.offer.title.casefold(), h.offer.id))
    return hits[:limit]


# ---------------------------------------------------------------- routing


async def responsible_servicestelle(
    session: AsyncSession,
    *,
    buendnis_id: int,
    gemeinde_id: int | None,
    need_areas: Sequence[str],
    languages: Sequence[str],
) -> Servicestelle | None:
    """The Servicestelle a referral goes to.

    Candidates are the Bündnis' Servicestellen (other than the default) that serve the
    Gemeinde (or the whole Bündnis) and at least one of the need areas (or all areas). Best:
    serves the Gemeinde specifically, then covers more of the need areas, then speaks more of
    the person's languages, then the lowest id. No candidate → the Bündnis' default
    Servicestelle (`is_default`); no default → None.
    """
    unknown = [a for a in need_areas if a not in NEED_AREAS]
    if unknown:
        raise OfferQueryError(
            f"unknown need area(s) {', '.join(map(repr, unknown))}; known: {', '.join(NEED_AREAS)}"
        )
    rows = list(
        await session.scalars(
            select(Servicestelle)
            .where(Servicestelle.buendnis_id == buendnis_id)
            .order_by(Servicestelle.id)
        )
    )
    wanted = set(need_areas)
    langs = set(normalize_languages(languages))
    best: Servicestelle | None = None
    best_key: tuple[int, int, int, int] | None = None
    for s in rows:
        if s.is_default:
            continue
        served = set(gemeinde_ids(s.gemeinde_ids))
        if served and (gemeinde_id is None or gemeinde_id not in served):
            continue
        areas = set(s.need_areas or [])
        covered = len(wanted) if not areas else len(wanted & areas)
        if areas and not covered:
            continue
        spoken = len(langs & set(normalize_languages(s.languages)))
        key = (1 if served else 0, covered, spoken, -s.id)
        if best_key is None or key > best_key:
            best, best_key = s, key
    if best is not None:
        return best
    return next((s for s in rows if s.is_default), None)
