"""Translations of the offer texts (title, summary, hours, cost, what to bring, capacity
note, directions) per language, with their review status: read them, replace one language's,
and see the coverage of a catalogue per language (offers/texts.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from access.scope import get_scoped
from admin_api.deps import MAX_ID, AdminOrGfs, AnyStaff, DbSession, Id
from admin_api.errors import ERROR_RESPONSES
from admin_api.schemas_offers import LanguageTextsIn
from offers.text_service import OfferTexts, Status, offer_texts, save_language
from offers.texts import OFFER_LOCALES, catalogue_coverage
from store.models import Offer

router = APIRouter(prefix="/offers", tags=["offer translations"], responses=ERROR_RESPONSES)

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


class CoverageOut(BaseModel):
    locale: str
    texts: int = Field(description="German texts of the catalogue that need a translation")
    translated: int
    reviewed: int
    outdated: int
    missing: int
    offers: int
    offers_complete: int = Field(description="offers with every text translated")


def _out(found: OfferTexts) -> OfferTextsOut:
    return OfferTextsOut.model_validate(asdict(found))


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
    return _out(await offer_texts(s, offer))


@router.put(
    "/{offer_id}/texts/{locale}",
    response_model=OfferTextsOut,
    summary="Replace one language's translations of an offer",
)
async def put_texts(
    offer_id: Id, locale: OfferLocale, body: LanguageTextsIn, who: AdminOrGfs, s: DbSession
) -> OfferTextsOut:
    offer = await save_language(s, who, offer_id, locale, body.values())
    return _out(await offer_texts(s, offer))
