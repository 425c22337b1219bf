"""The Gemeinden of a Bündnis as staff see them: which Gemeinden the caller may see, and
whether ids sent for an offer or a Servicestelle are Gemeinden of its Bündnis."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.errors import NotFound
from access.scope import Principal, buendnis_filter
from store.models import Gemeinde


async def check_gemeinden(s: AsyncSession, buendnis_id: int, ids: list[int]) -> list[int]:
    """The ids, sorted and unique, if every one is a Gemeinde of the Bündnis (else `NotFound`
    on `gemeinde_ids`)."""
    if not ids:
        return []
    unique = sorted(set(ids))
    found = set(
        await s.scalars(
            select(Gemeinde.id).where(Gemeinde.id.in_(unique), Gemeinde.buendnis_id == buendnis_id)
        )
    )
    missing = [i for i in unique if i not in found]
    if missing:
        raise NotFound(f"Gemeinde {missing[0]} in this Bündnis", "gemeinde_ids")  # not theirs
    return unique


async def scoped_gemeinden(
    s: AsyncSession, who: Principal, buendnis_id: int | None = None
) -> list[Gemeinde]:
    """The Gemeinden the caller may see (admin: all, or one Bündnis's), by name."""
    where = buendnis_filter(who, Gemeinde.buendnis_id)
    if buendnis_id is not None:
        where = where & (Gemeinde.buendnis_id == buendnis_id)
    return list(await s.scalars(select(Gemeinde).where(where).order_by(Gemeinde.name)))
