"""The Servicestelle's pages: the referral queue and one referral (shared data, timeline,
notes, a message to the person, status changes, onward referral).

Everything goes through `referrals/service.py`, like the JSON API: the same scoping
(another Servicestelle's referral is the 404 page), the same audit entries, the same
lifecycle rules. A refused form is shown again with the German reason and the typed text
kept; nothing of it is written.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.scope import Principal
from admin_api.deps import DbSession, Id
from admin_api.web.i18n import S_, gettext_for, locale_of
from admin_api.web.session import Counsellor
from admin_api.web.templating import render
from offers.taxonomy import NEED_AREAS
from referrals import lifecycle
from referrals import service as referral_service
from store.models import Gemeinde, Referral, StaffUser

router = APIRouter(prefix="/staff/referrals", include_in_schema=False)

PAGE_SIZE = 50
MAX_ADDRESSEE = 200
MAX_PLACE = 200

STATUS_LABELS: dict[str, str] = {
    "new": S_("Neu"),
    "in_review": S_("In Bearbeitung"),
    "contacted": S_("Kontakt aufgenommen"),
    "appointment": S_("Termin vereinbart"),
    "handed_on": S_("Weitervermittelt"),
    "closed": S_("Abgeschlossen"),
    "withdrawn": S_("Von der Person zurückgezogen"),
    "declined": S_("Abgelehnt"),
}
# The button that moves a referral to a status (handed_on has its own form).
ACTIONS: dict[str, str] = {
    "in_review": S_("In Bearbeitung nehmen"),
    "contacted": S_("Kontakt aufgenommen"),
    "appointment": S_("Termin eintragen"),
    "closed": S_("Abschließen"),
    "declined": S_("Ablehnen"),
}
NOTE_LABELS: dict[str, str] = {
    "closed": S_("Ergebnis (nur für Ihre Servicestelle)"),
    "declined": S_("Begründung (wird der Person mitgeteilt)"),
}
CONTACT_LABELS: dict[str, str] = {
    "bot": S_("über den Chat (Wegweiser)"),
    "phone": S_("Telefon"),
    "email": S_("E-Mail"),
}
EVENT_LABELS: dict[str, str] = {
    "transition": S_("Status"),
    "note": S_("Interne Notiz"),
    "relay": S_("Nachricht an die Person"),
    "reply": S_("Antwort der Person"),
    "urgent": S_("Dringend"),
}
DONE: dict[str, str] = {
    "note": S_("Die Notiz wurde gespeichert."),
    "message": S_("Die Nachricht wird der Person über den Chat zugestellt."),
    "status": S_("Der Status wurde geändert."),
    "onward": S_("Die Weitervermittlung wurde eingetragen."),
}
PERSON = S_("die Person")
# Notes the lifecycle writes itself (stored in English), as the pages show them.
# What a danger is about (an urgent event's note, the GfS' counts) — never the person's words.
DANGER_LABELS: dict[str, str] = {
    "emergency": S_("Akuter Notfall"),
    "self_harm": S_("Gedanken an Suizid oder Selbstverletzung"),
    "home_violence": S_("Gewalt in der Familie"),
    "sexual_violence": S_("Sexualisierte Gewalt"),
    "threat": S_("Bedrohung oder Gewalt durch andere"),
}
SYSTEM_NOTES: dict[str, str] = {
    "consent given": S_("Einwilligung erteilt"),
    lifecycle.WITHDRAWN_NOTE: S_("von der Person zurückgezogen"),
    **DANGER_LABELS,
}

FILTER_INVALID = S_("Unbekannter Filterwert; der Filter wurde nicht angewendet.")


def _t(request: Request, message: str, **params: object) -> str:
    return gettext_for(request, message, **params)


async def _gemeinden(s: AsyncSession, who: Principal) -> dict[int, str]:
    q = select(Gemeinde.id, Gemeinde.name).order_by(Gemeinde.name)
    if not who.is_admin:
        q = q.where(Gemeinde.buendnis_id == who.buendnis_id)
    return {row.id: row.name for row in await s.execute(q)}


def _language_name(code: str, page_locale: str) -> str:
    try:
        return Locale.parse(code).get_display_name(page_locale) or code
    except (ValueError, UnknownLocaleError):
        return code


def _labels(request: Request, table: dict[str, str]) -> dict[str, str]:
    return {key: _t(request, text) for key, text in table.items()}


# ---------------------------------------------------------------- the queue


@router.get("")
async def queue(
    request: Request,
    who: Counsellor,
    s: DbSession,
) -> Response:
    """Filters come as a plain GET form (works without script). A value the form could not
    have sent is named, and that filter is left out."""
    params = request.query_params
    gemeinden = await _gemeinden(s, who)
    errors: dict[str, str] = {}
    status = params.get("status", "")
    if status and status not in lifecycle.STATUSES:
        errors["status"], status = _t(request, FILTER_INVALID), ""
    need = params.get("need_area", "")
    if need and need not in NEED_AREAS:
        errors["need_area"], need = _t(request, FILTER_INVALID), ""
    raw_gemeinde = params.get("gemeinde", "")
    gemeinde = int(raw_gemeinde) if raw_gemeinde.isdigit() else None
    if raw_gemeinde and gemeinde not in gemeinden:
        errors["gemeinde"], gemeinde, raw_gemeinde = _t(request, FILTER_INVALID), None, ""
    raw_page = params.get("seite", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 10_000 else 1
    items, total = await referral_service.queue(
        s,
        who,
        statuses=[status] if status else None,
        need_area=need or None,
        gemeinde=gemeinde,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    counts = await referral_service.status_counts(s, who)
    rows = [
        {
            "id": ref.id,
            "status": ref.status,
            "created_at": ref.created_at,
            "last_activity": max([ref.created_at, *(e.at for e in ref.events)]),
            "needs": [NEED_AREAS.get(code, code) for code in referral_service.need_areas(ref)],
            "gemeinde": gemeinden.get(referral_service.gemeinde_id(ref) or 0, ""),
            "language": _language_name(ref.locale, locale_of(request)),
            "urgent": referral_service.urgent_open(ref),
        }
        for ref in items
    ]
    filters = {"status": status, "need_area": need, "gemeinde": raw_gemeinde}
    return render(
        request,
        "referrals.html",
        {
            "section": "referrals",
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "counts": counts,
            "urgent": sum(row["urgent"] for row in rows),
            "filters": filters,
            "errors": errors,
            "status_labels": _labels(request, STATUS_LABELS),
            "need_areas": NEED_AREAS,
            "gemeinden": gemeinden,
        },
        status=422 if errors else 200,
    )


# ---------------------------------------------------------------- one referral


async def _actor_names(s: AsyncSession, ref: Referral) -> dict[str, str]:
    ids = {
        int(e.actor.split(":", 1)[1])
        for e in ref.events
        if e.actor.startswith("user:") and e.actor.split(":", 1)[1].isdigit()
    }
    if not ids:
        return {}
    rows = await s.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids)))
    return {f"user:{row.id}": row.email for row in rows}


async def detail_page(
    request: Request,
    s: AsyncSession,
    ref: Referral,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    page_locale = locale_of(request)
    shared = referral_service.answers(ref)
    interpreter = next((a for a in shared if a.get("role") == "interpreter"), None)
    actors = await _actor_names(s, ref)
    events = [
        {
            "at": e.at,
            "kind": _t(request, EVENT_LABELS.get(e.kind, e.kind)),
            "status": _t(request, STATUS_LABELS[e.to_status])
            if e.to_status in STATUS_LABELS
            else "",
            "note": _t(request, SYSTEM_NOTES[e.note])
            if e.actor == lifecycle.PERSON and e.note in SYSTEM_NOTES
            else e.note or "",
            "actor": _t(request, PERSON)
            if e.actor == lifecycle.PERSON
            else actors.get(e.actor, e.actor),
            "css": e.kind,
        }
        for e in referral_service.timeline(ref)
    ]
    allowed = referral_service.allowed_next(ref)
    actions = [(to, _t(request, ACTIONS[to])) for to in allowed if to in ACTIONS]
    # A reason for a form the page no longer shows (e.g. the status moved on) goes on top.
    shown = {f"status-{to}" for to, _label in actions}
    shown |= {"note"} if ref.status != "withdrawn" else set()
    shown |= {"message"} if referral_service.reachable(ref) else set()
    shown |= {"onward"} if "handed_on" in allowed else set()
    errors = dict(errors or {})
    orphans = [errors.pop(k) for k in list(errors) if k not in shown]
    if orphans:
        errors["page"] = " ".join(orphans)
    return render(
        request,
        "referral.html",
        {
            "section": "referrals",
            "ref": ref,
            "shared": shared,
            "language": _language_name(ref.locale, page_locale),
            "interpreter": str(interpreter.get("answer", "")) if interpreter else None,
            "contact_way": _t(request, CONTACT_LABELS.get(ref.contact_via, ref.contact_via)),
            "events": events,
            "seen": referral_service.last_event_id(ref),
            "actions": actions,
            "can_hand_on": "handed_on" in allowed,
            "urgent": referral_service.urgent_open(ref),
            "urgent_topic": next((e["note"] for e in reversed(events) if e["css"] == "urgent"), ""),
            "reachable": referral_service.reachable(ref),
            "open": ref.status not in lifecycle.TERMINAL,
            "note_labels": _labels(request, NOTE_LABELS),
            "status_labels": _labels(request, STATUS_LABELS),
            "errors": errors,
            "values": values or {},
            "done": _t(request, DONE[done]) if done in DONE else None,
            "max_text": lifecycle.MAX_RELAY,
            "max_addressee": MAX_ADDRESSEE,
            "max_place": MAX_PLACE,
        },
        status=status,
    )


@router.get("/{referral_id}")
async def detail(request: Request, referral_id: Id, who: Counsellor, s: DbSession) -> Response:
    ref = await referral_service.read(s, who, referral_id)
    return await detail_page(request, s, ref, done=request.query_params.get("ok"))
