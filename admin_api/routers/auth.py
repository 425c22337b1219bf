"""Login (session cookie + CSRF token), logout, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete

from access.audit import audit
from access.scope import Principal, Role
from admin_api.deps import AnyStaff, DbSession
from admin_api.errors import ERROR_RESPONSES, ApiError
from admin_api.schemas import CLEAN, Password, Strict, UtcDateTime, bounded, with_examples
from admin_api.security import AccountError, hash_off_loop, verify_off_loop
from admin_api.sessions import (
    LoginRefused,
    check_login,
    clear_session_cookies,
    client_of,
    close_session,
    config_of,
    open_session,
    set_session_cookies,
    throttle_of,
)
from store.models import StaffSession, StaffUser, utcnow

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)


Email = Annotated[str, bounded(254, 3), CLEAN]


class LoginIn(Strict):
    email: Email
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


# Also for a locked or disabled account: the answer must not tell which accounts exist.
INVALID = ApiError(
    401,
    "invalid_credentials",
    "e-mail or password wrong (after repeated failures an account is locked for a while)",
)


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
) -> LoginOut:
    config = config_of(request)  # read here: a plain function as a dependency would run in a
    # thread of the pool, a hop that waits for the event loop's GIL under load
    try:
        who = await check_login(
            s, config, throttle_of(request), client_of(request), body.email, body.password
        )
    except LoginRefused as refused:
        retry = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        if refused.reason == "throttled":
            raise ApiError(
                429,
                "too_many_attempts",
                "too many failed logins from this address; try again later",
                headers=retry,
            ) from None
        raise INVALID from None
    opened = await open_session(s, who, config)
    set_session_cookies(response, opened, config)
    return LoginOut(
        user=me_of(opened.principal), csrf_token=opened.csrf_token, expires_at=opened.expires_at
    )


@router.post("/logout", status_code=204, summary="End the cookie session")
async def logout(who: AnyStaff, s: DbSession) -> Response:
    await close_session(s, who)
    response = Response(status_code=204)
    clear_session_cookies(response)
    return response


class PasswordIn(Strict):
    current_password: Annotated[str, Field(min_length=1, max_length=256)]
    new_password: Password

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
    if user is None or not await verify_off_loop(user.password_hash, body.current_password):
        raise ApiError(403, "wrong_password", "current password wrong", "current_password")
    try:
        user.password_hash = await hash_off_loop(body.new_password)
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
