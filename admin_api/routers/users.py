"""Staff accounts and their API tokens (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, select

from access.audit import audit
from access.errors import Conflict, NotFound
from access.scope import Role
from admin_api.deps import Admin, DbSession, Id, Limit, Offset
from admin_api.errors import ERROR_RESPONSES, ApiError
from admin_api.schemas import (
    CLEAN,
    DbId,
    Email,
    Orm,
    Page,
    Password,
    Patch,
    Strict,
    UtcDateTime,
    bounded,
    with_examples,
)
from admin_api.security import (
    AccountError,
    check_scope,
    create_token,
    hash_off_loop,
    normalise_email,
)
from store.models import ApiToken, StaffSession, StaffUser, utcnow

router = APIRouter(tags=["users"], responses=ERROR_RESPONSES)


class UserIn(Strict):
    email: Email
    password: Password
    role: Role
    buendnis_id: DbId | None = None
    servicestelle_id: DbId | None = None
    active: bool = True

    model_config = with_examples(
        {
            "email": "beratung@moers.example",
            "password": "a long passphrase",
            "role": "servicestelle",
            "servicestelle_id": 1,
        }
    )


class UserPatch(Patch):
    role: Role | None = None
    buendnis_id: DbId | None = None
    servicestelle_id: DbId | None = None
    active: bool | None = None
    password: Password | None = None
    unlock: bool = Field(default=False, description="clear a lockout after failed logins")


class UserOut(Orm):
    id: int
    email: str
    role: str
    buendnis_id: int | None
    servicestelle_id: int | None
    active: bool
    locked_until: UtcDateTime | None
    created_at: UtcDateTime


class TokenIn(Strict):
    label: Annotated[str, bounded(120), CLEAN] = ""
    expires_days: Annotated[int | None, Field(ge=1, le=3650)] = 90


class TokenOut(Orm):
    id: int
    user_id: int
    prefix: str
    label: str
    role: str
    buendnis_id: int | None
    servicestelle_id: int | None
    created_at: UtcDateTime
    expires_at: UtcDateTime | None
    revoked_at: UtcDateTime | None


class NewToken(BaseModel):
    token: str = Field(description="the bearer token; shown only this once")
    info: TokenOut


def _account_error(e: AccountError) -> ApiError:
    if e.missing:
        return ApiError(404, "not_found", str(e), e.field)
    if e.scope:
        return ApiError(409, "scope_conflict", str(e), e.field)
    return ApiError(422, "validation_error", str(e), e.field)


async def _user(s: DbSession, user_id: int) -> StaffUser:
    user = await s.get(StaffUser, user_id)
    if user is None:
        raise NotFound("user")
    return user


@router.get("/users", response_model=Page[UserOut], summary="Staff accounts (admin)")
async def list_users(
    who: Admin,
    s: DbSession,
    role: Annotated[Role | None, Query()] = None,
    buendnis_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[UserOut]:
    q = select(StaffUser)
    if role is not None:
        q = q.where(StaffUser.role == role)
    if buendnis_id is not None:
        q = q.where(StaffUser.buendnis_id == buendnis_id)
    total = await s.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = await s.scalars(q.order_by(StaffUser.id).limit(limit).offset(offset))
    return Page(
        items=[UserOut.model_validate(u) for u in rows], total=total, limit=limit, offset=offset
    )


@router.post("/users", response_model=UserOut, status_code=201, summary="Create an account")
async def create_user(body: UserIn, who: Admin, s: DbSession) -> UserOut:
    try:
        email = normalise_email(body.email)
        buendnis_id, servicestelle_id = await check_scope(
            s, body.role, body.buendnis_id, body.servicestelle_id
        )
        password_hash = await hash_off_loop(body.password)
    except AccountError as e:
        raise _account_error(e) from None
    if await s.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise Conflict("email_taken", "an account with this e-mail exists", "email")
    user = StaffUser(
        email=email,
        password_hash=password_hash,
        role=body.role,
        buendnis_id=buendnis_id,
        servicestelle_id=servicestelle_id,
        active=body.active,
    )
    s.add(user)
    await s.flush()
    await audit(s, who, "create", "staff_user", user.id)
    await s.commit()
    return UserOut.model_validate(user)


@router.get("/users/{user_id}", response_model=UserOut, summary="One account")
async def get_user(user_id: Id, who: Admin, s: DbSession) -> UserOut:
    return UserOut.model_validate(await _user(s, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change role, scope, active flag or password; unlock",
)
async def patch_user(user_id: Id, body: UserPatch, who: Admin, s: DbSession) -> UserOut:
    user = await _user(s, user_id)
    sent = body.model_dump(exclude_unset=True)
    role = body.role or user.role
    scope_changed = any(k in sent for k in ("role", "buendnis_id", "servicestelle_id"))
    try:
        if scope_changed:
            user.buendnis_id, user.servicestelle_id = await check_scope(
                s,
                role,
                sent.get("buendnis_id"),  # the new scope is exactly what was sent
                sent.get("servicestelle_id"),
            )
            user.role = role
        if body.password is not None:
            user.password_hash = await hash_off_loop(body.password)
            user.password_changed_at = utcnow()
    except AccountError as e:
        raise _account_error(e) from None
    if user.id == who.user_id and (body.active is False or (scope_changed and role != "admin")):
        raise Conflict("own_account", "you cannot disable or demote your own account")
    if body.active is not None:
        user.active = body.active
    if body.unlock:
        user.locked_until = None
        user.failed_logins = 0
    if body.password is not None or body.active is False or scope_changed:
        # Existing browser sessions end; tokens of the old scope stop working by themselves.
        await s.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    await audit(s, who, "update", "staff_user", user.id)
    await s.commit()
    return UserOut.model_validate(user)


@router.delete("/users/{user_id}", status_code=204, summary="Remove an account and its tokens")
async def delete_user(user_id: Id, who: Admin, s: DbSession) -> Response:
    user = await _user(s, user_id)
    if user.id == who.user_id:
        raise Conflict("own_account", "you cannot remove your own account")
    await s.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    await s.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    await s.delete(user)
    await audit(s, who, "delete", "staff_user", user_id)
    await s.commit()
    return Response(status_code=204)


@router.get("/users/{user_id}/tokens", response_model=list[TokenOut], summary="A user's tokens")
async def list_tokens(user_id: Id, who: Admin, s: DbSession) -> list[TokenOut]:
    await _user(s, user_id)
    rows = await s.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    )
    return [TokenOut.model_validate(t) for t in rows]


@router.post(
    "/users/{user_id}/tokens",
    response_model=NewToken,
    status_code=201,
    summary="Create an API token with the user's role and scope (shown once)",
)
async def new_token(user_id: Id, body: TokenIn, who: Admin, s: DbSession) -> NewToken:
    user = await _user(s, user_id)
    if not user.active:
        raise Conflict("account_inactive", "the account is disabled")
    token, plain = await create_token(s, user, expires_days=body.expires_days, label=body.label)
    await audit(s, who, "create", "api_token", token.id)
    await s.commit()
    return NewToken(token=plain, info=TokenOut.model_validate(token))


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke an API token")
async def revoke_token(token_id: Id, who: Admin, s: DbSession) -> TokenOut:
    token = await s.get(ApiToken, token_id)
    if token is None:
        raise NotFound("token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await audit(s, who, "revoke", "api_token", token.id)
        await s.commit()
    return TokenOut.model_validate(token)
