"""Entry points for the GfS (its Bündnis) and admin (all): the start codes with their links and
anonymous scan counts, a form to create one for a poster or a multiplier, and the printable
A4 poster (PDF or PNG) of each (`entries/`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from access.audit import audit
from access.errors import Forbidden, NotFound
from access.scope import Principal
from admin_api.deps import DbSession, Id, survey_config
from admin_api.web.i18n import S_, gettext_for
from admin_api.web.session import CheckedForm, Coordinator
from admin_api.web.templating import redirect, render
from entries import points
from entries.points import EntryError, Links
from entries.poster import Poster, PosterError, draw
from store.models import Buendnis, SurveyWave

router = APIRouter(prefix="/staff", include_in_schema=False)
SECTION = "entries"

CREATED = S_("Der Startcode %(code)s ist angelegt. Das Plakat steht in der Liste.")
ERRORS = {
    "source": S_(
        "Bitte angeben, wo der Code hängt oder wer ihn weitergibt (höchstens 120 Zeichen)."
    ),
    "flow": S_("Bitte auswählen, womit das Gespräch beginnt."),
    "buendnis": S_("Bitte ein Bündnis auswählen."),
}
NO_POSTER = S_(
    "Für ein Plakat fehlt auf diesem Server der Name des Telegram-Bots und die öffentliche "
    "Adresse des Web-Chats (WEGWEISER_TELEGRAM_BOT_USERNAME, WEGWEISER_PUBLIC_URL)."
)
POSTER_FAILED = S_("Das Plakat kann auf diesem Server gerade nicht erstellt werden.")
MEDIA = {"pdf": "application/pdf", "png": "image/png"}


def links_of(request: Request) -> Links:
    links: Links = getattr(request.app.state, "links", None) or Links()
    return links


async def _page(
    request: Request,
    s: DbSession,
    who: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    problem: str = "",
    status: int = 200,
) -> Response:
    config = survey_config(request)
    scope = None if who.is_admin else who.buendnis_id
    entries = await points.find(s, scope)
    waves = select(SurveyWave).where(SurveyWave.status != "closed").order_by(SurveyWave.id)
    if scope is not None:
        waves = waves.where(SurveyWave.buendnis_id == scope)
    targets = points.start_flows(config.flows) | {
        str(w.id): gettext_for(request, S_("Befragung: %(title)s"), title=w.title)
        for w in await s.scalars(waves)
    }
    links = links_of(request)
    context: dict[str, Any] = {
        "section": SECTION,
        "entries": [
            (e, links.telegram(e.code), links.webchat(e.code), _target(e, targets)) for e in entries
        ],
        "targets": targets,
        "buendnisse": list(await s.scalars(select(Buendnis).order_by(Buendnis.name)))
        if who.is_admin
        else [],
        "can_print": bool(links.telegram("x") or links.webchat("x")),
        "values": values or {"source": "", "flow": "erstberatung", "buendnis_id": ""},
        "errors": errors or {},
        "notice": notice,
        "problem": problem,
        "no_poster": gettext_for(request, NO_POSTER),
    }
    return render(request, "entries.html", context, status=status)


def _target(entry: points.Entry, targets: dict[str, str]) -> str:
    if entry.wave_id is not None:
        return targets.get(str(entry.wave_id)) or entry.wave_title or str(entry.wave_id)
    return targets.get(entry.flow_id or "", entry.flow_id or "")


@router.get("/entries")
async def entries(
    request: Request,
    who: Coordinator,
    s: DbSession,
    created: Annotated[str, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = "",
) -> Response:
    """The entry points; `created` reports the code the POST before made."""
    notice = gettext_for(request, CREATED, code=created) if created else ""
    return await _page(request, s, who, notice=notice)


@router.post("/entries")
async def create(request: Request, who: Coordinator, s: DbSession, form: CheckedForm) -> Response:
    values = {k: form.get(k, "").strip() for k in ("source", "flow", "buendnis_id")}
    config = survey_config(request)
    chosen = values["buendnis_id"]
    try:
        if who.is_admin and not chosen.isdigit():
            raise EntryError("buendnis", "no Bündnis chosen")
        buendnis_id = int(chosen) if who.is_admin else who.buendnis_id
        if buendnis_id is None:
            raise Forbidden("account has no Bündnis")
        entry = await points.create(s, buendnis_id, values["flow"], values["source"], config.flows)
    except EntryError as error:
        await s.rollback()
        errors = {error.field: gettext_for(request, ERRORS[error.field])}
        return await _page(request, s, who, values=values, errors=errors, status=422)
    await audit(s, who, "create", "entry_point", entry.id)
    await s.commit()
    return redirect(f"/staff/entries?created={entry.code}")


@router.get("/entries/{entry_id}/poster.{fmt}")
async def poster(
    request: Request, entry_id: Id, fmt: str, who: Coordinator, s: DbSession
) -> Response:
    """The printable A4 poster of an entry point of the user's Bündnis."""
    if fmt not in MEDIA:
        raise NotFound("poster format", "fmt")
    scope = None if who.is_admin else who.buendnis_id
    entry = next((e for e in await points.find(s, scope) if e.id == entry_id), None)
    if entry is None:
        raise NotFound("entry point", "entry_id")
    links = links_of(request)
    shown = Poster(
        entry.buendnis, entry.code, links.telegram(entry.code), links.webchat(entry.code)
    )
    try:
        data = draw(shown, fmt)
    except PosterError:  # fonts or text layout missing on the server
        return await _page(request, s, who, problem=gettext_for(request, POSTER_FAILED), status=409)
    name = f"plakat-{entry.code}.{fmt}"
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
