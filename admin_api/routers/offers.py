"""The offer catalogue (Angebote) of a Bündnis over HTTP: gfs maintains its own, admin all;
servicestelle staff read their Bündnis's offers (for onward referral). The rules and the audit
are `offers/service.py`'s."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from access.scope import get_scoped
from admin_api.deps import MAX_ID, AdminOrGfs, AnyStaff, DbSession, Id, Limit, Offset
from admin_api.errors import ERROR_RESPONSES
from admin_api.schemas import Page
from admin_api.schemas_offers import OfferIn, OfferOut, OfferPatch
from offers.service import (
    add_offer,
    catalogue_offers,
    check_offer,
    remove_offer,
    unchecked,
    update_offer,
)
from store.models import Offer

router = APIRouter(prefix="/offers", tags=["offers"], responses=ERROR_RESPONSES)


SearchText = Annotated[
    str | None,
    Query(
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="words in title, provider, category or keywords",
    ),
]


@router.get("", response_model=Page[OfferOut], summary="List, filter and search offers")
async def list_offers(
    who: AnyStaff,
    s: DbSession,
    buendnis_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    category: Annotated[str | None, Query(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    need_area: Annotated[str | None, Query(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")] = None,
    gemeinde_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="offers available there")
    ] = None,
    q: SearchText = None,
    unchecked_months: Annotated[
        int | None,
        Query(ge=1, le=120, description="only offers not checked for this many months"),
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[OfferOut]:
    hits = await catalogue_offers(
        s,
        who,
        buendnis_id=buendnis_id,
        category=category,
        need_area=need_area,
        gemeinde_id=gemeinde_id,
        q=q,
        unchecked_months=unchecked_months,
    )
    items = [OfferOut.model_validate(o) for o in hits[offset : offset + limit]]
    return Page(items=items, total=len(hits), limit=limit, offset=offset)


@router.get(
    "/unchecked",
    response_model=Page[OfferOut],
    summary="Offers not checked for N months (default 6), oldest first",
)
async def unchecked_offers(
    who: AdminOrGfs,
    s: DbSession,
    months: Annotated[int, Query(ge=1, le=120)] = 6,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[OfferOut]:
    rows = await unchecked(s, who, months)
    items = [OfferOut.model_validate(o) for o in rows[offset : offset + limit]]
    return Page(items=items, total=len(rows), limit=limit, offset=offset)


RANGES = (
    "Ranges are checked together, which no schema states: age_min must not exceed age_max,"
    " german_min must not be above german_max, valid_from must not be after valid_to"
    " (otherwise 422 `validation_error` naming the first field)."
)


@router.post(
    "", response_model=OfferOut, status_code=201, summary="Add an offer", description=RANGES
)
async def create_offer(body: OfferIn, who: AdminOrGfs, s: DbSession) -> OfferOut:
    fields = body.model_dump(exclude={"buendnis_id"})
    return OfferOut.model_validate(await add_offer(s, who, body.buendnis_id, fields))


@router.get("/{offer_id}", response_model=OfferOut, summary="One offer")
async def get_offer(offer_id: Id, who: AnyStaff, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await get_scoped(s, who, Offer, offer_id, "offer"))


@router.patch(
    "/{offer_id}",
    response_model=OfferOut,
    summary="Change an offer (send null to clear ages, dates or last_checked)",
    description=RANGES + " A change is checked with the offer's other values.",
)
async def patch_offer(offer_id: Id, body: OfferPatch, who: AdminOrGfs, s: DbSession) -> OfferOut:
    sent = body.model_dump(exclude_unset=True)
    return OfferOut.model_validate(await update_offer(s, who, offer_id, sent))


@router.post(
    "/{offer_id}/checked",
    response_model=OfferOut,
    summary="Mark an offer as checked today (sets last_checked)",
)
async def mark_checked(offer_id: Id, who: AdminOrGfs, s: DbSession) -> OfferOut:
    return OfferOut.model_validate(await check_offer(s, who, offer_id))


@router.delete("/{offer_id}", status_code=204, summary="Remove an offer")
async def delete_offer(offer_id: Id, who: AdminOrGfs, s: DbSession) -> Response:
    await remove_offer(s, who, offer_id)
    return Response(status_code=204)
