"""The offer catalogue (Angebote) of a Bündnis: gfs maintains its own, admin all;
servicestelle staff read their Bündnis's offers (for onward referral)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.audit import audit
from admin_api.deps import (
    MAX_ID,
    AdminOrGfs,
    AnyStaff,
    DbSession,
    Id,
    Limit,
    Offset,
    Principal,
    buendnis_filter,
    get_scoped,
    target_buendnis,
)
from admin_api.errors import ERROR_RESPONSES, invalid, not_found
from admin_api.routers.offer_models import NULLABLE, OfferIn, OfferOut, OfferPatch
from admin_api.routers.places import check_gemeinden
from admin_api.schemas import (
    Page,
)
from offers.taxonomy import GERMAN_RANK, TOPICS
from store.models import Buendnis, Offer, today

router = APIRouter(prefix="/offers", tags=["offers"], responses=ERROR_RESPONSES)


def _check_ranges(
    age_min: int | None,
    age_max: int | None,
    frm: dt.date | None,
    to: dt.date | None,
    german: tuple[str | None, str | None] = (None, None),
) -> None:
    if age_min is not None and age_max is not None and age_min > age_max:
        raise invalid("age_min must not exceed age_max", "age_min")
    if frm is not None and to is not None and frm > to:
        raise invalid("valid_from must not be after valid_to", "valid_from")
    low, high = (GERMAN_RANK.get(level or "") for level in german)
    if low is not None and high is not None and low > high:
        raise invalid("german_min must not be above german_max", "german_min")


def _check_topics(topics: list[str] | None) -> None:
    unknown = [t for t in topics or [] if t not in TOPICS]
    if unknown:
        raise invalid(f"unknown topic {unknown[0]!r}; known: {', '.join(TOPICS)}", "topics")


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _matches(o: Offer, need_area: str | None, gemeinde_id: int | None, q: str | None) -> bool:
    if need_area is not None and need_area.casefold() not in {
        a.casefold() for a in (o.need_areas or [])
    }:
        return False
    if gemeinde_id is not None and o.gemeinde_ids and gemeinde_id not in o.gemeinde_ids:
        return False
    if q:
        hay = " ".join([o.title, o.provider, o.category, *(o.keywords or [])]).casefold()
        if not all(word in hay for word in q.casefold().split()):
            return False
    return True


SearchText = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="words in title, provider, category or keywords",
    ),
]


async def find_offers(
    s: AsyncSession,
    who: Principal,
    *,
    buendnis_id: int | None = None,
    category: str | None = None,
    need_area: str | None = None,
    gemeinde_id: int | None = None,
    q: str | None = None,
    unchecked_months: int | None = None,
) -> list[Offer]:
    """The caller's offers (admin: all) matching every filter given, by id."""
    where: Any = buendnis_filter(who, Offer.buendnis_id)
    if buendnis_id is not None:
        where = where & (Offer.buendnis_id == buendnis_id)
    if category is not None:
        where = where & (Offer.category == category)
    if unchecked_months is not None:
        cutoff = months_before(today(), unchecked_months)
        where = where & or_(Offer.last_checked.is_(None), Offer.last_checked < cutoff)
    rows = (await s.scalars(select(Offer).where(where).order_by(Offer.id))).all()
    # JSON lists (areas, Gemeinden, keywords) are filtered here: portable across SQLite and
    # PostgreSQL, and a Bündnis's catalogue is hundreds of rows, not millions.
    return [o for o in rows if _matches(o, need_area, gemeinde_id, q)]


async def unchecked(s: AsyncSession, who: Principal, months: int = 6) -> list[Offer]:
    """The caller's offers not checked for `months` months, oldest check first."""
    cutoff = months_before(today(), months)
    where = buendnis_filter(who, Offer.buendnis_id) & or_(
        Offer.last_checked.is_(None), Offer.last_checked < cutoff
    )
    rows = (await s.scalars(select(Offer).where(where))).all()
    return sorted(rows, key=lambda o: (o.last_checked or dt.date.min, o.id))


@router.get("", response_model=Page[OfferOut], summary="List, filter and search offers")
async def list_offers(
    who: AnyStaff,
    s: DbSession,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    category: Annotated[str | None, Query(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    need_area: Annotated[str | None, Query(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    gemeinde_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="offers available there")
    ] = None,
    q: SearchText = None,
    unchecked_months: Annotated[
        int | None,
        Query(ge=1, le=120, description="only offers not checked for this many months"),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[OfferOut]:
    hits = await find_offers(
        s,
        who,
        buendnis_id=buendnis_id,
        category=category,
        need_area=need_area,
        gemeinde_id=gemeinde_id,
        q=q,
        unchecked_months=unchecked_months,
    )
    items = [OfferOut.model_validate(o) for o in hits[offset : offset + limit]]
    return Page(items=items, total=len(hits), limit=limit, offset=offset)


@router.get(
    "/unchecked",
    response_model=Page[OfferOut],
    summary="Offers not checked for N months (default 6), oldest first",
)
async def unchecked_offers(
    who: AdminOrGfs,
    s: DbSession,
    months: Annotated[int, Query(ge=1, le=120)] = 6,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[OfferOut]:
    rows = await unchecked(s, who, months)
    items = [OfferOut.model_validate(o) for o in rows[offset : offset + limit]]
    return Page(items=items, total=len(rows), limit=limit, offset=offset)


async def add_offer(s: AsyncSession, who: Principal, body: OfferIn) -> Offer:
    """Create an offer in the caller's Bündnis (admin: the one named), audited."""
    german = (body.german_min, body.german_max)
    _check_ranges(body.age_min, body.age_max, body.valid_from, body.valid_to, german)
    _check_topics(body.topics)
    buendnis_id = target_buendnis(who, body.buendnis_id)
    if await s.get(Buendnis, buendnis_id) is None:
        raise not_found("Bündnis", "buendnis_id")
    data = body.model_dump(exclude={"buendnis_id"})
    data["gemeinde_ids"] = await check_gemeinden(s, buendnis_id, body.gemeinde_ids)
    offer = Offer(buendnis_id=buendnis_id, **data)
    s.add(offer)
    await s.flush()
    await audit(s, who, "create", "offer", offer.id)
    await s.commit()
    return offer


@router.post("", response_model=OfferOut, status_code=201, summary="Add an offer")
async def create_offer(body: OfferIn, who: AdminOrGfs, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await add_offer(s, who, body))


@router.get("/{offer_id}", response_model=OfferOut, summary="One offer")
async def get_offer(offer_id: Id, who: AnyStaff, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await get_scoped(s, who, Offer, offer_id, "offer"))


async def update_offer(s: AsyncSession, who: Principal, offer_id: int, body: OfferPatch) -> Offer:
    """Apply the fields sent in `body` (null clears ages, dates, last_checked), audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    sent = body.model_dump(exclude_unset=True)
    changes = {k: v for k, v in sent.items() if v is not None or k in NULLABLE}
    if "gemeinde_ids" in changes:
        changes["gemeinde_ids"] = await check_gemeinden(
            s, offer.buendnis_id, changes["gemeinde_ids"]
        )
    merged = {
        k: changes.get(k, getattr(offer, k))
        for k in ("age_min", "age_max", "valid_from", "valid_to", "german_min", "german_max")
    }
    _check_ranges(
        merged["age_min"],
        merged["age_max"],
        merged["valid_from"],
        merged["valid_to"],
        (merged["german_min"], merged["german_max"]),
    )
    _check_topics(changes.get("topics"))
    for key, value in changes.items():
        setattr(offer, key, value)
    await audit(s, who, "update", "offer", offer.id)
    await s.commit()
    return offer


@router.patch(
    "/{offer_id}",
    response_model=OfferOut,
    summary="Change an offer (send null to clear ages, dates or last_checked)",
)
async def patch_offer(offer_id: Id, body: OfferPatch, who: AdminOrGfs, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await update_offer(s, who, offer_id, body))


async def check_offer(s: AsyncSession, who: Principal, offer_id: int) -> Offer:
    """Mark an offer as checked today, audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    offer.last_checked = today()
    await audit(s, who, "checked", "offer", offer.id)
    await s.commit()
    return offer


@router.post(
    "/{offer_id}/checked",
    response_model=OfferOut,
    summary="Mark an offer as checked today (sets last_checked)",
)
async def mark_checked(offer_id: Id, who: AdminOrGfs, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await check_offer(s, who, offer_id))


@router.delete("/{offer_id}", status_code=204, summary="Remove an offer")
async def delete_offer(offer_id: Id, who: AdminOrGfs, s: DbSession) -> Response:
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    await s.delete(offer)
    await audit(s, who, "delete", "offer", offer_id)
    await s.commit()
    return Response(status_code=204)
