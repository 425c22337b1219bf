"""Scoped, audited access to referrals for staff — the one place the JSON endpoints
(`admin_api/routers/referrals.py`) and the staff pages (`admin_api/web/pages_referrals.py`)
both go through.

Every function checks the caller's scope (another Servicestelle's referral is `NotFound`),
writes the audit entry in the same transaction as the read or change, and commits; a refused
change (`lifecycle.ReferralError`) is rolled back completely before it is raised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from access.audit import audit
from access.scope import Principal, get_scoped, servicestelle_filter
from places.gemeinden import gemeinde_id as gemeinde_code_id
from referrals import lifecycle
from store.models import Referral, ReferralEvent

GEMEINDE_ROLE, NEEDS_ROLE = "gemeinde", "needs"  # roles of shared answers (never item ids)
SORT_COLUMNS = {"created_at": Referral.created_at, "status": Referral.status, "id": Referral.id}


class Stale(lifecycle.ReferralError):
    """The referral changed after the form was shown; nothing was written."""


# ---------------------------------------------------------------- reading the shared answers


def answers(ref: Referral) -> list[dict[str, Any]]:
    found = (ref.shared or {}).get("answers", [])
    return [a for a in found if isinstance(a, dict)]


def need_areas(ref: Referral) -> list[str]:
    for a in answers(ref):
        if a.get("role") == NEEDS_ROLE and isinstance(a.get("value"), list):
            return [str(v) for v in a["value"]]
    return []


def gemeinde_id(ref: Referral) -> int | None:
    for a in answers(ref):
        value = a.get("value")
        if a.get("role") == GEMEINDE_ROLE and gemeinde_code_id(value) is not None:
            return gemeinde_code_id(value)
    return None


def allowed_next(ref: Referral) -> list[str]:
    """Statuses staff may set now (`withdrawn` is the person's own step)."""
    return sorted(lifecycle.TRANSITIONS.get(ref.status, frozenset()) - {"withdrawn"})


def reachable(ref: Referral) -> bool:
    return ref.conversation_id is not None and ref.status not in lifecycle.TERMINAL


def last_event_id(ref: Referral) -> int:
    return max((e.id for e in ref.events), default=0)


def timeline(ref: Referral) -> list[ReferralEvent]:
    return sorted(ref.events, key=lambda e: (e.at, e.id))


# ---------------------------------------------------------------- reads (audited)


async def load(s: AsyncSession, referral_id: int) -> Referral:
    ref = await s.scalar(
        select(Referral)
        .options(selectinload(Referral.events))
        .where(Referral.id == referral_id)
        .execution_options(populate_existing=True)
    )
    assert ref is not None
    return ref


async def scoped(s: AsyncSession, who: Principal, referral_id: int) -> Referral:
    """The referral if it is in the caller's queue (admin: any), else `NotFound`."""
    await get_scoped(s, who, Referral, referral_id, "referral", by="servicestelle")
    return await load(s, referral_id)


async def queue(
    s: AsyncSession,
    who: Principal,
    *,
    statuses: Sequence[str] | None = None,
    need_area: str | None = None,
    gemeinde: int | None = None,
    servicestelle_id: int | None = None,
    sort: str = "-created_at",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Referral], int]:
    """One page of the caller's queue and the total; each referral on the page is audited
    (`list`): need areas and Gemeinde come from the shared answers, so they are personal."""
    q = (
        select(Referral)
        .options(selectinload(Referral.events))
        .where(servicestelle_filter(who, Referral.servicestelle_id))
    )
    if statuses:
        q = q.where(Referral.status.in_(list(statuses)))
    if servicestelle_id is not None:
        q = q.where(Referral.servicestelle_id == servicestelle_id)
    column = SORT_COLUMNS[sort.lstrip("-")]
    order = column.desc() if sort.startswith("-") else column.asc()
    tie = Referral.id.desc() if sort.startswith("-") else Referral.id.asc()
    found = list((await s.scalars(q.order_by(urgent_first(), order, tie))).all())
    # Need area and Gemeinde live in the shared answers (JSON): filtered here, not in SQL.
    if need_area is not None:
        found = [r for r in found if need_area in need_areas(r)]
    if gemeinde is not None:
        found = [r for r in found if gemeinde_id(r) == gemeinde]
    page = found[offset : offset + limit]
    for ref in page:
        await audit(s, who, "list", "referral", ref.id)
    await s.commit()
    return page, len(found)


def urgent_first() -> Any:
    """Open urgent referrals (the person spoke of danger and asked for contact) come first,
    whatever else the queue is sorted by."""
    open_urgent = Referral.urgent.is_(True) & Referral.status.not_in(list(lifecycle.TERMINAL))
    return case((open_urgent, 0), else_=1)


def urgent_open(ref: Referral) -> bool:
    return bool(ref.urgent) and ref.status not in lifecycle.TERMINAL


async def status_counts(s: AsyncSession, who: Principal) -> dict[str, int]:
    """Referrals per status in the caller's queue: figures only, nothing to audit."""
    rows = await s.scalars(
        select(Referral.status).where(servicestelle_filter(who, Referral.servicestelle_id))
    )
    counts = Counter(rows)
    return {status: counts.get(status, 0) for status in lifecycle.STATUSES}


async def read(s: AsyncSession, who: Principal, referral_id: int) -> Referral:
    """One referral with its timeline; the read is audited (`read`)."""
    ref = await scoped(s, who, referral_id)
    await audit(s, who, "read", "referral", ref.id)
    await s.commit()
    return ref


# ---------------------------------------------------------------- changes (audited, all or nothing)


async def _change(
    s: AsyncSession,
    who: Principal,
    referral_id: int,
    action: str,
    write: Callable[[], Awaitable[Any]],
    seen_event: int | None,
) -> Any:
    ref = await scoped(s, who, referral_id)
    try:
        if seen_event is not None and last_event_id(ref) != seen_event:
            raise Stale("the referral changed after the form was shown")
        result = await write()
    except lifecycle.ReferralError:
        await s.rollback()
        raise
    await audit(s, who, action, "referral", referral_id)
    await s.commit()
    return result


async def change_status(
    s: AsyncSession,
    who: Principal,
    referral_id: int,
    to: str,
    note: str | None,
    *,
    seen_event: int | None = None,
) -> Referral:
    """A status transition under the lifecycle's rules. `seen_event`: the last event the
    form showed; if the referral moved on since, `Stale` and nothing is written."""
    await _change(
        s,
        who,
        referral_id,
        "transition",
        lambda: lifecycle.transition(s, referral_id, to, actor=who.actor, note=note),
        seen_event,
    )
    return await load(s, referral_id)


async def hand_on(
    s: AsyncSession,
    who: Principal,
    referral_id: int,
    addressee: str,
    *,
    seen_event: int | None = None,
) -> Referral:
    """Onward referral (Weitervermittlung): status handed_on, the addressee as its note."""
    await _change(
        s,
        who,
        referral_id,
        "onward",
        lambda: lifecycle.transition(s, referral_id, "handed_on", actor=who.actor, note=addressee),
        seen_event,
    )
    return await load(s, referral_id)


async def add_note(s: AsyncSession, who: Principal, referral_id: int, text: str) -> ReferralEvent:
    """An internal note (never shown to the person)."""
    event: ReferralEvent = await _change(
        s,
        who,
        referral_id,
        "note",
        lambda: lifecycle.add_note(s, referral_id, text, actor=who.actor),
        None,
    )
    return event


async def relay(s: AsyncSession, who: Principal, referral_id: int, text: str) -> ReferralEvent:
    """A message to the person through the bot, in the same transaction as its outbox row."""
    event: ReferralEvent = await _change(
        s,
        who,
        referral_id,
        "relay",
        lambda: lifecycle.relay(s, referral_id, text, actor=who.actor),
        None,
    )
    return event
