"""`wegweiser users …`: staff accounts and API tokens."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import typer

from wegweiser.cli.common import fail, run, settings

users_app = typer.Typer(help="Staff accounts and API tokens.", no_args_is_help=True)

# ---------------------------------------------------------------- users


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _accounts(fn: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    """Run an account operation against the configured database; one line per problem."""
    from admin_api.security import AccountError
    from store.db import make_engine, sessions
    from wegweiser.services import check_database

    cfg = settings()

    async def go() -> Any:
        engine = make_engine(cfg.db_url)
        try:
            await check_database(engine)
            return await fn(sessions(engine))
        finally:
            await engine.dispose()

    try:
        return run(go)
    except AccountError as e:
        raise fail(str(e)) from None


@users_app.command("create")
def users_create(
    email: str,
    role: Annotated[str, typer.Option(help="admin | gfs | servicestelle")],
    buendnis: Annotated[str | None, typer.Option(help="Bündnis code (gfs)")] = None,
    servicestelle: Annotated[int | None, typer.Option(help="Servicestelle id")] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
) -> None:
    """Create a staff account (the first admin, too)."""
    from admin_api import accounts

    password = _read_password(password_stdin)
    user = _accounts(
        lambda s: accounts.create_user(
            s, email, password, role, buendnis_code=buendnis, servicestelle_id=servicestelle
        )
    )
    typer.echo(f"created {user.role} account {user.id} for {user.email}")


@users_app.command("reset-password")
def users_reset_password(
    email: str,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
) -> None:
    """Set a new password; clears a lockout and ends the account's sessions."""
    from admin_api import accounts

    password = _read_password(password_stdin)
    user = _accounts(lambda s: accounts.reset_password(s, email, password))
    typer.echo(f"password of {user.email} changed")


@users_app.command("token")
def users_token(
    email: str,
    expires_days: Annotated[int, typer.Option(help="0: never expires")] = 90,
    label: Annotated[str, typer.Option(help="what the token is for")] = "",
) -> None:
    """Create an API token with the account's role and scope; printed once, never again."""
    from admin_api import accounts

    token, plain = _accounts(
        lambda s: accounts.new_token(s, email, expires_days=expires_days or None, label=label)
    )
    typer.echo(
        f"token {token.id} ({token.role}), expires {accounts.describe_expiry(token.expires_at)}",
        err=True,
    )
    typer.echo(plain)


@users_app.command("revoke-token")
def users_revoke_token(token_id: int) -> None:
    """Revoke an API token by its id."""
    from admin_api import accounts

    token = _accounts(lambda s: accounts.revoke_token(s, token_id))
    typer.echo(f"token {token.id} revoked")
