"""Browser sessions, shared by the JSON login (`routers/auth.py`) and the staff pages
(`web/`): check a login attempt (throttle, lockout, password), open a session, set and clear
its cookies, close it. One place, so both doors lock the same way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Literal, cast

from fastapi import Request, Response
from sqlalchemy import Integer, Update, and_, bindparam, case, delete, func, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from access.audit import audit, audit_actor
from access.scope import Principal, Role
from admin_api.deps import CSRF_COOKIE, SESSION_COOKIE, AuthConfig
from admin_api.security import (
    HASHING_WORKERS,
    AccountError,
    hash_off_loop,
    needs_rehash,
    new_secret,
    sha256,
    verify_off_loop,
)
from base.ratelimit import RateLimit, whole_seconds
from store.models import StaffSession, StaffUser, utcnow


class LoginRefused(Exception):
    """`throttled`: too many failures from this address; `invalid`: e-mail or password wrong,
    the account disabled or locked for a while (one answer, so none of it is revealed)."""

    def __init__(
        self, reason: Literal["throttled", "invalid"], retry_after: int | None = None
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


def throttle_of(request: Request) -> RateLimit:
    return request.app.state.ip_throttle


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class Claim:
    user_id: int
    password_hash: str
    active: bool
    locks: bool  # this attempt was the last one before the lock


def _claim_statement() -> Update:
    now = bindparam("p_now", type_=StaffUser.locked_until.type)
    ran_out = and_(StaffUser.locked_until.is_not(None), StaffUser.locked_until <= now)
    count = case((ran_out, 1), else_=StaffUser.failed_logins + 1)
    locks = count >= bindparam("p_max", type_=Integer)
    return (
        update(StaffUser)
        .where(
            StaffUser.email == bindparam("p_email", type_=StaffUser.email.type),
            or_(StaffUser.locked_until.is_(None), StaffUser.locked_until <= now),
        )
        .values(
            failed_logins=count,
            locked_until=case(
                (locks, bindparam("p_until", type_=StaffUser.locked_until.type)), else_=None
            ),
        )
        .returning(StaffUser.id, StaffUser.password_hash, StaffUser.active, StaffUser.locked_until)
        .execution_options(synchronize_session=False)
    )


def _admit_statement() -> Update:
    renewed = bindparam("p_hash", type_=StaffUser.password_hash.type)
    return (
        update(StaffUser)
        .where(StaffUser.id == bindparam("p_user", type_=Integer), StaffUser.active.is_(True))
        .values(
            failed_logins=0,
            locked_until=None,
            password_hash=func.coalesce(renewed, StaffUser.password_hash),
        )
        .returning(StaffUser.role, StaffUser.buendnis_id, StaffUser.servicestelle_id)
        .execution_options(synchronize_session=False)
    )


# Built once: building them took about a fifth of a login's time on the event loop
CLAIM, ADMIT = _claim_statement(), _admit_statement()


async def claim_attempt(s: AsyncSession, config: AuthConfig, email: str) -> Claim | None:
    """Count one login attempt against the account, atomically; the account id if it may
    check its password now. One UPDATE does it all (a lock that ran out starts a new count;
    the `max_failures`-th attempt sets the lock), so concurrent attempts are serialised by the
    database and at most `max_failures` per lock period ever get a password checked. It is
    committed at once (on PostgreSQL as its own statement: one round trip instead of BEGIN,
    UPDATE, COMMIT), which also gives the connection back while the password is checked.
    None: no such account, or it is locked."""
    now = utcnow()
    until = now + dt.timedelta(minutes=config.lock_minutes)
    if s.get_bind().dialect.name == "postgresql":
        await s.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    params = {
        "p_now": now,
        "p_until": until,
        "p_email": email.strip().lower(),
        "p_max": config.max_failures,
    }
    row = (await s.execute(CLAIM, params)).one_or_none()
    await s.commit()
    return Claim(row[0], row[1], row[2], row[3] is not None) if row is not None else None


async def admit(s: AsyncSession, claim: Claim, new_hash: str | None) -> Principal | None:
    """The account's failures cleared (and its hash renewed) in the login's transaction,
    committed with its session; None if it was disabled or removed since its claim."""
    params = {"p_user": claim.user_id, "p_hash": new_hash}
    row = (await s.execute(ADMIT, params)).one_or_none()
    if row is None:
        return None
    return Principal(claim.user_id, cast(Role, row[0]), row[1], row[2])


async def renewed_hash(password_hash: str, password: str) -> str | None:
    """A new hash where the stored one has older parameters; None if it has not, or if the
    password no longer meets today's rules (it is still the right one: the login goes on, and
    the old hash stays until the password is changed)."""
    if not needs_rehash(password_hash):
        return None
    try:
        return await hash_off_loop(password)
    except AccountError:
        return None


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _login_gate() -> asyncio.Semaphore:
    """At most `HASHING_WORKERS + 1` logins of this process check a password at once; the
    rest of a burst waits here, where waiting costs nothing, instead of each taking a database
    connection and its share of the event loop at the same moment (every password check
    queues for the hashing workers anyway)."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(HASHING_WORKERS + 1)
    return gate


async def check_login(
    s: AsyncSession,
    config: AuthConfig,
    throttle: RateLimit,
    ip: str,
    email: str,
    password: str,
) -> Principal:
    """Who logs in if the password is right (their failures cleared, not yet committed: the
    session opened next commits it); else `LoginRefused`.

    Unknown, wrong, disabled and locked accounts get the same refusal after the same work (one
    claim, one argon2 verification — against a dummy hash where there is no account to check),
    so the answer does not tell which e-mails exist or are locked."""
    wait = throttle.wait(ip)  # failed logins from this address
    if wait > 0:
        raise LoginRefused("throttled", whole_seconds(wait))
    async with _login_gate():
        claim = await claim_attempt(s, config, email)
        ok = await verify_off_loop(claim.password_hash if claim else None, password)
    who = None
    if claim is not None and ok and claim.active:
        who = await admit(s, claim, await renewed_hash(claim.password_hash, password))
    if claim is None or who is None:
        throttle.hit(ip)
        if claim is not None and claim.locks:
            user_id = claim.user_id
            audit_actor(s, f"user:{user_id}", "lock", "staff_user", user_id, user_id=user_id)
            await s.commit()
        raise LoginRefused("invalid")
    throttle.clear(ip)
    return who


async def open_session(s: AsyncSession, who: Principal, config: AuthConfig) -> OpenedSession:
    """A new session for `who` (who just proved the password), audited and committed."""
    now = utcnow()
    plain = new_secret()
    csrf = new_secret()
    expires = now + dt.timedelta(hours=config.session_hours)
    row = StaffSession(
        token_hash=sha256(plain), user_id=who.user_id, csrf_token=csrf, expires_at=expires
    )
    s.add(row)
    await s.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    await s.flush()
    who = dataclasses.replace(who, session_id=row.id)
    await audit(s, who, "login", "staff_user", who.user_id)
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
