"""Browser sessions, shared by the JSON login (`routers/auth.py`) and the staff pages
(`web/`): check a login attempt (throttle, lockout, password), open a session, set and clear
its cookies, close it. One place, so both doors lock the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from fastapi import Request, Response
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.audit import audit, audit_actor
from admin_api.deps import CSRF_COOKIE, SESSION_COOKIE, AuthConfig, Principal
from admin_api.security import IpThrottle, new_secret, sha256, user_by_email, verify_password
from store.models import StaffSession, StaffUser, utcnow


class LoginRefused(Exception):
    """`throttled`: too many failures from this address; `locked`: the account is locked for
    a while; `invalid`: e-mail or password wrong (or the account is disabled)."""

    def __init__(
        self, reason: Literal["throttled", "locked", "invalid"], retry_after: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class OpenedSession:
    principal: Principal
    cookie: str  # the plain value for the cookie; the database keeps its hash
    csrf_token: str
    expires_at: dt.datetime


def config_of(request: Request) -> AuthConfig:
    return request.app.state.auth_config


def throttle_of(request: Request) -> IpThrottle:
    return request.app.state.ip_throttle


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def check_login(
    s: AsyncSession,
    config: AuthConfig,
    throttle: IpThrottle,
    ip: str,
    email: str,
    password: str,
) -> StaffUser:
    """The account if the password is right; else `LoginRefused`, after counting the failure
    (and locking the account after `config.max_failures`), committed."""
    wait = throttle.retry_after(ip)
    if wait is not None:
        raise LoginRefused("throttled", wait)
    now = utcnow()
    user = await user_by_email(s, email)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        throttle.failed(ip)
        raise LoginRefused("locked", int((user.locked_until - now).total_seconds()) + 1)
    ok = verify_password(user.password_hash if user else None, password)
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
        raise LoginRefused("invalid")
    throttle.succeeded(ip)
    return user


async def open_session(s: AsyncSession, user: StaffUser, config: AuthConfig) -> OpenedSession:
    """A new session for `user` (who just proved the password), audited and committed."""
    now = utcnow()
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
    return OpenedSession(who, plain, csrf, expires)


def set_session_cookies(response: Response, opened: OpenedSession, config: AuthConfig) -> None:
    """Session cookie HttpOnly; the CSRF cookie readable by the page's own script."""
    max_age = config.session_hours * 3600
    for name, value, httponly in (
        (SESSION_COOKIE, opened.cookie, True),
        (CSRF_COOKIE, opened.csrf_token, False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=httponly,
            secure=config.cookie_secure,
            samesite="strict",
            path="/",
        )


async def close_session(s: AsyncSession, who: Principal) -> None:
    """End the caller's cookie session (a bearer token has none), audited and committed."""
    if who.session_id is None:
        return
    await s.execute(delete(StaffSession).where(StaffSession.id == who.session_id))
    await audit(s, who, "logout", "staff_user", who.user_id)
    await s.commit()


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
