"""Dependencies every router uses: the database session, who is calling (`current_principal`),
role checks (`require_role`) and tenancy scoping (`in_scope`, `scoped`).

Scoping rule: an object of another Bündnis or Servicestelle answers 404, exactly like one that
does not exist, so ids of other tenants cannot be probed. A role that may not use an endpoint
at all gets 403.

A new router (e.g. referrals) needs only:

    Staff = Annotated[Principal, Depends(require_role("servicestelle"))]

    @router.get("/referrals/{referral_id}")
    async def read(referral_id: Id, who: Staff, s: DbSession) -> ...:
        ref = await get_scoped(s, who, Referral, referral_id, "referral")
        await audit(s, who, "read", "referral", ref.id)
        await s.commit()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_api.errors import ApiError, not_found
from admin_api.security import same, sha256
from store.models import ApiToken, StaffSession, StaffUser, utcnow

SESSION_COOKIE = "wegweiser_session"
CSRF_COOKIE = "wegweiser_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_ID = 2**31 - 1

Role = Literal["admin", "gfs", "servicestelle"]


@dataclass(frozen=True)
class AuthConfig:
    cookie_secure: bool = False
    session_hours: int = 8
    max_failures: int = 5  # per account, then locked
    lock_minutes: int = 15
    ip_max_failures: int = 20  # per client address within lock_minutes


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


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request. Nothing is written unless the endpoint commits; an error
    before the commit rolls everything back (no half-written data)."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with factory() as s:
        yield s


DbSession = Annotated[AsyncSession, Depends(db_session)]
Id = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id", examples=[1])]


def unauthenticated(message: str = "login required") -> ApiError:
    return ApiError(401, "unauthenticated", message, None, {"WWW-Authenticate": "Bearer"})


async def _from_token(s: AsyncSession, plain: str) -> Principal:
    token = await s.scalar(select(ApiToken).where(ApiToken.token_hash == sha256(plain)))
    if token is None:
        raise unauthenticated("unknown API token")
    if token.revoked_at is not None:
        raise unauthenticated("API token revoked")
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise unauthenticated("API token expired")
    user = await s.get(StaffUser, token.user_id)
    if user is None or not user.active:
        raise unauthenticated("account disabled")
    if (user.role, user.buendnis_id, user.servicestelle_id) != (
        token.role,
        token.buendnis_id,
        token.servicestelle_id,
    ):
        raise unauthenticated("API token no longer matches the account's role; create a new one")
    return Principal(
        user.id,
        token.role,  # type: ignore[arg-type]
        token.buendnis_id,
        token.servicestelle_id,
        token_id=token.id,
    )


async def session_of(s: AsyncSession, cookie: str) -> tuple[Principal, str] | None:
    """The principal of a live session cookie and the session's CSRF token; None when the
    session is unknown or expired or the account disabled. (API and staff pages share it.)"""
    row = await s.scalar(select(StaffSession).where(StaffSession.token_hash == sha256(cookie)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = await s.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None
    who = Principal(
        user.id,
        user.role,  # type: ignore[arg-type]
        user.buendnis_id,
        user.servicestelle_id,
        session_id=row.id,
    )
    return who, row.csrf_token


async def _from_cookie(s: AsyncSession, request: Request, value: str) -> Principal:
    found = await session_of(s, value)
    if found is None:
        raise unauthenticated("session expired or account disabled, please log in again")
    who, csrf = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not same(sent, csrf):
            raise ApiError(403, "csrf_failed", f"missing or wrong {CSRF_HEADER} header")
    return who


# Declared so the OpenAPI description names both schemes; parsing is done below.
_bearer_scheme = HTTPBearer(auto_error=False, description="API token (`wgw_…`)")
_cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="session from /api/v1/auth/login; writes need the X-CSRF-Token header",
)


async def current_principal(
    request: Request,
    s: DbSession,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)] = None,
    _cookie: Annotated[str | None, Security(_cookie_scheme)] = None,
) -> Principal:
    """Bearer token first (API clients), else the session cookie (web pages, CSRF-checked)."""
    auth = request.headers.get("Authorization")
    if auth is not None:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise unauthenticated("Authorization must be 'Bearer <token>'")
        return await _from_token(s, value.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await _from_cookie(s, request, cookie)
    raise unauthenticated()


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller, if their role is one of `roles`; otherwise 403."""
    allowed = frozenset(roles)

    async def dependency(who: CurrentPrincipal) -> Principal:
        if who.role not in allowed:
            raise ApiError(403, "forbidden", f"role {who.role!r} may not use this endpoint")
        return who

    return dependency


AnyStaff = Annotated[Principal, Depends(require_role("admin", "gfs", "servicestelle"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
AdminOrGfs = Annotated[Principal, Depends(require_role("admin", "gfs"))]


# ---------------------------------------------------------------- tenancy scoping


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
    """Load `model` by id within the caller's scope, else 404 ("no such <what>").

    by="buendnis": the object's `buendnis_id` must be the caller's (Buendnis itself: its id);
    by="servicestelle": the object's `servicestelle_id` must be the caller's (servicestelle
    role), its Bündnis for gfs."""
    obj = await s.get(model, obj_id)
    if obj is None:
        raise not_found(what)
    buendnis_id = getattr(obj, "buendnis_id", None)
    if model.__name__ == "Buendnis":
        buendnis_id = obj_id
    if by == "servicestelle":
        ok = in_servicestelle(who, buendnis_id, getattr(obj, "servicestelle_id", None))
    else:
        ok = in_buendnis(who, buendnis_id)
    if not ok:
        raise not_found(what)
    return obj


def target_buendnis(who: Principal, requested: int | None, field: str = "buendnis_id") -> int:
    """The Bündnis a new object goes into: a gfs's own (a foreign one is 404); admin must say."""
    if who.is_admin:
        if requested is None:
            raise ApiError(422, "validation_error", "buendnis_id is required for admin", field)
        return requested
    if requested is not None and requested != who.buendnis_id:
        raise not_found("Bündnis", field)
    if who.buendnis_id is None:
        raise ApiError(403, "forbidden", "account has no Bündnis")
    return who.buendnis_id


Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="items to skip")]


def naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)
