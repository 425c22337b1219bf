"""Bündnisse (tenants): admin creates, changes and removes them; gfs and servicestelle staff
can read their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field
from sqlalchemy import func, select

from access.audit import audit
from access.errors import Conflict
from access.scope import buendnis_filter, get_scoped
from admin_api.deps import Admin, AnyStaff, DbSession, Id, Limit, Offset
from admin_api.errors import ERROR_RESPONSES
from admin_api.schemas import Code, LocaleCode, Name, Orm, Page, Patch, Strict, with_examples
from store.models import (
    Buendnis,
    Gemeinde,
    Offer,
    Referral,
    Servicestelle,
    StaffUser,
    SurveyResponse,
    SurveyWave,
)

router = APIRouter(prefix="/buendnisse", tags=["Bündnisse"], responses=ERROR_RESPONSES)

SuppressionK = Annotated[int, Field(ge=3, le=100, description="small-cell threshold, never < 3")]


class BuendnisIn(Strict):
    code: Code
    name: Name
    default_locale: LocaleCode = "de"
    suppression_k: SuppressionK = 5

    model_config = with_examples(
        {"code": "kreis-wesel", "name": "Bündnis Kreis Wesel", "suppression_k": 5}
    )


class BuendnisPatch(Patch):
    name: Name | None = None
    default_locale: LocaleCode | None = None
    suppression_k: SuppressionK | None = None


class BuendnisOut(Orm):
    id: int
    code: str
    name: str
    default_locale: str
    suppression_k: int
    is_sample: bool


@router.get("", response_model=Page[BuendnisOut], summary="Bündnisse you may see")
async def list_buendnisse(
    who: AnyStaff, s: DbSession, limit: Limit = 100, offset: Offset = 0
) -> Page[BuendnisOut]:
    where = buendnis_filter(who, Buendnis.id)
    total = await s.scalar(select(func.count()).select_from(Buendnis).where(where)) or 0
    rows = await s.scalars(
        select(Buendnis).where(where).order_by(Buendnis.id).limit(limit).offset(offset)
    )
    items = [BuendnisOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("", response_model=BuendnisOut, status_code=201, summary="Create a Bündnis (admin)")
async def create_buendnis(body: BuendnisIn, who: Admin, s: DbSession) -> BuendnisOut:
    if await s.scalar(select(Buendnis.id).where(Buendnis.code == body.code)) is not None:
        raise Conflict("code_taken", "a Bündnis with this code exists", "code")
    b = Buendnis(**body.model_dump())
    s.add(b)
    await s.flush()
    await audit(s, who, "create", "buendnis", b.id)
    await s.commit()
    return BuendnisOut.model_validate(b)


@router.get("/{buendnis_id}", response_model=BuendnisOut, summary="One Bündnis")
async def get_buendnis(buendnis_id: Id, who: AnyStaff, s: DbSession) -> BuendnisOut:
    return BuendnisOut.model_validate(await get_scoped(s, who, Buendnis, buendnis_id, "Bündnis"))


@router.patch("/{buendnis_id}", response_model=BuendnisOut, summary="Change a Bündnis (admin)")
async def patch_buendnis(
    buendnis_id: Id, body: BuendnisPatch, who: Admin, s: DbSession
) -> BuendnisOut:
    b = await get_scoped(s, who, Buendnis, buendnis_id, "Bündnis")
    for key, value in body.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(b, key, value)
    await audit(s, who, "update", "buendnis", b.id)
    await s.commit()
    return BuendnisOut.model_validate(b)


@router.delete(
    "/{buendnis_id}",
    status_code=204,
    summary="Remove an empty Bündnis (admin); one with data answers 409",
)
async def delete_buendnis(buendnis_id: Id, who: Admin, s: DbSession) -> Response:
    b = await get_scoped(s, who, Buendnis, buendnis_id, "Bündnis")
    for model in (Gemeinde, Servicestelle, Offer, StaffUser, Referral, SurveyWave, SurveyResponse):
        used = await s.scalar(
            select(func.count()).select_from(model).where(model.buendnis_id == b.id)
        )
        if used:
            raise Conflict(
                "buendnis_not_empty",
                f"the Bündnis still has {model.__tablename__} rows; remove them first",
            )
    await s.delete(b)
    await audit(s, who, "delete", "buendnis", buendnis_id)
    await s.commit()
    return Response(status_code=204)
