"""The offer catalogue as staff maintain it: find, add, change, mark as checked and remove
offers within the caller's Bündnis (admin: all), validated and audited. The admin API and the
staff pages both call these, so an endpoint and a page cannot differ in what they allow or
record."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.audit import audit
from access.errors import Invalid, NotFound
from access.scope import Principal, buendnis_filter, get_scoped, target_buendnis
from offers.taxonomy import GERMAN_RANK, TOPICS
from places.service import check_gemeinden
from store.models import Buendnis, Offer, today

# Fields a change may clear by sending null; any other null means "leave as it is".
NULLABLE = frozenset(
    {"age_min", "age_max", "german_min", "german_max", "valid_from", "valid_to", "last_checked"}
)


def _check_ranges(
    age_min: int | None,
    age_max: int | None,
    frm: dt.date | None,
    to: dt.date | None,
    german: tuple[str | None, str | None] = (None, None),
) -> None:
    if age_min is not None and age_max is not None and age_min > age_max:
        raise Invalid("age_min must not exceed age_max", "age_min")
    if frm is not None and to is not None and frm > to:
        raise Invalid("valid_from must not be after valid_to", "valid_from")
    low, high = (GERMAN_RANK.get(level or "") for level in german)
    if low is not None and high is not None and low > high:
        raise Invalid("german_min must not be above german_max", "german_min")


def _check_topics(topics: list[str] | None) -> None:
    unknown = [t for t in topics or [] if t not in TOPICS]
    if unknown:
        raise Invalid(f"unknown topic {unknown[0]!r}; known: {', '.join(TOPICS)}", "topics")


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


async def catalogue_offers(
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


async def add_offer(
    s: AsyncSession, who: Principal, buendnis_id: int | None, fields: dict[str, Any]
) -> Offer:
    """Create an offer with `fields` in the caller's Bündnis (admin: `buendnis_id`), audited."""
    german = (fields.get("german_min"), fields.get("german_max"))
    _check_ranges(
        fields.get("age_min"),
        fields.get("age_max"),
        fields.get("valid_from"),
        fields.get("valid_to"),
        german,
    )
    _check_topics(fields.get("topics"))
    target = target_buendnis(who, buendnis_id)
    if await s.get(Buendnis, target) is None:
        raise NotFound("Bündnis", "buendnis_id")
    data = dict(fields)
    data["gemeinde_ids"] = await check_gemeinden(s, target, fields.get("gemeinde_ids") or [])
    offer = Offer(buendnis_id=target, **data)
    s.add(offer)
    await s.flush()
    await audit(s, who, "create", "offer", offer.id)
    await s.commit()
    return offer


async def update_offer(
    s: AsyncSession, who: Principal, offer_id: int, sent: dict[str, Any]
) -> Offer:
    """Apply the fields `sent` (null clears those in NULLABLE, else is ignored), audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
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


async def check_offer(s: AsyncSession, who: Principal, offer_id: int) -> Offer:
    """Mark an offer as checked today, audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    offer.last_checked = today()
    await audit(s, who, "checked", "offer", offer.id)
    await s.commit()
    return offer


async def remove_offer(s: AsyncSession, who: Principal, offer_id: int) -> None:
    """Delete an offer of the caller's Bündnis, audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    await s.delete(offer)
    await audit(s, who, "delete", "offer", offer_id)
    await s.commit()
