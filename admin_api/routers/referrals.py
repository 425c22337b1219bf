"""Referrals (data space (c)): a Servicestelle's queue with personal data, status changes,
internal notes, relay messages to the person and onward referral; statistics without any
personal data for gfs (its Bündnis) and admin (all).

Personal data are the shared answers, the contact and the texts of the event timeline. Every
response that contains any of them writes one audit entry per referral shown (`list` or
`read`), in the same transaction; every change writes one (`transition`, `note`, `relay`).
The lifecycle itself lives in `store/referrals.py` (the bot uses the same functions); notices
to the person are rendered there into the person's language.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from access.errors import Conflict, Invalid, Refused
from access.scope import Principal, buendnis_filter
from admin_api.deps import MAX_ID, AdminOrGfs, DbSession, Id, Limit, Offset, require_role
from admin_api.errors import ERROR_RESPONSES
from admin_api.schemas import (
    MonthParam,
    Page,
)
from admin_api.schemas_referrals import (
    Addressed,
    EventOut,
    Figure,
    NeedArea,
    OnwardIn,
    ReferralDetail,
    ReferralStats,
    ReferralSummary,
    SharedAnswer,
    Sort,
    Status,
    TextIn,
    TransitionIn,
)
from referrals import lifecycle
from referrals import service as referral_service
from results.referral_figures import suppressed
from results.service import published_month
from store.models import Buendnis, Referral, ReferralEvent

router = APIRouter(prefix="/referrals", tags=["referrals"], responses=ERROR_RESPONSES)

# Personal referral data: the Servicestelle (its own queue) and admin; gfs never.
Staff = Annotated[Principal, Depends(require_role("servicestelle", "admin"))]

# ---------------------------------------------------------------- helpers


def _summary_fields(ref: Referral) -> dict[str, Any]:
    times = [ref.created_at, *(e.at for e in ref.events if e.at is not None)]
    return {
        "id": ref.id,
        "buendnis_id": ref.buendnis_id,
        "servicestelle_id": ref.servicestelle_id,
        "status": ref.status,
        "created_at": ref.created_at,
        "closed_at": ref.closed_at,
        "last_activity_at": max(times),
        "locale": ref.locale,
        "contact_via": ref.contact_via,
        "need_areas": referral_service.need_areas(ref),
        "gemeinde_id": referral_service.gemeinde_id(ref),
        "urgent": bool(ref.urgent),
    }


def _detail(ref: Referral) -> ReferralDetail:
    shared = [
        SharedAnswer(
            item=str(a.get("item", "")),
            question=str(a.get("question", "")),
            answer=str(a.get("answer", "")),
        )
        for a in referral_service.answers(ref)
    ]
    return ReferralDetail(
        **_summary_fields(ref),
        shared=shared,
        contact_value=ref.contact_value,
        reachable=referral_service.reachable(ref),
        allowed=referral_service.allowed_next(ref),
        events=[EventOut.model_validate(e) for e in referral_service.timeline(ref)],
    )


def _refused(exc: lifecycle.ReferralError, field: str | None = None) -> Refused:
    if isinstance(exc, lifecycle.InvalidTransition):
        return Conflict("invalid_transition", str(exc), "to")
    if isinstance(exc, lifecycle.Unreachable):
        return Conflict("unreachable", str(exc))
    message = str(exc)
    if message.startswith("referral is "):
        return Conflict("referral_finished", message)
    return Invalid(message, field)


# ---------------------------------------------------------------- statistics (no personal data)


@router.get(
    "/stats",
    response_model=ReferralStats,
    summary="Referral statistics: counts by status, time to first contact, onward referrals",
)
async def referral_stats(
    who: AdminOrGfs,
    s: DbSession,
    buendnis_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="admin: only this Bündnis")
    ] = None,
    servicestelle_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    month: MonthParam = None,
) -> ReferralStats:
    """Only figures: no shared answers, contacts or texts, so nothing here is audited as a
    read. Referrals created in one calendar month that is over (results/periods.py: no free
    windows to difference). gfs: its own Bündnis (another `buendnis_id` gives zeros, like an
    empty one), with small-cell suppression (the Bündnis' k, as for survey results) and
    onward referrals as one count — the addressees are free text a Servicestelle typed, so
    they never reach the GfS; admin: raw counts."""
    period = published_month(month)
    start = dt.datetime.combine(period.start, dt.time())
    end = dt.datetime.combine(period.end, dt.time())
    q = select(Referral.id, Referral.status, Referral.created_at).where(
        buendnis_filter(who, Referral.buendnis_id)
    )
    if buendnis_id is not None:
        q = q.where(Referral.buendnis_id == buendnis_id)
    if servicestelle_id is not None:
        q = q.where(Referral.servicestelle_id == servicestelle_id)
    q = q.where(Referral.created_at >= start, Referral.created_at < end)
    rows = (await s.execute(q)).all()
    created = {r.id: r.created_at for r in rows}
    by_status = dict.fromkeys(lifecycle.STATUSES, 0)
    for r in rows:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    first_contact: dict[int, dt.datetime] = {}
    onward: Counter[str] = Counter()
    if created:
        events = await s.execute(
            select(
                ReferralEvent.referral_id,
                ReferralEvent.at,
                ReferralEvent.to_status,
                ReferralEvent.note,
            )
            .where(
                ReferralEvent.referral_id.in_(list(created)),
                ReferralEvent.kind == "transition",
                ReferralEvent.to_status.in_(("contacted", "handed_on")),
            )
            .order_by(ReferralEvent.at, ReferralEvent.id)
        )
        for event in events:
            if event.to_status == "contacted":
                first_contact.setdefault(event.referral_id, event.at)
            elif event.note:
                onward[event.note.strip()] += 1
            else:  # note removed by a withdrawal
                onward["(unbekannt)"] += 1
    hours = [(at - created[rid]).total_seconds() / 3600 for rid, at in first_contact.items()]
    median = round(statistics.median(hours), 2) if hours else None
    addressed = sorted(onward.items(), key=lambda x: (-x[1], x[0]))
    if who.role == "gfs":  # an aggregate for the Bündnis: small cells suppressed
        buendnis = await s.get(Buendnis, who.buendnis_id)
        k = buendnis.suppression_k if buendnis is not None else None
        fig = suppressed(by_status, len(first_contact), median, sum(onward.values()), k)
        return ReferralStats(
            total=fig.total,
            by_status=fig.by_status,
            contacted=fig.contacted,
            median_hours_to_first_contact=fig.median_hours_to_first_contact,
            onward=[Addressed(addressee=name, count=n) for name, n in fig.onward],
            suppression_k=fig.k,
        )
    return ReferralStats(
        total=len(rows),
        by_status=dict[str, Figure](by_status),
        contacted=len(first_contact),
        median_hours_to_first_contact=median,
        onward=[Addressed(addressee=name, count=n) for name, n in addressed],
        suppression_k=None,
    )


# ---------------------------------------------------------------- the queue


@router.get(
    "",
    response_model=Page[ReferralSummary],
    summary="The referral queue (servicestelle: its own; admin: all)",
)
async def list_referrals(
    who: Staff,
    s: DbSession,
    status: Annotated[list[Status] | None, Query(description="one or more statuses")] = None,
    need_area: Annotated[NeedArea | None, Query(description="a need area the person chose")] = None,
    gemeinde_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    servicestelle_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="admin: only this Servicestelle")
    ] = None,
    sort: Sort = "-created_at",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ReferralSummary]:
    """Need areas and Gemeinde come from the shared answers, so they are personal data too:
    each referral on the page is recorded in the audit log (`list`)."""
    page, total = await referral_service.queue(
        s,
        who,
        statuses=status,
        need_area=need_area,
        gemeinde=gemeinde_id,
        servicestelle_id=servicestelle_id,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    items = [ReferralSummary(**_summary_fields(r)) for r in page]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/{referral_id}",
    response_model=ReferralDetail,
    summary="One referral with the shared data and its timeline (recorded in the audit log)",
)
async def read_referral(referral_id: Id, who: Staff, s: DbSession) -> ReferralDetail:
    return _detail(await referral_service.read(s, who, referral_id))


@router.post(
    "/{referral_id}/transitions",
    response_model=ReferralDetail,
    summary="Change the status (409 invalid_transition when the lifecycle does not allow it)",
)
async def transition_referral(
    referral_id: Id, body: TransitionIn, who: Staff, s: DbSession
) -> ReferralDetail:
    try:
        ref = await referral_service.change_status(s, who, referral_id, body.to, body.note)
    except lifecycle.ReferralError as exc:
        raise _refused(exc, "note") from None
    return _detail(ref)


@router.post(
    "/{referral_id}/onward",
    response_model=ReferralDetail,
    summary="Onward referral: hand the person on to another organisation (status handed_on)",
)
async def onward_referral(
    referral_id: Id, body: OnwardIn, who: Staff, s: DbSession
) -> ReferralDetail:
    try:
        ref = await referral_service.hand_on(s, who, referral_id, body.addressee)
    except lifecycle.ReferralError as exc:
        raise _refused(exc, "addressee") from None
    return _detail(ref)


@router.post(
    "/{referral_id}/notes",
    response_model=EventOut,
    status_code=201,
    summary="Internal note of the Servicestelle (never shown to the person)",
)
async def add_note(referral_id: Id, body: TextIn, who: Staff, s: DbSession) -> EventOut:
    try:
        event = await referral_service.add_note(s, who, referral_id, body.text)
    except lifecycle.ReferralError as exc:
        raise _refused(exc, "text") from None
    return EventOut.model_validate(event)


@router.post(
    "/{referral_id}/messages",
    response_model=EventOut,
    status_code=201,
    summary="Relay a message to the person through the bot (with an Antworten button)",
)
async def relay_message(referral_id: Id, body: TextIn, who: Staff, s: DbSession) -> EventOut:
    try:
        event = await referral_service.relay(s, who, referral_id, body.text)
    except lifecycle.ReferralError as exc:
        raise _refused(exc, "text") from None
    return EventOut.model_validate(event)
