"""`wegweiser serve`, `wegweiser chat` and `wegweiser telegram …`: running the assistant."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import typer

from base.settings import Settings
from wegweiser.cli.common import fail, reported, run, settings

telegram_app = typer.Typer(help="Telegram bot setup.", no_args_is_help=True)

# ---------------------------------------------------------------- chat


def chat(
    lang: Annotated[str | None, typer.Option(help="language, e.g. de, ar, uk")] = None,
    flow: Annotated[str | None, typer.Option(help="flow id (default: configured flow)")] = None,
    user: Annotated[str, typer.Option(help="who you are in this terminal")] = "local",
) -> None:
    """Talk to Wegweiser in the terminal (numbered choices; /help for commands)."""
    from base import i18n
    from bot.console import Console
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


def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Start the admin API (and Telegram when TELEGRAM_BOT_TOKEN is set)."""
    import uvicorn

    from admin_api.app import auth_config_from, build_route_tables, create_app
    from admin_api.connections import Server, guarded_protocol
    from admin_api.security import hashing
    from base.workers import files, uploads
    from bot.webchat import build_webchat_router
    from dialogs.safety import detector
    from entries.points import Links
    from surveys.service import SurveyConfig
    from wegweiser.services import build, check_database

    cfg = settings()
    with reported():
        cfg.check_metrics()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def go() -> None:
        services = build(cfg)
        await check_database(services.engine)
        await asyncio.to_thread(detector)  # the safety lexicons load now, not on a first message
        api = create_app(
            services.engine,
            services.sessions,
            auth_config_from(cfg),
            SurveyConfig(services.flows, services.runtime.secret, cfg.default_locale),
            Links(cfg.telegram_bot_username, cfg.public_url),
            metrics_token=cfg.metrics_token,
            metrics_here=not cfg.metrics_address,
        )
        api.include_router(build_webchat_router(services.runtime))  # /chat
        telegram = None
        if cfg.telegram_bot_token:
            from bot.telegram.service import TelegramService

            telegram = TelegramService(services.runtime, cfg)
            telegram.mount(api)
        await build_route_tables(api)
        protocol = guarded_protocol(
            cfg.request_header_seconds,
            cfg.request_seconds,
            cfg.max_connections,
            cfg.max_connections_per_address,
        )
        server = Server(
            uvicorn.Config(
                api,
                host=host or cfg.host,
                port=port or cfg.port,
                log_level="info",
                access_log=False,  # no line per request: it would keep the addresses of the
                # people chatting (the reverse proxy logs what its operator chooses to keep)
                http=protocol,
                ws="none",  # no websockets: an upgrade would leave the request deadlines
            )
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
        metrics_server: uvicorn.Server | None = None
        metrics_task: asyncio.Task[None] | None = None
        if cfg.metrics_address:  # started first: the main server then takes the signals
            metrics_host, _, metrics_port = cfg.metrics_address.rpartition(":")
            metrics_server = uvicorn.Server(
                uvicorn.Config(
                    api.state.metrics.app(),
                    host=metrics_host.strip("[]"),
                    port=int(metrics_port),
                    # leaves logging as the main server set it: a level given here would be
                    # uvicorn's for both, and the main server's start and stop went unlogged
                    log_config=None,
                    log_level=None,
                )
            )
            metrics_task = asyncio.create_task(metrics_server.serve())
        if telegram is not None:
            await telegram.start()
        # What startup built (app, mappers, lexicons, catalogs: ~250,000 objects) lives as long
        # as the process: kept out of the collector, a full collection under load takes a few
        # ms instead of 30-75 ms during which every request waits (bench/hostile.py).
        await loaded_backend()
        gc.collect()
        gc.freeze()
        # the hashing and file processes start now, beside the server, not in a first login
        pools = (hashing, uploads, files)
        warming = asyncio.gather(*(pool.warm() for pool in pools), return_exceptions=True)
        try:
            await server.serve()
        finally:
            task.cancel()
            warming.cancel()
            for pool in pools:
                pool.close()
            await services.write_held()  # first: stopping the sender may take its time
            if metrics_server is not None and metrics_task is not None:
                metrics_server.should_exit = True
                await metrics_task
            if telegram is not None:
                await telegram.stop()
            await services.close()

    run(go)


async def loaded_backend() -> None:
    """anyio imports its asyncio backend at first use, the first request with a database
    session: 20-50 ms of imports on the event loop, in the first burst of logins. Now."""
    import anyio

    anyio.get_cancelled_exc_class()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
