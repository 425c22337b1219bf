"""Account management for the command line (`wegweiser users …`): the first admin, password
resets, tokens. Every change is written to the audit log with the actor `cli`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from access.audit import audit_actor
from admin_api.security import (
    AccountError,
    check_scope,
    create_token,
    hash_password,
    normalise_email,
    user_by_email,
)
from store.models import ApiToken, Buendnis, StaffSession, StaffUser, utcnow

CLI = "cli"


async def create_user(
    sessions: async_sessionmaker[AsyncSession],
    email: str,
    password: str,
    role: str,
    *,
    buendnis_code: str | None = None,
    servicestelle_id: int | None = None,
) -> StaffUser:
    email = normalise_email(email)
    async with sessions() as s, s.begin():
        buendnis_id = None
        if buendnis_code is not None:
            buendnis_id = await s.scalar(select(Buendnis.id).where(Buendnis.code == buendnis_code))
            if buendnis_id is None:
                raise AccountError(f"no Bündnis with code {buendnis_code!r}", "buendnis")
        buendnis_id, servicestelle_id = await check_scope(s, role, buendnis_id, servicestelle_id)
        if await user_by_email(s, email) is not None:
            raise AccountError(f"an account for {email} exists", "email")
        user = StaffUser(
            email=email,
            password_hash=hash_password(password),
            role=role,
            buendnis_id=buendnis_id,
            servicestelle_id=servicestelle_id,
        )
        s.add(user)
        await s.flush()
        audit_actor(s, CLI, "create", "staff_user", user.id)
    return user


async def _existing(s: AsyncSession, email: str) -> StaffUser:
    user = await user_by_email(s, email)
    if user is None:
        raise AccountError(f"no account for {email.strip().lower()}", "email")
    return user


async def reset_password(
    sessions: async_sessionmaker[AsyncSession], email: str, password: str
) -> StaffUser:
    """New password; clears a lockout and ends the account's browser sessions."""
    async with sessions() as s, s.begin():
        user = await _existing(s, email)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        user.failed_logins = 0
        user.locked_until = None
        await s.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
        audit_actor(s, CLI, "reset_password", "staff_user", user.id)
    return user


async def new_token(
    sessions: async_sessionmaker[AsyncSession],
    email: str,
    *,
    expires_days: int | None = 90,
    label: str = "",
) -> tuple[ApiToken, str]:
    async with sessions() as s, s.begin():
        user = await _existing(s, email)
        if not user.active:
            raise AccountError(f"the account {user.email} is disabled", "email")
        token, plain = await create_token(s, user, expires_days=expires_days, label=label)
        audit_actor(s, CLI, "create", "api_token", token.id)
    return token, plain


async def revoke_token(sessions: async_sessionmaker[AsyncSession], token_id: int) -> ApiToken:
    async with sessions() as s, s.begin():
        token = await s.get(ApiToken, token_id)
        if token is None:
            raise AccountError(f"no token with id {token_id}", "id")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit_actor(s, CLI, "revoke", "api_token", token.id)
    return token


def describe_expiry(expires_at: dt.datetime | None) -> str:
    return "never" if expires_at is None else expires_at.strftime("%Y-%m-%d %H:%M UTC")
