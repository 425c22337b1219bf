"""Translations of the offer texts (title, summary, hours, cost, what to bring, capacity
note, directions) per language, with their review status: read them, replace one language's,
and see the coverage of a catalogue per language (offers/texts.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.audit import audit
from admin_api.deps import MAX_ID, AdminOrGfs, AnyStaff, DbSession, Id, Principal, get_scoped
from admin_api.errors import ERROR_RESPONSES, invalid
from admin_api.schemas import CLEAN, Strict, bounded, with_examples
from offers.texts import (
    OFFER_LOCALES,
    TRANSLATED_FIELDS,
    TextError,
    catalogue_coverage,
    is_current,
    set_texts,
    texts_of,
)
from store.models import Offer

router = APIRouter(prefix="/offers", tags=["offer translations"], responses=ERROR_RESPONSES)

Status = Literal["draft", "reviewed", "outdated"]
Field_ = Literal[
    "title", "summary", "opening_hours", "cost", "what_to_bring", "capacity_note", "directions"
]
OfferLocale = Annotated[
    str,
    Path(
        pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$",
        description="a language offers are translated into",
        examples=["ar"],
        json_schema_extra={"enum": list(OFFER_LOCALES)},
    ),
]


class TextOut(BaseModel):
    text: str
    status: Status = Field(
        description="draft (machine draft), reviewed, or outdated: made "
        "from a German text that has changed since, so not shown"
    )


class OfferTextsOut(BaseModel):
    offer_id: int
    texts: dict[str, dict[str, TextOut]] = Field(description="language → field → translation")
    missing: dict[str, list[str]] = Field(
        description="language → fields with a German text but no current translation"
    )


class TextIn(Strict):
    text: Annotated[str, bounded(300), CLEAN]
    reviewed: bool = False


class LanguageTextsIn(Strict):
    """One language's translations of an offer; a field not sent (or sent empty) has none."""

    texts: Annotated[dict[Field_, TextIn], Field(max_length=len(TRANSLATED_FIELDS))]

    model_config = with_examples(
        {
            "texts": {
                "title": {"text": "دورة ألمانية مسائية", "reviewed": True},
                "summary": {"text": "تعلّم الألمانية في المساء، للمبتدئين."},
            }
        }
    )


class CoverageOut(BaseModel):
    locale: str
    texts: int = Field(description="German texts of the catalogue that need a translation")
    translated: int
    reviewed: int
    outdated: int
    missing: int
    offers: int
    offers_complete: int = Field(description="offers with every text translated")


async def offer_texts(s: AsyncSession, offer: Offer) -> OfferTextsOut:
    rows = (await texts_of(s, [offer.id]))[offer.id]
    found: dict[str, dict[str, TextOut]] = {}
    for t in rows:
        if t.locale not in OFFER_LOCALES or t.field not in TRANSLATED_FIELDS:
            continue
        status: Status = (
            "outdated" if not is_current(offer, t) else "reviewed" if t.reviewed else "draft"
        )
        found.setdefault(t.locale, {})[t.field] = TextOut(text=t.text, status=status)
    needed = [n for n in TRANSLATED_FIELDS if getattr(offer, n)]
    missing = {}
    for locale in OFFER_LOCALES:
        have = found.get(locale, {})
        gaps = [n for n in needed if n not in have or have[n].status == "outdated"]
        if gaps:
            missing[locale] = gaps
    return OfferTextsOut(offer_id=offer.id, texts=found, missing=missing)


async def save_language(
    s: AsyncSession, who: Principal, offer_id: int, locale: str, body: LanguageTextsIn
) -> Offer:
    """Replace one language's translations of an offer, audited."""
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    if locale not in OFFER_LOCALES:
        raise invalid(f"unknown language {locale!r}; known: {', '.join(OFFER_LOCALES)}", "locale")
    values = {name: ("", False) for name in TRANSLATED_FIELDS}
    values.update({name: (t.text, t.reviewed) for name, t in body.texts.items()})
    try:
        await set_texts(s, offer, locale, values)
    except TextError as e:
        raise invalid(str(e), "texts") from None
    await audit(s, who, "translate", "offer", f"{offer.id}:{locale}")
    await s.commit()
    return offer


@router.get(
    "/texts/coverage",
    response_model=list[CoverageOut],
    summary="Per language: how much of the catalogue is translated and reviewed",
)
async def coverage(
    who: AdminOrGfs,
    s: DbSession,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[CoverageOut]:
    scope = buendnis_id if who.is_admin else who.buendnis_id
    found = await catalogue_coverage(s, scope)
    return [
        CoverageOut(
            locale=c.locale,
            texts=c.texts,
            translated=c.translated,
            reviewed=c.reviewed,
            outdated=c.outdated,
            missing=c.missing,
            offers=c.offers,
            offers_complete=c.offers_complete,
        )
        for c in found
    ]


@router.get(
    "/{offer_id}/texts",
    response_model=OfferTextsOut,
    summary="An offer's translations, their review status, and which are missing",
)
async def get_texts(offer_id: Id, who: AnyStaff, s: DbSession) -> OfferTextsOut:
    offer = await get_scoped(s, who, Offer, offer_id, "offer")
    return await offer_texts(s, offer)


@router.put(
    "/{offer_id}/texts/{locale}",
    response_model=OfferTextsOut,
    summary="Replace one language's translations of an offer",
)
async def put_texts(
    offer_id: Id, locale: OfferLocale, body: LanguageTextsIn, who: AdminOrGfs, s: DbSession
) -> OfferTextsOut:
    offer = await save_language(s, who, offer_id, locale, body)
    return await offer_texts(s, offer)
