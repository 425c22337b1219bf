"""Gemeinden and Servicestellen of a Bündnis. gfs manages its own Bündnis, admin all;
servicestelle staff read their Bündnis's Gemeinden and their own Servicestelle."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from access.audit import audit
from access.errors import Conflict, NotFound
from access.scope import Principal, buendnis_filter, get_scoped, target_buendnis
from admin_api.deps import MAX_ID, AdminOrGfs, AnyStaff, DbSession, Id, Limit, Offset
from admin_api.errors import ERROR_RESPONSES
from admin_api.schemas import (
    CLEAN,
    DbId,
    Ids,
    Locales,
    Long,
    Name,
    Orm,
    Page,
    Patch,
    Strict,
    Tags,
    bounded,
    with_examples,
)
from places.service import check_gemeinden
from store.models import Buendnis, Gemeinde, Offer, Referral, Servicestelle, StaffUser

router = APIRouter(tags=["Gemeinden und Servicestellen"], responses=ERROR_RESPONSES)

BuendnisQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="admin: only this Bündnis")
]
Kreis = Annotated[str, bounded(120), CLEAN]


async def _existing_buendnis(s: AsyncSession, buendnis_id: int) -> None:
    if await s.get(Buendnis, buendnis_id) is None:
        raise NotFound("Bündnis", "buendnis_id")


def _scoped_list(who: Principal, column: Any, requested: int | None) -> Any:
    where = buendnis_filter(who, column)
    if requested is not None:
        where = where & (column == requested)
    return where


# ---------------------------------------------------------------- Gemeinden


GemeindeName = Annotated[str, bounded(120, 1), CLEAN]  # the column's length (gemeinde.name)


class GemeindeIn(Strict):
    buendnis_id: DbId | None = None
    name: GemeindeName
    kreis: Kreis | None = None

    model_config = with_examples({"name": "Moers", "kreis": "Kreis Wesel"})


class GemeindePatch(Patch):
    name: GemeindeName | None = None
    kreis: Kreis | None = None


class GemeindeOut(Orm):
    id: int
    buendnis_id: int
    name: str
    kreis: str | None


@router.get("/gemeinden", response_model=Page[GemeindeOut], summary="Gemeinden")
async def list_gemeinden(
    who: AnyStaff,
    s: DbSession,
    buendnis_id: BuendnisQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[GemeindeOut]:
    where = _scoped_list(who, Gemeinde.buendnis_id, buendnis_id)
    total = await s.scalar(select(func.count()).select_from(Gemeinde).where(where)) or 0
    rows = await s.scalars(
        select(Gemeinde).where(where).order_by(Gemeinde.id).limit(limit).offset(offset)
    )
    items = [GemeindeOut.model_validate(g) for g in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


async def _gemeinde_name_free(s: AsyncSession, buendnis_id: int, name: str, own: int = 0) -> None:
    clash = await s.scalar(
        select(Gemeinde.id).where(
            Gemeinde.buendnis_id == buendnis_id, Gemeinde.name == name, Gemeinde.id != own
        )
    )
    if clash is not None:
        raise Conflict("name_taken", "the Bündnis has a Gemeinde of this name", "name")


@router.post("/gemeinden", response_model=GemeindeOut, status_code=201, summary="Add a Gemeinde")
async def create_gemeinde(body: GemeindeIn, who: AdminOrGfs, s: DbSession) -> GemeindeOut:
    buendnis_id = target_buendnis(who, body.buendnis_id)
    await _existing_buendnis(s, buendnis_id)
    await _gemeinde_name_free(s, buendnis_id, body.name)
    g = Gemeinde(buendnis_id=buendnis_id, name=body.name, kreis=body.kreis or None)
    s.add(g)
    await s.flush()
    await audit(s, who, "create", "gemeinde", g.id)
    await s.commit()
    return GemeindeOut.model_validate(g)


@router.get("/gemeinden/{gemeinde_id}", response_model=GemeindeOut, summary="One Gemeinde")
async def get_gemeinde(gemeinde_id: Id, who: AnyStaff, s: DbSession) -> GemeindeOut:
    return GemeindeOut.model_validate(await get_scoped(s, who, Gemeinde, gemeinde_id, "Gemeinde"))


@router.patch("/gemeinden/{gemeinde_id}", response_model=GemeindeOut, summary="Rename a Gemeinde")
async def patch_gemeinde(
    gemeinde_id: Id, body: GemeindePatch, who: AdminOrGfs, s: DbSession
) -> GemeindeOut:
    g = await get_scoped(s, who, Gemeinde, gemeinde_id, "Gemeinde")
    sent = body.model_dump(exclude_unset=True)
    if sent.get("name") is not None:
        await _gemeinde_name_free(s, g.buendnis_id, sent["name"], g.id)
        g.name = sent["name"]
    if "kreis" in sent:
        g.kreis = sent["kreis"] or None
    await audit(s, who, "update", "gemeinde", g.id)
    await s.commit()
    return GemeindeOut.model_validate(g)


@router.delete(
    "/gemeinden/{gemeinde_id}",
    status_code=204,
    summary="Remove a Gemeinde no offer or Servicestelle refers to (else 409)",
)
async def delete_gemeinde(gemeinde_id: Id, who: AdminOrGfs, s: DbSession) -> Response:
    g = await get_scoped(s, who, Gemeinde, gemeinde_id, "Gemeinde")
    for model in (Offer, Servicestelle):
        rows = await s.scalars(select(model.gemeinde_ids).where(model.buendnis_id == g.buendnis_id))
        if any(g.id in (ids or []) for ids in rows):
            raise Conflict("gemeinde_in_use", f"a {model.__tablename__} still refers to it")
    await s.delete(g)
    await audit(s, who, "delete", "gemeinde", gemeinde_id)
    await s.commit()
    return Response(status_code=204)


# ---------------------------------------------------------------- Servicestellen


class ServicestelleIn(Strict):
    buendnis_id: DbId | None = None
    name: Name
    address: Long = ""
    contact: Long = ""
    languages: Locales = Field(default_factory=list)
    gemeinde_ids: Ids = Field(default_factory=list)
    need_areas: Tags = Field(default_factory=list)
    is_default: bool = False

    model_config = with_examples(
        {
            "name": "Servicestelle Zuwanderung Moers",
            "address": "Beispielstraße 1, 47441 Moers",
            "contact": "beratung@moers.example",
            "languages": ["de", "ar", "fa"],
            "gemeinde_ids": [1],
            "is_default": True,
        }
    )


class ServicestellePatch(Patch):
    name: Name | None = None
    address: Long | None = None
    contact: Long | None = None
    languages: Locales | None = None
    gemeinde_ids: Ids | None = None
    need_areas: Tags | None = None
    is_default: bool | None = None


class ServicestelleOut(Orm):
    id: int
    buendnis_id: int
    name: str
    address: str
    contact: str
    languages: list[str]
    gemeinde_ids: list[int]
    need_areas: list[str]
    is_default: bool


async def _stelle(s: AsyncSession, who: Principal, stelle_id: int) -> Servicestelle:
    stelle = await get_scoped(s, who, Servicestelle, stelle_id, "Servicestelle")
    if who.role == "servicestelle" and stelle.id != who.servicestelle_id:
        raise NotFound("Servicestelle")
    return stelle


@router.get("/servicestellen", response_model=Page[ServicestelleOut], summary="Servicestellen")
async def list_servicestellen(
    who: AnyStaff,
    s: DbSession,
    buendnis_id: BuendnisQuery = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ServicestelleOut]:
    where = _scoped_list(who, Servicestelle.buendnis_id, buendnis_id)
    if who.role == "servicestelle":
        where = where & (Servicestelle.id == who.servicestelle_id)
    total = await s.scalar(select(func.count()).select_from(Servicestelle).where(where)) or 0
    rows = await s.scalars(
        select(Servicestelle).where(where).order_by(Servicestelle.id).limit(limit).offset(offset)
    )
    items = [ServicestelleOut.model_validate(x) for x in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/servicestellen",
    response_model=ServicestelleOut,
    status_code=201,
    summary="Add a Servicestelle",
)
async def create_servicestelle(
    body: ServicestelleIn, who: AdminOrGfs, s: DbSession
) -> ServicestelleOut:
    buendnis_id = target_buendnis(who, body.buendnis_id)
    await _existing_buendnis(s, buendnis_id)
    data = body.model_dump(exclude={"buendnis_id"})
    data["gemeinde_ids"] = await check_gemeinden(s, buendnis_id, body.gemeinde_ids)
    stelle = Servicestelle(buendnis_id=buendnis_id, **data)
    s.add(stelle)
    await s.flush()
    await audit(s, who, "create", "servicestelle", stelle.id)
    await s.commit()
    return ServicestelleOut.model_validate(stelle)


@router.get(
    "/servicestellen/{servicestelle_id}",
    response_model=ServicestelleOut,
    summary="One Servicestelle",
)
async def get_servicestelle(servicestelle_id: Id, who: AnyStaff, s: DbSession) -> ServicestelleOut:
    return ServicestelleOut.model_validate(await _stelle(s, who, servicestelle_id))


@router.patch(
    "/servicestellen/{servicestelle_id}",
    response_model=ServicestelleOut,
    summary="Change a Servicestelle",
)
async def patch_servicestelle(
    servicestelle_id: Id, body: ServicestellePatch, who: AdminOrGfs, s: DbSession
) -> ServicestelleOut:
    stelle = await _stelle(s, who, servicestelle_id)
    sent = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if "gemeinde_ids" in sent:
        sent["gemeinde_ids"] = await check_gemeinden(s, stelle.buendnis_id, sent["gemeinde_ids"])
    for key, value in sent.items():
        setattr(stelle, key, value)
    await audit(s, who, "update", "servicestelle", stelle.id)
    await s.commit()
    return ServicestelleOut.model_validate(stelle)


@router.delete(
    "/servicestellen/{servicestelle_id}",
    status_code=204,
    summary="Remove a Servicestelle without referrals or staff accounts (else 409)",
)
async def delete_servicestelle(servicestelle_id: Id, who: AdminOrGfs, s: DbSession) -> Response:
    stelle = await _stelle(s, who, servicestelle_id)
    for model in (Referral, StaffUser):
        used = await s.scalar(
            select(func.count()).select_from(model).where(model.servicestelle_id == stelle.id)
        )
        if used:
            raise Conflict(
                "servicestelle_in_use", f"the Servicestelle still has {model.__tablename__} rows"
            )
    await s.delete(stelle)
    await audit(s, who, "delete", "servicestelle", servicestelle_id)
    await s.commit()
    return Response(status_code=204)
