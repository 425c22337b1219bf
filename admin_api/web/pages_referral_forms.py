"""The Servicestelle's forms on one referral: a note, a message to the person, a status
change, an onward referral. A refused form shows the referral again with the German reason
and the typed text kept; nothing of it is written."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from access.scope import Principal
from admin_api.deps import DbSession, Id
from admin_api.web.i18n import S_, gettext_for
from admin_api.web.pages_referrals import (
    ACTIONS,
    MAX_ADDRESSEE,
    MAX_PLACE,
    NOTE_LABELS,
    STATUS_LABELS,
    detail_page,
)
from admin_api.web.session import CheckedForm, Counsellor
from admin_api.web.templating import LOCAL_TIME, redirect
from referrals import lifecycle
from referrals import service as referral_service
from store.models import Referral

router = APIRouter(prefix="/staff/referrals", include_in_schema=False)

TEXT_MISSING = S_("Bitte geben Sie einen Text ein.")
TEXT_TOO_LONG = S_("Der Text ist zu lang: höchstens %(max)s Zeichen.")
STALE = S_(
    "Der Verweis wurde inzwischen geändert. Bitte prüfen Sie den aktuellen Stand unten und "
    "versuchen Sie es dann noch einmal."
)
NOT_ALLOWED = S_("Dieser Statuswechsel ist beim Status „%(status)s“ nicht möglich.")
FINISHED = S_("Der Verweis ist abgeschlossen; hier kann nichts mehr eingetragen werden.")
UNREACHABLE = S_("Die Person ist über den Chat nicht mehr erreichbar.")
DATE_MISSING = S_("Bitte geben Sie Datum und Uhrzeit des Termins an.")
DATE_INVALID = S_("Bitte geben Sie ein gültiges Datum (TT.MM.JJJJ) und eine Uhrzeit (HH:MM) an.")
DATE_PAST = S_("Der Termin liegt in der Vergangenheit.")
OUTCOME_MISSING = S_("Bitte geben Sie das Ergebnis an.")
REASON_MISSING = S_("Bitte geben Sie eine Begründung an.")
ADDRESSEE_MISSING = S_("Bitte geben Sie an, an wen Sie die Person weitervermitteln.")


async def _refused(
    request: Request,
    s: AsyncSession,
    who: Principal,
    referral_id: int,
    form_name: str,
    message: str,
    form: dict[str, str],
    status: int,
) -> Response:
    """The detail page again (an audited read, as it shows the data), with the reason next
    to the form and what was typed still in it."""
    ref = await referral_service.read(s, who, referral_id)
    return await detail_page(
        request, s, ref, errors={form_name: message}, values=form, status=status
    )


def _reason(request: Request, exc: lifecycle.ReferralError, ref_status: str | None) -> str:
    if isinstance(exc, referral_service.Stale):
        return gettext_for(request, STALE)
    if isinstance(exc, lifecycle.InvalidTransition):
        label = gettext_for(request, STATUS_LABELS.get(ref_status or "", ref_status or ""))
        return gettext_for(request, NOT_ALLOWED, status=label)
    if isinstance(exc, lifecycle.Unreachable):
        return gettext_for(request, UNREACHABLE)
    if str(exc).startswith("referral is "):
        return gettext_for(request, FINISHED)
    return gettext_for(request, TEXT_MISSING)


def _text_problem(request: Request, text: str, limit: int) -> str | None:
    if not text.strip():
        return gettext_for(request, TEXT_MISSING)
    if len(text.strip()) > limit:
        return gettext_for(request, TEXT_TOO_LONG, max=limit)
    return None


def _seen(form: dict[str, str]) -> int:
    raw = form.get("seen", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else -1  # -1: never matches: stale


async def _current_status(s: AsyncSession, referral_id: int) -> str | None:
    return await s.scalar(select(Referral.status).where(Referral.id == referral_id))


@router.post("/{referral_id}/notiz")
async def add_note(
    request: Request, referral_id: Id, who: Counsellor, s: DbSession, form: CheckedForm
) -> Response:
    text = form.get("text", "")
    problem = _text_problem(request, text, lifecycle.MAX_RELAY)
    if problem is None:
        try:
            await referral_service.add_note(s, who, referral_id, text)
        except lifecycle.ReferralError as exc:
            problem = _reason(request, exc, await _current_status(s, referral_id))
    if problem is not None:
        return await _refused(request, s, who, referral_id, "note", problem, form, 422)
    return redirect(f"/staff/referrals/{referral_id}?ok=note#verlauf")


@router.post("/{referral_id}/nachricht")
async def send_message(
    request: Request, referral_id: Id, who: Counsellor, s: DbSession, form: CheckedForm
) -> Response:
    text = form.get("text", "")
    problem = _text_problem(request, text, lifecycle.MAX_RELAY)
    status = 422
    if problem is None:
        try:
            await referral_service.relay(s, who, referral_id, text)
        except lifecycle.ReferralError as exc:
            problem, status = _reason(request, exc, await _current_status(s, referral_id)), 409
    if problem is not None:
        return await _refused(request, s, who, referral_id, "message", problem, form, status)
    return redirect(f"/staff/referrals/{referral_id}?ok=message#verlauf")


def _appointment_note(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """(note, problem): date and time (and an optional place) as the person will read it."""
    day, time, place = (form.get(k, "").strip() for k in ("date", "time", "place"))
    if not day or not time:
        return None, gettext_for(request, DATE_MISSING)
    try:
        date = (
            dt.datetime.strptime(day, "%d.%m.%Y").date()
            if "." in day
            else dt.date.fromisoformat(day)
        )
        when = dt.datetime.combine(date, dt.time.fromisoformat(time))
    except ValueError:
        return None, gettext_for(request, DATE_INVALID)
    if when.date() < dt.datetime.now(LOCAL_TIME).date():
        return None, gettext_for(request, DATE_PAST)
    if len(place) > MAX_PLACE:
        return None, gettext_for(request, TEXT_TOO_LONG, max=MAX_PLACE)
    note = when.strftime("%d.%m.%Y, %H:%M")
    return (f"{note}, {place}" if place else note), None


@router.post("/{referral_id}/status")
async def change_status(
    request: Request, referral_id: Id, who: Counsellor, s: DbSession, form: CheckedForm
) -> Response:
    to = form.get("to", "")
    note: str | None = None
    problem: str | None = None
    if to not in ACTIONS:
        problem = gettext_for(request, NOT_ALLOWED, status=to[:40])
    elif to == "appointment":
        note, problem = _appointment_note(request, form)
    elif to in NOTE_LABELS:
        note = form.get("note", "").strip()
        missing = OUTCOME_MISSING if to == "closed" else REASON_MISSING
        problem = (
            gettext_for(request, missing)
            if not note
            else _text_problem(request, note, lifecycle.MAX_RELAY)
        )
    status = 422
    if problem is None:
        try:
            await referral_service.change_status(
                s, who, referral_id, to, note, seen_event=_seen(form)
            )
        except lifecycle.ReferralError as exc:
            problem, status = _reason(request, exc, await _current_status(s, referral_id)), 409
    if problem is not None:
        return await _refused(request, s, who, referral_id, f"status-{to}", problem, form, status)
    return redirect(f"/staff/referrals/{referral_id}?ok=status")


@router.post("/{referral_id}/weitervermittlung")
async def hand_on(
    request: Request, referral_id: Id, who: Counsellor, s: DbSession, form: CheckedForm
) -> Response:
    addressee = form.get("addressee", "").strip()
    problem = (
        gettext_for(request, ADDRESSEE_MISSING)
        if not addressee
        else _text_problem(request, addressee, MAX_ADDRESSEE)
    )
    status = 422
    if problem is None:
        try:
            await referral_service.hand_on(s, who, referral_id, addressee, seen_event=_seen(form))
        except lifecycle.ReferralError as exc:
            problem, status = _reason(request, exc, await _current_status(s, referral_id)), 409
    if problem is not None:
        return await _refused(request, s, who, referral_id, "onward", problem, form, status)
    return redirect(f"/staff/referrals/{referral_id}?ok=onward")
