"""Translations of the offer texts for the GfS: which languages are missing (for the whole
catalogue and per offer), and one offer's texts edited per language next to the German
source, each marked as draft or reviewed. The logic is the JSON API's
(`offers/text_service.py`): same scoping, validation and audit."""

from __future__ import annotations

from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from access.errors import Invalid
from access.scope import get_scoped
from admin_api.deps import DbSession, Id
from admin_api.schemas_offers import LanguageTextsIn
from admin_api.web.i18n import S_, gettext_for, locale_of
from admin_api.web.session import CheckedForm, Coordinator
from admin_api.web.templating import redirect, render
from offers.text_service import offer_texts, save_language
from offers.texts import OFFER_LOCALES, TRANSLATED_FIELDS, catalogue_coverage
from store.models import Offer

router = APIRouter(prefix="/staff", include_in_schema=False)

SECTION = "offers"
FIELD_LABELS = {
    "title": S_("Titel"),
    "summary": S_("In einem Satz"),
    "opening_hours": S_("Öffnungszeiten"),
    "cost": S_("Kosten"),
    "what_to_bring": S_("Mitzubringen"),
    "capacity_note": S_("Kapazitäten"),
    "directions": S_("Anfahrt"),
}
SAVED = S_("Die Übersetzung (%(language)s) ist gespeichert.")
TOO_LONG = S_("Zu lang (höchstens 300 Zeichen).")
INVALID = S_("Ungültige Eingabe.")


def language_name(code: str, page_locale: str) -> str:
    try:
        name = Locale.parse(code).get_display_name(page_locale) or code
    except (ValueError, UnknownLocaleError):
        name = code
    return f"{name} ({code})"


@router.get("/offers/uebersetzungen")
async def coverage_page(request: Request, who: Coordinator, s: DbSession) -> Response:
    """Per language: how much of the catalogue is translated, reviewed, outdated or missing."""
    rows = await catalogue_coverage(s, None if who.is_admin else who.buendnis_id)
    page_locale = locale_of(request)
    ids = {i for c in rows for i in c.missing_offers[:20]}
    found = await s.execute(select(Offer.id, Offer.title).where(Offer.id.in_(ids)))
    titles = {int(i): str(t) for i, t in found.all()}
    languages = [
        {
            "code": c.locale,
            "name": language_name(c.locale, page_locale),
            "coverage": c,
            "percent": 100 if not c.texts else round(100 * c.translated / c.texts),
            "missing": [(i, titles.get(i, str(i))) for i in c.missing_offers[:20]],
            "more": max(0, len(c.missing_offers) - 20),
        }
        for c in rows
    ]
    return render(request, "offer_coverage.html", {"section": SECTION, "languages": languages})


async def _texts_page(
    request: Request,
    s: DbSession,
    offer: Offer,
    lang: str,
    *,
    values: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    found = await offer_texts(s, offer)
    page_locale = locale_of(request)
    current = found.texts.get(lang, {})
    fields = []
    for name in TRANSLATED_FIELDS:
        german = getattr(offer, name) or ""
        if not german:
            continue
        have = current.get(name)
        shown = values.get(name) if values else None
        fields.append(
            {
                "name": name,
                "label": gettext_for(request, FIELD_LABELS[name]),
                "german": german,
                "text": shown["text"]
                if shown
                else (have.text if have and have.status != "outdated" else ""),
                "reviewed": shown["reviewed"]
                if shown
                else bool(have and have.status == "reviewed"),
                "outdated": have.text if have and have.status == "outdated" else "",
            }
        )
    languages = [
        {
            "code": code,
            "name": language_name(code, page_locale),
            "missing": len(found.missing.get(code, [])),
            "reviewed": sum(
                1 for t in found.texts.get(code, {}).values() if t.status == "reviewed"
            ),
        }
        for code in OFFER_LOCALES
    ]
    context = {
        "section": SECTION,
        "offer": offer,
        "lang": lang,
        "lang_name": language_name(lang, page_locale),
        "rtl": lang in ("ar", "fa", "fa_AF", "ps", "ckb", "ur"),
        "fields": fields,
        "languages": languages,
        "errors": errors or {},
        "notice": notice,
    }
    return render(request, "offer_texts.html", context, status=status)


@router.get("/offers/{offer_id}/texts")
async def texts_form(
    request: Request,
    offer_id: Id,
    who: Coordinator,
    s: DbSession,
    lang: Annotated[str, Query(max_length=8)] = "",
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    lang = lang if lang in OFFER_LOCALES else OFFER_LOCALES[0]
    notice = ""
    if done == "saved":
        notice = gettext_for(request, SAVED, language=language_name(lang, locale_of(request)))
    return await _texts_page(request, s, offer, lang, notice=notice)


@router.post("/offers/{offer_id}/texts")
async def save_texts(
    request: Request, offer_id: Id, who: Coordinator, s: DbSession, form: CheckedForm
) -> Response:
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    lang = form.get("lang", "")
    if lang not in OFFER_LOCALES:
        lang = OFFER_LOCALES[0]
    sent = {
        name: {"text": form.get(f"text_{name}", ""), "reviewed": form.get(f"ok_{name}") == "1"}
        for name in TRANSLATED_FIELDS
        if f"text_{name}" in form
    }
    try:
        texts = {k: v for k, v in sent.items() if str(v["text"]).strip()}
        body = LanguageTextsIn.model_validate({"texts": texts})
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            loc = [str(x) for x in item["loc"]]
            name = next((x for x in loc if x in TRANSLATED_FIELDS), "")
            message = TOO_LONG if item["type"] == "string_too_long" else INVALID
            errors.setdefault(name, gettext_for(request, message))
        return await _texts_page(request, s, offer, lang, values=sent, errors=errors, status=422)
    try:
        await save_language(s, who, offer.id, lang, body.values())
    except Invalid:
        await s.rollback()
        offer = await get_scoped(s, who, Offer, offer_id, "offer")
        errors = {"": gettext_for(request, INVALID)}
        return await _texts_page(request, s, offer, lang, values=sent, errors=errors, status=422)
    return redirect(f"/staff/offers/{offer.id}/texts?lang={lang}&done=saved")
