"""Survey waves for the GfS (its Bündnis) and admin (all): list with response counts, create a
draft wave, open, close and send invitations — the JSON API's functions
(`surveys/service.py`), so the same checks and audit apply."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from access.errors import Conflict, Invalid, NotFound
from access.scope import Principal
from admin_api.deps import MAX_ID, DbSession, Id, survey_config
from admin_api.errors import refused_status
from admin_api.schemas_surveys import WaveIn
from admin_api.web.i18n import S_, gettext_for
from admin_api.web.session import CheckedForm, Coordinator
from admin_api.web.templating import redirect, render
from store.models import Buendnis
from surveys.service import find_waves, invite_to_wave, new_wave, set_wave_status

router = APIRouter(prefix="/staff", include_in_schema=False)
SECTION = "waves"

STATUS_LABELS = {"draft": S_("Entwurf"), "open": S_("offen"), "closed": S_("geschlossen")}
DONE = {
    "created": S_("Die Welle „%(title)s“ ist als Entwurf angelegt."),
    "open": S_("Die Welle „%(title)s“ ist geöffnet."),
    "closed": S_("Die Welle „%(title)s“ ist geschlossen."),
}
INVITED = S_("%(count)s Einladungen wurden in den Versand gegeben.")
CONFLICTS = {
    "code_taken": S_("Dieser Startcode ist schon vergeben."),
    "invalid_transition": S_("Dieser Schritt ist für die Welle in ihrem Zustand nicht möglich."),
    "wave_not_open": S_("Einladungen gibt es nur für offene Wellen."),
    "not_configured": S_("Einladungen sind auf diesem Server nicht eingerichtet."),
    "flow_not_loaded": S_("Der Fragebogen dieser Welle ist auf dem Server nicht geladen."),
    "wave_not_closed": S_(
        "Ergebnisse gibt es ab dem zweiten Tag nach dem Schließen der Welle: zwei Auswertungen"
        " einer laufenden Welle würden zeigen, was eine Person dazwischen geantwortet hat."
    ),
}
TITLE_ERROR = S_("Bitte einen Titel mit höchstens 200 Zeichen eingeben.")
CODE_ERROR = S_("Nur Buchstaben, Ziffern, - und _, höchstens 64 Zeichen.")
FLOW_ERROR = S_("Bitte einen Fragebogen auswählen.")
BUENDNIS_ERROR = S_("Bitte ein Bündnis auswählen.")
FORM_FIELDS = ("title", "code", "flow_id", "buendnis_id")
FIELD_MESSAGES = {"flow_id": FLOW_ERROR, "code": CODE_ERROR, "buendnis_id": BUENDNIS_ERROR}
FAILED = S_("Das hat nicht geklappt.")


async def _page(
    request: Request,
    s: DbSession,
    who: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    done: str = "",
    wave_id: int | None = None,
    notice: str = "",
    problem: str = "",
    status: int = 200,
) -> Response:
    waves, _total = await find_waves(s, who, limit=500)
    flows = survey_config(request).survey_flows()
    buendnisse = (
        list(await s.scalars(select(Buendnis).order_by(Buendnis.name))) if who.is_admin else []
    )
    changed = next((w for w in waves if w.id == wave_id), None)
    if done in DONE and changed is not None:
        notice = gettext_for(request, DONE[done], title=changed.title)
    empty = {"title": "", "code": "", "flow_id": next(iter(flows), ""), "buendnis_id": ""}
    context: dict[str, Any] = {
        "section": SECTION,
        "waves": list(reversed(waves)),
        "flows": flows,
        "buendnisse": buendnisse,
        "status_labels": STATUS_LABELS,
        "values": values or empty,
        "errors": errors or {},
        "notice": notice,
        "problem": problem,
    }
    return render(request, "waves.html", context, status=status)


@router.get("/waves")
async def waves(
    request: Request,
    who: Coordinator,
    s: DbSession,
    done: Annotated[str, Query(max_length=10)] = "",
    id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    invited: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Response:
    """The waves; `done` + `id` or `invited` report the POST that redirected here."""
    notice = gettext_for(request, INVITED, count=invited) if invited is not None else ""
    return await _page(request, s, who, done=done, wave_id=id, notice=notice)


@router.post("/waves")
async def create(request: Request, who: Coordinator, s: DbSession, form: CheckedForm) -> Response:
    values = {k: form.get(k, "").strip() for k in ("title", "code", "flow_id", "buendnis_id")}
    chosen = values["buendnis_id"]
    try:
        body = WaveIn(
            title=values["title"],
            code=values["code"] or None,
            flow_id=values["flow_id"],
            buendnis_id=int(chosen) if who.is_admin and chosen.isdigit() else None,
        )
    except ValidationError as error:
        fields = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
        messages = {
            "title": TITLE_ERROR,
            "code": CODE_ERROR,
            "flow_id": FLOW_ERROR,
            "buendnis_id": BUENDNIS_ERROR,
        }
        errors = {f: gettext_for(request, messages[f]) for f in fields if f in messages}
        return await _page(request, s, who, values=values, errors=errors, status=422)
    try:
        wave = await new_wave(
            s,
            who,
            survey_config(request),
            buendnis_id=body.buendnis_id,
            flow_id=body.flow_id,
            title=body.title,
            code=body.code,
        )
    except (NotFound, Conflict, Invalid) as error:
        await s.rollback()
        field = error.field if error.field in FORM_FIELDS else "title"
        message = CONFLICTS.get(error.code) or FIELD_MESSAGES.get(field, TITLE_ERROR)
        errors = {field: gettext_for(request, message)}
        # a choice the form lacks or does not offer is a wrong form, not a missing page
        form_choice = error.field == "flow_id" or error.code == "scope_conflict"
        status = 422 if form_choice else refused_status(error)
        return await _page(request, s, who, values=values, errors=errors, status=status)
    return redirect(f"/staff/waves?done=created&id={wave.id}")


async def _transition(
    request: Request, s: DbSession, who: Principal, wave_id: int, status: str
) -> Response:
    try:
        wave = await set_wave_status(s, who, survey_config(request), wave_id, status)
    except Conflict as error:
        problem = gettext_for(request, CONFLICTS.get(error.code, FAILED))
        return await _page(request, s, who, problem=problem, status=409)
    return redirect(f"/staff/waves?done={status}&id={wave.id}")


@router.post("/waves/{wave_id}/open")
async def open_wave(
    request: Request, wave_id: Id, who: Coordinator, s: DbSession, _form: CheckedForm
) -> Response:
    return await _transition(request, s, who, wave_id, "open")


@router.post("/waves/{wave_id}/close")
async def close_wave(
    request: Request, wave_id: Id, who: Coordinator, s: DbSession, _form: CheckedForm
) -> Response:
    return await _transition(request, s, who, wave_id, "closed")


@router.post("/waves/{wave_id}/invitations")
async def invite(
    request: Request, wave_id: Id, who: Coordinator, s: DbSession, _form: CheckedForm
) -> Response:
    try:
        queued = await invite_to_wave(s, who, survey_config(request), wave_id)
    except Conflict as error:
        problem = gettext_for(request, CONFLICTS.get(error.code, FAILED))
        return await _page(request, s, who, problem=problem, status=409)
    return redirect(f"/staff/waves?invited={queued}")
