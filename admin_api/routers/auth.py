"""Login (session cookie + CSRF token), logout, who am I."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, update

from admin_api.audit import audit, audit_actor
from admin_api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AnyStaff,
    AuthConfig,
    DbSession,
    Principal,
    Role,
)
from admin_api.errors import ERROR_RESPONSES, ApiError
from admin_api.schemas import Strict, UtcDateTime, text, with_examples
from admin_api.security import (
    AccountError,
    IpThrottle,
    hash_password,
    new_secret,
    sha256,
    user_by_email,
    verify_password,
)
from store.models import StaffSession, StaffUser, utcnow

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)


Email = text(254, 3)


class LoginIn(Strict):
    email: Email  # type: ignore[valid-type]
    password: Annotated[str, Field(min_length=1, max_length=256)]

    model_config = with_examples({"email": "gfs@example.org", "password": "correct horse battery"})


class Me(BaseModel):
    user_id: int
    role: Role
    buendnis_id: int | None
    servicestelle_id: int | None
    via: str = Field(description="session or token")
    token_id: int | None = None


class LoginOut(BaseModel):
    user: Me
    csrf_token: str = Field(
        description="send as X-CSRF-Token with every POST/PATCH/PUT/DELETE made with the cookie"
    )
    expires_at: UtcDateTime


def me_of(who: Principal) -> Me:
    return Me(
        user_id=who.user_id,
        role=who.role,
        buendnis_id=who.buendnis_id,
        servicestelle_id=who.servicestelle_id,
        via="token" if who.token_id is not None else "session",
        token_id=who.token_id,
    )


def _config(request: Request) -> AuthConfig:
    return request.app.state.auth_config  # type: ignore[no-any-return]


def _throttle(request: Request) -> IpThrottle:
    return request.app.state.ip_throttle  # type: ignore[no-any-return]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


INVALID = ApiError(401, "invalid_credentials", "e-mail or password wrong")


@router.post(
    "/login",
    response_model=LoginOut,
    summary="Log in; sets the session cookie and returns the CSRF token",
)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    s: DbSession,
    config: Annotated[AuthConfig, Depends(_config)],
    throttle: Annotated[IpThrottle, Depends(_throttle)],
) -> LoginOut:
    ip = _client(request)
    wait = throttle.retry_after(ip)
    if wait is not None:
        raise ApiError(
            429,
            "too_many_attempts",
            "too many failed logins from this address; try again later",
            headers={"Retry-After": str(wait)},
        )
    now = utcnow()
    user = await user_by_email(s, body.email)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        throttle.failed(ip)
        wait_s = int((user.locked_until - now).total_seconds()) + 1
        raise ApiError(
            429,
            "account_locked",
            "account temporarily locked after repeated failed logins",
            headers={"Retry-After": str(wait_s)},
        )
    ok = verify_password(user.password_hash if user else None, body.password)
    if user is None or not ok or not user.active:
        throttle.failed(ip)
        if user is not None and not ok:
            await s.execute(
                update(StaffUser)
                .where(StaffUser.id == user.id)
                .values(failed_logins=StaffUser.failed_logins + 1)
            )
            await s.refresh(user)
            if user.failed_logins >= config.max_failures:
                user.locked_until = now + dt.timedelta(minutes=config.lock_minutes)
                user.failed_logins = 0
                audit_actor(s, f"user:{user.id}", "lock", "staff_user", user.id, user_id=user.id)
            await s.commit()
        raise INVALID
    throttle.succeeded(ip)
    user.failed_logins = 0
    user.locked_until = None
    plain = new_secret()
    csrf = new_secret()
    expires = now + dt.timedelta(hours=config.session_hours)
    row = StaffSession(
        token_hash=sha256(plain), user_id=user.id, csrf_token=csrf, expires_at=expires
    )
    s.add(row)
    await s.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    await s.flush()
    who = Principal(
        user.id,
        user.role,  # type: ignore[arg-type]
        user.buendnis_id,
        user.servicestelle_id,
        session_id=row.id,
    )
    await audit(s, who, "login", "staff_user", user.id)
    await s.commit()
    max_age = config.session_hours * 3600
    response.set_cookie(
        SESSION_COOKIE,
        plain,
        max_age=max_age,
        httponly=True,
        secure=config.cookie_secure,
        samesite="strict",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=max_age,
        httponly=False,
        secure=config.cookie_secure,
        samesite="strict",
        path="/",
    )
    return LoginOut(user=me_of(who), csrf_token=csrf, expires_at=expires)


@router.post("/logout", status_code=204, summary="End the cookie session")
async def logout(who: AnyStaff, s: DbSession) -> Response:
    if who.session_id is not None:
        await s.execute(delete(StaffSession).where(StaffSession.id == who.session_id))
        await audit(s, who, "logout", "staff_user", who.user_id)
        await s.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


class PasswordIn(Strict):
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Annotated[str, Field(min_length=12, max_length=256)]

    model_config = with_examples(
        {"current_password": "correct horse battery", "new_password": "a new long passphrase"}
    )


@router.post(
    "/password",
    status_code=204,
    summary="Change your own password; ends your other browser sessions",
)
async def change_password(body: PasswordIn, who: AnyStaff, s: DbSession) -> Response:
    user = await s.get(StaffUser, who.user_id)
    if user is None or not verify_password(user.password_hash, body.current_password):
        raise ApiError(422, "validation_error", "current password wrong", "current_password")
    try:
        user.password_hash = hash_password(body.new_password)
    except AccountError as e:
        raise ApiError(422, "validation_error", str(e), "new_password") from None
    user.password_changed_at = utcnow()
    others = delete(StaffSession).where(StaffSession.user_id == user.id)
    if who.session_id is not None:
        others = others.where(StaffSession.id != who.session_id)
    await s.execute(others)
    await audit(s, who, "change_password", "staff_user", user.id)
    await s.commit()
    return Response(status_code=204)


@router.get("/me", response_model=Me, summary="Who is calling, with role and scope")
async def me(who: AnyStaff) -> Me:
    return me_of(who)
