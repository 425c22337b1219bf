"""Dependencies every router uses: the database session, who is calling (`current_principal`)
and role checks (`require_role`: a role that may not use an endpoint at all gets 403).
Tenancy scoping is the services' (`access/scope.py`: another tenant's object answers 404).

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
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from access.scope import Principal, Role
from admin_api.errors import ApiError
from admin_api.security import same, sha256
from store.models import ApiToken, StaffSession, StaffUser, utcnow
from surveys.service import SurveyConfig

SESSION_COOKIE = "wegweiser_session"
CSRF_COOKIE = "wegweiser_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class AuthConfig:
    cookie_secure: bool = False
    session_hours: int = 8
    max_failures: int = 5  # per account, then locked
    lock_minutes: int = 15
    ip_max_failures: int = 20  # per client address within lock_minutes
    # requests to the API and staff pages in any 10 s (admin_api.limits.RequestPace)
    pace_per_credential: int = 200
    pace_per_address: int = 600
    pace_hold_seconds: float = 1.0  # how long a request past the pace waits for its 429


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request. Nothing is written unless the endpoint commits; an error
    before the commit rolls everything back (no half-written data)."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with factory() as s:
        yield s


DbSession = Annotated[AsyncSession, Depends(db_session)]


def survey_config(request: Request) -> SurveyConfig:
    """The flows, secret and locale the app was made with, for the wave and results pages and
    endpoints (`create_app(surveys=...)`)."""
    config: SurveyConfig = request.app.state.surveys
    return config


Id = Annotated[int, Path(ge=1, le=MAX_ID, description="numeric id", examples=[1])]


def unauthenticated(message: str = "login required") -> ApiError:
    return ApiError(401, "unauthenticated", message, None, {"WWW-Authenticate": "Bearer"})


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization` header's value, None unless it is 'Bearer <token>'
    (the request pace keys on exactly what authentication reads: admin_api/limits.py)."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


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
        token = bearer_token(auth)
        if token is None:
            raise unauthenticated("Authorization must be 'Bearer <token>'")
        return await _from_token(s, token)
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


Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="items to skip")]


def naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)
