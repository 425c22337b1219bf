"""The offer catalogue for the GfS (its Bündnis) and admin (all): list and search, edit an
offer, mark it as checked, CSV/XLSX upload with the validation report (all or nothing) and
download. The logic is the JSON API's (`offers/service.py`, `offers/file_service.py`): same
scoping, validation and audit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from access.errors import Invalid
from access.scope import Principal, get_scoped
from admin_api.deps import DbSession, Id
from admin_api.limits import MAX_UPLOAD
from admin_api.schemas import attachment
from admin_api.schemas_offers import OfferPatch
from admin_api.security import same
from admin_api.web.errors import PageError
from admin_api.web.i18n import S_, gettext_for
from admin_api.web.session import CSRF_FAILED, CSRF_FIELD, CheckedForm, Coordinator
from admin_api.web.templating import redirect, render
from admin_api.web.upload import UploadTooLarge, UploadUnreadable, read_upload
from offers.file_service import FileFormat, export_file, import_file
from offers.io_columns import TEXT_FIELDS, RowError
from offers.service import catalogue_offers, check_offer, months_before, update_offer
from offers.taxonomy import (
    ACCESS_VALUES,
    CATEGORIES,
    GERMAN_LEVELS,
    KNOWN_STATUSES,
    NEED_AREAS,
    STATUSES,
    TOPICS,
)
from places.service import scoped_gemeinden
from store.models import Offer, today

router = APIRouter(prefix="/staff", include_in_schema=False)

STALE_MONTHS = 6  # an offer not checked for this long gets the warning
SECTION = "offers"

ACCESS_LABELS = {"yes": S_("ja"), "no": S_("nein"), "ask": S_("prüfen")}

# Import problems in German, by the reason code of offers/io_rows.py; %(value)s is the cell.
IMPORT_REASONS: dict[str, str] = {
    "not_utf8": S_("Die Datei ist kein UTF-8-Text. Bitte als „CSV UTF-8“ speichern."),
    "bad_csv": S_("Die Datei ist keine lesbare CSV-Datei."),
    "bad_xlsx": S_("Die Datei ist keine lesbare XLSX-Datei."),
    "file_type": S_("Unbekannter Dateityp. Bitte eine .csv- oder .xlsx-Datei hochladen."),
    "unreadable": S_("Die Datei konnte nicht gelesen werden."),
    "no_header": S_("Die Datei hat keine Kopfzeile."),
    "unnamed_column": S_("Eine Spalte hat keinen Namen."),
    "unknown_column": S_("Unbekannte Spalte."),
    "duplicate_column": S_("Die Spalte kommt doppelt vor."),
    "missing_column": S_("Diese Pflichtspalte fehlt."),
    "extra_cells": S_("Die Zeile hat mehr Zellen als die Kopfzeile Spalten."),
    "too_many_rows": S_("Die Datei hat mehr als %(value)s Zeilen."),
    "too_many_columns": S_("Die Datei hat mehr als %(value)s Spalten."),
    "too_large_unpacked": S_("Die Datei ist entpackt zu groß (höchstens %(value)s MB)."),
    "too_slow": S_("Die Datei konnte nicht in %(value)s Sekunden gelesen werden."),
    "empty": S_("Darf nicht leer sein."),
    "too_long": S_("Zu lang (höchstens %(value)s Zeichen)."),
    "not_number": S_("„%(value)s“ ist keine ganze Zahl."),
    "age_range": S_("%(value)s ist kein Alter zwischen 0 und 120."),
    "not_yes_no": S_("„%(value)s“ ist weder ja noch nein."),
    "not_date": S_("„%(value)s“ ist kein Datum (TT.MM.JJJJ oder JJJJ-MM-TT)."),
    "bad_access": S_("„%(value)s“ ist keiner der Werte yes, no, ask (ja, nein, prüfen)."),
    "bad_category": S_("„%(value)s“ ist keine bekannte Kategorie."),
    "bad_need_area": S_("„%(value)s“ ist kein bekanntes Handlungsfeld."),
    "need_area_missing": S_("Mindestens ein Handlungsfeld ist nötig."),
    "bad_gemeinde": S_("„%(value)s“ ist keine Gemeinde dieses Bündnisses."),
    "bad_language": S_("„%(value)s“ ist kein Sprachcode wie de, ar, fa_af."),
    "age_order": S_("Das Höchstalter liegt unter dem Mindestalter."),
    "date_order": S_("„Gültig bis“ liegt vor „Gültig ab“."),
    "buendnis_empty": S_("Kein Bündnis angegeben."),
    "buendnis_other": S_("Die Zeile gehört zum Bündnis „%(value)s“, nicht zu Ihrem."),
    "unknown_buendnis": S_("Unbekanntes Bündnis „%(value)s“."),
    "duplicate_row": S_("Titel und Träger stehen schon in Zeile %(value)s."),
    "bad_german": S_("„%(value)s“ ist kein Deutschniveau (A0, A1, A2, B1, B2, C1)."),
    "german_order": S_("Das Höchstniveau Deutsch liegt unter dem Mindestniveau."),
    "bad_topic": S_("„%(value)s“ ist kein bekanntes Thema."),
    "bad_review": S_("„%(value)s“ ist weder reviewed noch draft noch ein übersetztes Feld."),
}
UNKNOWN_REASON = S_("Ungültiger Wert.")
EMPTY_UPLOAD = S_("Bitte wählen Sie eine Datei aus; die hochgeladene Datei ist leer.")
TOO_LARGE = S_("Die Datei ist zu groß (höchstens %(mb)s MB).")
NOT_A_FORM = S_("Die Datei konnte nicht empfangen werden. Bitte versuchen Sie es noch einmal.")
IMPORTED = S_("Import abgeschlossen: %(created)s neu, %(updated)s aktualisiert.")
CHECKED = S_("„%(title)s“ ist als heute geprüft vermerkt.")
SAVED = S_("Die Änderungen an „%(title)s“ sind gespeichert.")

# Form validation in German, by pydantic's error type.
FIELD_ERRORS: dict[str, str] = {
    "missing": S_("Bitte ausfüllen."),
    "string_too_short": S_("Bitte ausfüllen."),
    "string_too_long": S_("Zu lang (höchstens %(max)s Zeichen)."),
    "int_parsing": S_("Bitte eine ganze Zahl eingeben."),
    "int_type": S_("Bitte eine ganze Zahl eingeben."),
    "greater_than_equal": S_("Bitte eine Zahl zwischen 0 und 120 eingeben."),
    "less_than_equal": S_("Bitte eine Zahl zwischen 0 und 120 eingeben."),
    "date_from_datetime_parsing": S_("Bitte ein Datum eingeben (TT.MM.JJJJ)."),
    "date_parsing": S_("Bitte ein Datum eingeben (TT.MM.JJJJ)."),
    "too_long": S_("Zu viele Einträge."),
    "string_pattern_mismatch": S_("Ungültige Zeichen."),
}
FIELD_INVALID = S_("Ungültige Eingabe.")
RANGE_ERRORS: dict[str, str] = {
    "age_min": S_("Das Mindestalter darf nicht über dem Höchstalter liegen."),
    "valid_from": S_("„Gültig ab“ darf nicht nach „Gültig bis“ liegen."),
    "gemeinde_ids": S_("Diese Gemeinde gehört nicht zu Ihrem Bündnis."),
    "german_min": S_("Das nötige Deutsch darf nicht über dem Höchstniveau liegen."),
    "topics": S_("Unbekanntes Thema."),
}

LIST_FIELDS = ("languages", "keywords")
NUMBER_FIELDS = ("age_min", "age_max")
DATE_FIELDS = ("valid_from", "valid_to", "last_checked")


def stale(offer: Offer, day: dt.date) -> bool:
    """Not checked for STALE_MONTHS months (or never)."""
    return offer.last_checked is None or offer.last_checked < months_before(day, STALE_MONTHS)


def problem_text(request: Request, problem: RowError) -> str:
    """One import problem in the page language."""
    message = IMPORT_REASONS.get(problem.kind, UNKNOWN_REASON)
    return gettext_for(request, message, value=problem.value)


def _offer_form(offer: Offer) -> dict[str, Any]:
    """The values an edit form starts with."""
    values: dict[str, Any] = {name: getattr(offer, name) or "" for name in TEXT_FIELDS}
    values["category"] = offer.category
    values["need_areas"] = {str(a).casefold() for a in offer.need_areas or []}
    values["gemeinde_ids"] = {int(g) for g in offer.gemeinde_ids or []}
    for name in LIST_FIELDS:
        values[name] = ", ".join(getattr(offer, name) or [])
    for name in NUMBER_FIELDS:
        value = getattr(offer, name)
        values[name] = "" if value is None else str(value)
    for name in DATE_FIELDS:
        value = getattr(offer, name)
        values[name] = value.isoformat() if value else ""
    values["access"] = {s: (offer.access or {}).get(s, "ask") for s in KNOWN_STATUSES}
    values["opening_possible"] = offer.opening_possible
    values["german_min"] = offer.german_min or ""
    values["german_max"] = offer.german_max or ""
    values["topics"] = {str(t) for t in offer.topics or []}
    return values


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("|", ",").split(",") if part.strip()]


def _patch_from(form: dict[str, str]) -> dict[str, Any]:
    """The edit form as the JSON API's OfferPatch input (lists, numbers, dates, access)."""
    sent: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    sent["category"] = form.get("category", "")
    sent["need_areas"] = [code for code in NEED_AREAS if form.get(f"need_{code}") == "1"]
    sent["gemeinde_ids"] = [int(k[2:]) for k, v in form.items() if _gemeinde_box(k, v)]
    sent["languages"] = [x.casefold() for x in _split(form.get("languages", ""))]
    sent["keywords"] = _split(form.get("keywords", ""))
    for name in (*NUMBER_FIELDS, *DATE_FIELDS):
        raw = form.get(name, "").strip()
        sent[name] = raw or None
    sent["access"] = {
        s: form.get(f"access_{s}", "ask")
        for s in KNOWN_STATUSES
        if form.get(f"access_{s}", "ask") in ACCESS_VALUES
    }
    sent["opening_possible"] = form.get("opening_possible") == "1"
    for name in ("german_min", "german_max"):
        sent[name] = form.get(name) if form.get(name) in GERMAN_LEVELS else None
    sent["topics"] = [code for code in TOPICS if form.get(f"topic_{code}") == "1"]
    return sent


def _gemeinde_box(name: str, value: str) -> bool:
    return name.startswith("g_") and name[2:].isdigit() and len(name) < 13 and value == "1"


def _form_values(form: dict[str, str], sent: dict[str, Any]) -> dict[str, Any]:
    """What the person typed, to show again next to the errors."""
    values: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    values["category"] = sent["category"]
    values["need_areas"] = set(sent["need_areas"])
    values["gemeinde_ids"] = set(sent["gemeinde_ids"])
    for name in (*LIST_FIELDS, *NUMBER_FIELDS, *DATE_FIELDS):
        values[name] = form.get(name, "")
    values["access"] = {s: sent["access"].get(s, "ask") for s in KNOWN_STATUSES}
    values["opening_possible"] = sent["opening_possible"]
    values["german_min"] = sent["german_min"] or ""
    values["german_max"] = sent["german_max"] or ""
    values["topics"] = set(sent["topics"])
    return values


def _field_errors(request: Request, error: ValidationError) -> dict[str, str]:
    """The first problem per field, in the page language."""
    errors: dict[str, str] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        message = FIELD_ERRORS.get(item["type"], FIELD_INVALID)
        limit = (item.get("ctx") or {}).get("max_length", "")
        errors.setdefault(name, gettext_for(request, message, max=limit))
    return errors


def _catalogue_context(offers: list[Offer], q: str, only_stale: bool) -> dict[str, Any]:
    day = today()
    return {
        "section": SECTION,
        "offers": offers,
        "stale": {o.id for o in offers if stale(o, day)},
        "q": q,
        "only_stale": only_stale,
        "stale_months": STALE_MONTHS,
        "categories": CATEGORIES,
        "need_areas": NEED_AREAS,
        "max_mb": MAX_UPLOAD // (1024 * 1024),
    }


@router.get("/offers")
async def catalogue(
    request: Request,
    who: Coordinator,
    s: DbSession,
    q: Annotated[str, Query(max_length=100)] = "",
    stale_only: Annotated[bool, Query(alias="ungeprueft")] = False,
    done: Annotated[str, Query(max_length=10)] = "",
    id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The catalogue with search; `done` + `id` show the result of a POST that redirected here."""
    text = "".join(c for c in q if c.isprintable()).strip()
    offers = await catalogue_offers(
        s, who, q=text or None, unchecked_months=STALE_MONTHS if stale_only else None
    )
    context = _catalogue_context(offers, text, stale_only)
    notice = ""
    if done in ("checked", "saved") and id is not None:
        offer = next((o for o in offers if o.id == id), None) or await s.get(Offer, id)
        if offer is not None and (who.is_admin or offer.buendnis_id == who.buendnis_id):
            notice = gettext_for(
                request, CHECKED if done == "checked" else SAVED, title=offer.title
            )
    context["notice"] = notice
    return render(request, "offers.html", context)


@router.get("/offers/export")
async def download(who: Coordinator, s: DbSession, format: FileFormat = "csv") -> Response:
    return attachment(await export_file(s, who, format))


@router.post("/offers/import")
async def upload(request: Request, who: Coordinator, s: DbSession) -> Response:
    """CSV or XLSX upload: the validation report, and nothing imported when any row is bad."""
    session = request.state.page_session
    try:
        sent = await read_upload(request, "file", MAX_UPLOAD)
    except UploadTooLarge:
        return _import_page(
            request, error=gettext_for(request, TOO_LARGE, mb=MAX_UPLOAD // 2**20), status=413
        )
    except UploadUnreadable:
        return _import_page(request, error=gettext_for(request, NOT_A_FORM), status=400)
    if not same(sent.fields.get(CSRF_FIELD, ""), session.csrf_token):
        raise PageError(403, CSRF_FAILED)
    if not sent.data:
        return _import_page(request, error=gettext_for(request, EMPTY_UPLOAD), status=422)
    suffix = sent.filename.rsplit(".", 1)[-1].casefold() if "." in sent.filename else ""
    state = request.app.state
    result = await import_file(state.sessions, s, who, sent.data, suffix, limit=state.import_limit)
    if result.report is None:
        problems = [
            {"row": p.row, "column": p.column, "message": problem_text(request, p)}
            for p in result.problems
        ]
        return _import_page(request, filename=sent.filename, problems=problems, status=422)
    report = result.report
    done = gettext_for(request, IMPORTED, created=report.created, updated=report.updated)
    return _import_page(request, filename=sent.filename, done=done)


def _import_page(
    request: Request,
    *,
    filename: str = "",
    problems: list[dict[str, Any]] | None = None,
    error: str = "",
    done: str = "",
    status: int = 200,
) -> Response:
    context = {
        "section": SECTION,
        "filename": filename,
        "problems": problems or [],
        "error": error,
        "done": done,
        "max_mb": MAX_UPLOAD // (1024 * 1024),
    }
    return render(request, "offers_import.html", context, status=status)


async def _edit_page(
    request: Request,
    s: DbSession,
    who: Principal,
    offer: Offer,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    gemeinden = await scoped_gemeinden(s, who, offer.buendnis_id)
    context = {
        "section": SECTION,
        "offer": offer,
        "values": values,
        "errors": errors or {},
        "categories": CATEGORIES,
        "need_areas": NEED_AREAS,
        "gemeinden": gemeinden,
        "statuses": {code: STATUSES[code] for code in KNOWN_STATUSES},
        "german_levels": GERMAN_LEVELS,
        "topics": {code: name for code, (_area, name) in TOPICS.items()},
        "access_labels": ACCESS_LABELS,
        "stale": stale(offer, today()),
        "stale_months": STALE_MONTHS,
    }
    return render(request, "offer_edit.html", context, status=status)


async def _scoped_offer(s: DbSession, who: Principal, offer_id: int) -> Offer:
    return await get_scoped(s, who, Offer, offer_id, "offer")


@router.get("/offers/{offer_id}")
async def edit_form(request: Request, offer_id: Id, who: Coordinator, s: DbSession) -> Response:
    offer = await _scoped_offer(s, who, offer_id)
    return await _edit_page(request, s, who, offer, _offer_form(offer))


@router.post("/offers/{offer_id}")
async def save(
    request: Request, offer_id: Id, who: Coordinator, s: DbSession, form: CheckedForm
) -> Response:
    offer = await _scoped_offer(s, who, offer_id)
    sent = _patch_from(form)
    values = _form_values(form, sent)
    try:
        patch = OfferPatch(**sent)
    except ValidationError as error:
        errors = _field_errors(request, error)
        return await _edit_page(request, s, who, offer, values, errors, status=422)
    try:
        await update_offer(s, who, offer.id, patch.model_dump(exclude_unset=True))
    except Invalid as error:
        await s.rollback()
        offer = await _scoped_offer(s, who, offer_id)
        field = error.field or ""
        message = RANGE_ERRORS.get(field, FIELD_INVALID)
        errors = {field: gettext_for(request, message)}
        return await _edit_page(request, s, who, offer, values, errors, status=422)
    return redirect(f"/staff/offers?done=saved&id={offer.id}")


@router.post("/offers/{offer_id}/checked")
async def mark_checked(
    request: Request, offer_id: Id, who: Coordinator, s: DbSession, _form: CheckedForm
) -> Response:
    offer = await check_offer(s, who, offer_id)
    return redirect(f"/staff/offers?done=checked&id={offer.id}")
