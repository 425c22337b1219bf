"""Passwords (argon2), API tokens and session cookies (random, stored as SHA-256), lockout.

Used by the HTTP layer and by `wegweiser users …`; no FastAPI in here.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_api.text_rules import EMAIL, MAX_EMAIL, MAX_PASSWORD, MIN_PASSWORD, PASSWORD
from base.workers import Workers
from store.models import ApiToken, Servicestelle, StaffUser, utcnow

ROLES = ("admin", "gfs", "servicestelle")
TOKEN_PREFIX = "wgw_"  # noqa: S105 - a marker, not a secret
MIN_PASSWORD_LENGTH = MIN_PASSWORD
MAX_PASSWORD_LENGTH = MAX_PASSWORD

# RFC 9106's low-memory profile (64 MiB, 3 passes) on one lane: a verification takes one core,
# not all of them, so the hashing processes below bound what a burst of logins can take.
# Older hashes (4 lanes) are replaced at the next login (`needs_rehash`).
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)


Params = tuple[int, int, int]  # time cost, memory cost (KiB), lanes


def _params() -> Params:
    """The parameters of `_hasher`, which the hashing processes use too."""
    return (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)


@functools.cache
def _hasher_with(params: Params) -> PasswordHasher:
    time_cost, memory_cost, parallelism = params
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@functools.cache
def _dummy_hash(params: Params) -> str:
    """Verified against when the e-mail is unknown, so both cases take the same time."""
    return _hasher_with(params).hash(secrets.token_urlsafe(16))


class AccountError(Exception):
    """A user-management problem, phrased for the operator (CLI) or the API."""

    def __init__(
        self, message: str, field: str | None = None, *, missing: bool = False, scope: bool = False
    ) -> None:
        super().__init__(message)
        self.field = field
        self.missing = missing  # names an object that does not exist (API: 404)
        self.scope = scope  # the role and the scope sent do not fit together (API: 409)


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hash_with(_params(), password)


def _hash_with(params: Params, password: str) -> str:
    return _hasher_with(params).hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters", "password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password must have at most {MAX_PASSWORD_LENGTH} characters")
    if not PASSWORD.match(password):
        raise AccountError("password must not start or end with spaces or contain control chars")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Blocking (about 50 ms of CPU and 64 MiB): from the event loop use `verify_off_loop`."""
    return _verify_with(_params(), password_hash, password)


def _verify_with(params: Params, password_hash: str | None, password: str) -> bool:
    try:
        hasher = _hasher_with(params)
        return hasher.verify(password_hash or _dummy_hash(params), password) and (
            password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Hashed with weaker parameters than the current ones (then rehashed at login)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# argon2 runs in processes of its own, never in the server's: one fewer than the cores, so a
# burst of logins queues there instead of taking the CPU from every other request. A thread
# would do the same work, but its 64 MiB per hash are mapped and unmapped in the server's own
# address space, next to the event loop (measured: /health's p99 during 20 logins at once
# 2.4-2.7x idle with a thread, 1.3-2.0x with a process; docs/admin-api.md).
HASHING_WORKERS = max(1, (os.cpu_count() or 2) - 1)
hashing = Workers(HASHING_WORKERS)


async def verify_off_loop(password_hash: str | None, password: str) -> bool:
    """`verify_password` in a hashing process (the same time for a missing hash)."""
    return await hashing.run(_verify_with, _params(), password_hash, password)


async def hash_off_loop(password: str) -> str:
    """`hash_password` (strength checked first) in a hashing process."""
    check_password_strength(password)
    return await hashing.run(_hash_with, _params(), password)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def normalise_email(email: str) -> str:
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        raise AccountError("not an e-mail address", "email")
    return email.strip().lower()


async def check_scope(
    s: AsyncSession, role: str, buendnis_id: int | None, servicestelle_id: int | None
) -> tuple[int | None, int | None]:
    """Validate a role's scope and return (buendnis_id, servicestelle_id) as stored.

    admin: neither; gfs: a Bündnis; servicestelle: a Servicestelle (its Bündnis is derived)."""
    from store.models import Buendnis

    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}", "role", scope=True)
    if role == "admin":
        if buendnis_id is not None or servicestelle_id is not None:
            raise AccountError("an admin has no Bündnis or Servicestelle scope", "role", scope=True)
        return None, None
    if role == "gfs":
        if servicestelle_id is not None:
            raise AccountError(
                "a gfs account is scoped to a Bündnis only", "servicestelle_id", scope=True
            )
        if buendnis_id is None:
            raise AccountError("a gfs account needs a Bündnis", "buendnis_id", scope=True)
        if await s.get(Buendnis, buendnis_id) is None:
            raise AccountError("no such Bündnis", "buendnis_id", missing=True)
        return buendnis_id, None
    if servicestelle_id is None:
        raise AccountError(
            "a servicestelle account needs a Servicestelle", "servicestelle_id", scope=True
        )
    stelle = await s.get(Servicestelle, servicestelle_id)
    if stelle is None:
        raise AccountError("no such Servicestelle", "servicestelle_id", missing=True)
    if buendnis_id is not None and buendnis_id != stelle.buendnis_id:
        raise AccountError(
            "the Servicestelle belongs to another Bündnis", "buendnis_id", scope=True
        )
    return stelle.buendnis_id, stelle.id


async def create_token(
    s: AsyncSession, user: StaffUser, *, expires_days: int | None = 90, label: str = ""
) -> tuple[ApiToken, str]:
    """Create a token for `user` (same role and scope). Returns the row and the plain token,
    which is never stored and cannot be shown again."""
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise AccountError("expiry must be between 1 and 3650 days", "expires_days")
    plain = TOKEN_PREFIX + new_secret()
    token = ApiToken(
        user_id=user.id,
        token_hash=sha256(plain),
        prefix=plain[:10],
        label=label,
        role=user.role,
        buendnis_id=user.buendnis_id,
        servicestelle_id=user.servicestelle_id,
        expires_at=utcnow() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    s.add(token)
    await s.flush()
    return token, plain


async def user_by_email(s: AsyncSession, email: str) -> StaffUser | None:
    return await s.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
