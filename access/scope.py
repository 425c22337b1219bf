"""Who is acting and what they may see: the staff `Principal` and the tenancy scoping every
service applies. An object of another Bündnis or Servicestelle is `NotFound`, exactly like one
that does not exist, so ids of other tenants cannot be probed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.ext.asyncio import AsyncSession

from access.errors import Conflict, Forbidden, NotFound

Role = Literal["admin", "gfs", "servicestelle"]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. `actor` is what the audit log records."""

    user_id: int
    role: Role
    buendnis_id: int | None
    servicestelle_id: int | None
    token_id: int | None = None  # set when authenticated by API token
    session_id: int | None = None  # set when authenticated by session cookie

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}" if self.token_id is not None else f"user:{self.user_id}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def in_buendnis(who: Principal, buendnis_id: int | None) -> bool:
    return who.is_admin or (buendnis_id is not None and buendnis_id == who.buendnis_id)


def in_servicestelle(who: Principal, buendnis_id: int | None, servicestelle_id: int | None) -> bool:
    """Servicestelle staff see their own Servicestelle's objects; admin all; gfs none of a
    Servicestelle's personal data (routers decide whether gfs may use the endpoint at all)."""
    if who.is_admin:
        return True
    if who.role == "servicestelle":
        return servicestelle_id is not None and servicestelle_id == who.servicestelle_id
    return in_buendnis(who, buendnis_id)


def buendnis_filter(who: Principal, column: Any) -> ColumnElement[bool]:
    """WHERE clause limiting a listing to the caller's Bündnis (admin: everything)."""
    if who.is_admin:
        return true()
    if who.buendnis_id is None:
        return false()
    return column == who.buendnis_id


def servicestelle_filter(who: Principal, column: Any) -> ColumnElement[bool]:
    """WHERE clause limiting a listing to the caller's Servicestelle (admin: everything)."""
    if who.is_admin:
        return true()
    if who.servicestelle_id is None:
        return false()
    return column == who.servicestelle_id


T = TypeVar("T")


async def get_scoped(
    s: AsyncSession, who: Principal, model: type[T], obj_id: int, what: str, *, by: str = "buendnis"
) -> T:
    """Load `model` by id within the caller's scope, else `NotFound` ("no such <what>").

    by="buendnis": the object's `buendnis_id` must be the caller's (Buendnis itself: its id);
    by="servicestelle": the object's `servicestelle_id` must be the caller's (servicestelle
    role), its Bündnis for gfs."""
    obj = await s.get(model, obj_id)
    if obj is None:
        raise NotFound(what)
    buendnis_id = getattr(obj, "buendnis_id", None)
    if model.__name__ == "Buendnis":
        buendnis_id = obj_id
    if by == "servicestelle":
        ok = in_servicestelle(who, buendnis_id, getattr(obj, "servicestelle_id", None))
    else:
        ok = in_buendnis(who, buendnis_id)
    if not ok:
        raise NotFound(what)
    return obj


def target_buendnis(who: Principal, requested: int | None, field: str = "buendnis_id") -> int:
    """The Bündnis a new object goes into: a gfs's own (a foreign one is not found); admin
    must name it."""
    if who.is_admin:
        if requested is None:  # the role and the scope sent do not fit: like an admin user's
            raise Conflict("scope_conflict", "buendnis_id is required for admin", field)
        return requested
    if requested is not None and requested != who.buendnis_id:
        raise NotFound("Bündnis", field)
    if who.buendnis_id is None:
        raise Forbidden("account has no Bündnis")
    return who.buendnis_id
