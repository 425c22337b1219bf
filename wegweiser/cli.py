"""`wegweiser` command line. Problems are reported as one line and a non-zero exit code."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from dialogs.loader import FlowError
from store.db import DatabaseUnavailable
from wegweiser.settings import Settings, SettingsError, get_settings

app = typer.Typer(
    help="Wegweiser: multilingual assistant for young refugees.", no_args_is_help=True
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
flows_app = typer.Typer(help="Conversation flows.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
telegram_app = typer.Typer(help="Telegram bot setup.", no_args_is_help=True)
app.add_typer(telegram_app, name="telegram")
offers_app = typer.Typer(
    help="Offer catalogue (Angebote): import and export.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(flows_app, name="flows")
i18n_app = typer.Typer(help="Translations.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(i18n_app, name="i18n")
app.add_typer(offers_app, name="offers")
users_app = typer.Typer(help="Staff accounts and API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"wegweiser: {message}", err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def reported() -> Iterator[None]:
    """Turn the expected kinds of failure into one line for the operator."""
    try:
        yield
    except SettingsError as e:
        raise fail(str(e), 2) from None
    except FlowError as e:
        for problem in e.problems:
            typer.echo(str(problem), err=True)
        raise fail(f"{len(e.problems)} problem(s) in flow files") from None
    except DatabaseUnavailable as e:
        raise fail(str(e)) from None


def settings() -> Settings:
    with reported():
        return get_settings()


def run(coro_fn: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    with reported():
        return asyncio.run(coro_fn())


# ---------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the newest schema."""
    from store.db import make_engine
    from store.migrate import upgrade
    from wegweiser.services import check_database

    cfg = settings()
    if cfg.is_sqlite:
        cfg.instance_dir.mkdir(parents=True, exist_ok=True)

    async def reachable() -> None:
        engine = make_engine(cfg.db_url)
        try:
            await check_database(engine)
        finally:
            await engine.dispose()

    run(reachable)
    with reported():
        upgrade(cfg.db_url, revision, cfg.resolved_secret())  # seals stored addresses
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Migrate the database down (`base` removes every table)."""
    from store.migrate import downgrade

    cfg = settings()
    with reported():
        downgrade(cfg.db_url, revision, cfg.resolved_secret())
    typer.echo(f"database at {revision}")


# ---------------------------------------------------------------- flows


@flows_app.command("check")
def flows_check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="flow files or folders (default: the configured flows folder)"),
    ] = None,
) -> None:
    """Validate flow files with every check `serve` applies; prints `file:line: message` for
    each problem. A path that does not exist is an error."""
    from dialogs.registry import flow_files, scan

    given = paths or [settings().flows_dir]
    try:
        files = flow_files(given)
    except FileNotFoundError as e:
        raise fail(f"{e}: no such file or folder", 2) from None
    if not files:
        raise fail(f"no *.yaml flow files in {', '.join(map(str, given))}", 2)
    registry = scan(files)
    for flow in registry.flows.values():
        typer.echo(f"{flow.id}: {len(flow.items)} items, version {flow.version} ({flow.path})")
    if registry.problems:
        for problem in registry.problems:
            typer.echo(str(problem), err=True)
        n = len(registry.skipped)
        raise fail(f"{len(registry.problems)} problem(s) in {n} flow file(s)")


# ---------------------------------------------------------------- demo


@demo_app.command("load")
def demo_load() -> None:
    """Load the demo Bündnis (sample data, clearly marked). Safe to run twice."""
    from store.demo import load_demo
    from wegweiser.services import build

    cfg = settings()

    async def go() -> str:
        from wegweiser.services import check_database

        services = build(cfg)
        try:
            await check_database(services.engine)
            return await load_demo(services.sessions)
        finally:
            await services.close()

    typer.echo(run(go))


# ---------------------------------------------------------------- i18n


@i18n_app.command("status")
def i18n_status() -> None:
    """Per locale: total, translated, reviewed, missing, fuzzy (German is the source)."""
    from wegweiser.catalogs import table

    rows = table()
    typer.echo(
        f"{'locale':<8}{'total':>7}{'translated':>12}{'reviewed':>10}{'missing':>9}{'fuzzy':>7}"
    )
    for r in rows:
        typer.echo(
            f"{r.locale:<8}{r.total:>7}{r.translated:>12}{r.reviewed:>10}{r.missing:>9}{r.fuzzy:>7}"
        )
    if any(r.missing or r.fuzzy for r in rows):
        raise typer.Exit(1)


# ---------------------------------------------------------------- offers


def _catalogue_db_error(e: Exception) -> typer.Exit:
    return fail(
        f"database error ({type(e).__name__}); is it migrated? run `wegweiser db upgrade` first"
    )


@offers_app.command("import")
def offers_import(
    file: Annotated[Path, typer.Argument(help="a .csv (UTF-8, ; or ,) or .xlsx file")],
    buendnis: Annotated[
        str | None, typer.Option(help="Bündnis code for rows without a buendnis column")
    ] = None,
) -> None:
    """Import offers; every row is checked first, and one bad row means nothing is imported."""
    from offers.io import ImportRefused, import_offers
    from wegweiser.services import build, check_database

    cfg = settings()

    async def go() -> str:
        services = build(cfg)
        try:
            await check_database(services.engine)
            return str(await import_offers(services.sessions, file, buendnis=buendnis))
        finally:
            await services.close()

    from sqlalchemy.exc import SQLAlchemyError

    try:
        typer.echo(run(go))
    except ImportRefused as e:
        for problem in e.errors:
            typer.echo(f"{file}: {problem}", err=True)
        raise fail(f"{file}: {e}") from None
    except SQLAlchemyError as e:
        raise _catalogue_db_error(e) from None


@offers_app.command("export")
def offers_export(
    file: Annotated[Path, typer.Argument(help="a .csv or .xlsx file to write")],
    buendnis: Annotated[str | None, typer.Option(help="only this Bündnis (code)")] = None,
    delimiter: Annotated[str, typer.Option(help="CSV delimiter: ; or ,")] = ";",
) -> None:
    """Export the offer catalogue (all Bündnisse, or one) as CSV or XLSX."""
    from offers.io import export_offers
    from wegweiser.services import build, check_database

    cfg = settings()

    async def go() -> int:
        services = build(cfg)
        try:
            await check_database(services.engine)
            async with services.sessions() as s:
                return await export_offers(s, file, buendnis=buendnis, delimiter=delimiter)
        finally:
            await services.close()

    from sqlalchemy.exc import SQLAlchemyError

    try:
        count = run(go)
    except SQLAlchemyError as e:
        raise _catalogue_db_error(e) from None
    except OSError as e:
        raise fail(f"{file}: cannot write: {e.strerror}") from None
    except ValueError as e:
        raise fail(f"{file}: {e}") from None
    typer.echo(f"{count} offer(s) written to {file}")


@offers_app.command("status")
def offers_status(
    buendnis: Annotated[str | None, typer.Option(help="only this Bündnis (code)")] = None,
) -> None:
    """Per language: how many offer texts are translated, reviewed, outdated, missing."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from offers.texts import catalogue_coverage
    from store.models import Buendnis
    from wegweiser.services import build, check_database

    cfg = settings()

    async def go() -> list[Any] | None:
        services = build(cfg)
        try:
            await check_database(services.engine)
            async with services.sessions() as s:
                scope = None
                if buendnis is not None:
                    scope = await s.scalar(select(Buendnis.id).where(Buendnis.code == buendnis))
                    if scope is None:
                        return None
                return await catalogue_coverage(s, scope)
        finally:
            await services.close()

    try:
        rows = run(go)
    except SQLAlchemyError as e:
        raise _catalogue_db_error(e) from None
    if rows is None:
        raise fail(f"--buendnis: unknown Bündnis {buendnis!r}", 2)
    head = f"{'locale':<8}{'texts':>7}{'translated':>12}{'reviewed':>10}{'outdated':>10}"
    typer.echo(head + f"{'missing':>9}{'offers complete':>17}")
    for c in rows:
        typer.echo(
            f"{c.locale:<8}{c.texts:>7}{c.translated:>12}{c.reviewed:>10}{c.outdated:>10}"
            f"{c.missing:>9}{f'{c.offers_complete}/{c.offers}':>17}"
        )


# ---------------------------------------------------------------- chat


@app.command()
def chat(
    lang: Annotated[str | None, typer.Option(help="language, e.g. de, ar, uk")] = None,
    flow: Annotated[str | None, typer.Option(help="flow id (default: configured flow)")] = None,
    user: Annotated[str, typer.Option(help="who you are in this terminal")] = "local",
) -> None:
    """Talk to Wegweiser in the terminal (numbered choices; /help for commands)."""
    from bot.console import Console
    from wegweiser import i18n
    from wegweiser.services import build, check_database

    cfg = settings()
    if lang is not None and lang not in i18n.available_locales():
        raise fail(
            f"--lang: unknown language {lang!r}; known: {', '.join(i18n.available_locales())}", 2
        )

    async def go() -> None:
        services = build(cfg)
        if flow is not None and flow not in services.flows:
            raise fail(f"--flow: unknown flow {flow!r}; known: {', '.join(services.flows)}", 2)
        try:
            await check_database(services.engine)
            await Console(services.runtime, user=user).run(sys.stdin, lang=lang, flow=flow)
        finally:
            await services.close()

    run(go)


# ---------------------------------------------------------------- telegram


def _telegram_settings() -> Settings:
    cfg = settings()
    if not cfg.telegram_bot_token:
        raise fail("TELEGRAM_BOT_TOKEN: not set (the token BotFather gave you)", 2)
    return cfg


@telegram_app.command("set-webhook")
def telegram_set_webhook(
    url: Annotated[str, typer.Argument(help="public https URL, ending in /telegram/webhook")],
    drop_pending: Annotated[bool, typer.Option(help="forget updates not yet delivered")] = False,
) -> None:
    """Tell Telegram to deliver updates to URL (with the secret token), and set the commands."""
    from bot.telegram.service import set_webhook

    cfg = _telegram_settings()
    if not cfg.telegram_webhook_secret:
        raise fail("WEGWEISER_TELEGRAM_WEBHOOK_SECRET: required for a webhook", 2)
    if not url.startswith("https://") and cfg.env == "production":
        raise fail("URL: Telegram only delivers to https:// URLs", 2)
    typer.echo(run(lambda: set_webhook(cfg, url, drop_pending=drop_pending)))


@telegram_app.command("delete-webhook")
def telegram_delete_webhook(
    drop_pending: Annotated[bool, typer.Option(help="forget updates not yet delivered")] = False,
) -> None:
    """Remove the webhook (then `serve` without WEGWEISER_TELEGRAM_WEBHOOK_URL polls)."""
    from bot.telegram.service import delete_webhook

    cfg = _telegram_settings()
    typer.echo(run(lambda: delete_webhook(cfg, drop_pending=drop_pending)))


# ---------------------------------------------------------------- serve


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Start the admin API (and Telegram when TELEGRAM_BOT_TOKEN is set)."""
    import uvicorn

    from admin_api.app import auth_config_from, create_app
    from admin_api.routers.surveys import SurveyConfig
    from bot.webchat import build_webchat_router
    from wegweiser.services import build, check_database

    cfg = settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def go() -> None:
        services = build(cfg)
        await check_database(services.engine)
        api = create_app(
            services.engine,
            services.sessions,
            auth_config_from(cfg),
            SurveyConfig(services.flows, services.runtime.secret, cfg.default_locale),
        )
        api.include_router(build_webchat_router(services.runtime))  # /chat
        telegram = None
        if cfg.telegram_bot_token:
            from bot.telegram.service import TelegramService

            telegram = TelegramService(services.runtime, cfg)
            telegram.mount(api)
        server = uvicorn.Server(
            uvicorn.Config(api, host=host or cfg.host, port=port or cfg.port, log_level="info")
        )
        ttl = dt.timedelta(days=cfg.conversation_ttl_days)
        retention = dt.timedelta(days=cfg.referral_retention_days)

        async def housekeeping() -> None:
            from bot.housekeeping import expire, forget_stale_answers
            from referrals.effects import still_open
            from referrals.retention import purge
            from results.texts import expire_unreviewed
            from surveys.dropouts import expire_abandoned

            factory, flows = services.sessions, services.flows
            jobs: list[tuple[str, Callable[[], Coroutine[Any, Any, Any]]]] = [
                ("survey drop-outs", lambda: expire_abandoned(factory, flows)),
                ("conversation expiry", lambda: expire(factory, ttl, still_open)),
                ("intake answers", lambda: forget_stale_answers(factory, flows)),
                ("referral retention", lambda: purge(factory, retention)),
                ("held responses and counts", lambda: services.holding.flush()),
                ("unreviewed free texts", lambda: expire_unreviewed(factory)),
            ]
            while True:
                for name, job in jobs:  # one failing job must not stop the others
                    try:
                        await job()
                    except Exception as e:
                        logging.getLogger("wegweiser.housekeeping").warning(
                            "%s failed: %s", name, type(e).__name__
                        )
                await asyncio.sleep(3600)

        # uvicorn re-raises SIGTERM after its graceful shutdown; the default action would end
        # the process before the `finally` below writes what the holding area keeps back
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        task = asyncio.create_task(housekeeping())
        if telegram is not None:
            await telegram.start()
        try:
            await server.serve()
        finally:
            task.cancel()
            await services.write_held()  # first: stopping the sender may take its time
            if telegram is not None:
                await telegram.stop()
            await services.close()

    run(go)


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


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


from wegweiser.survey_cli import results_app, surveys_app  # noqa: E402

app.add_typer(surveys_app, name="surveys")
app.add_typer(results_app, name="results")


def main() -> None:  # pragma: no cover - console entry point
    app()
