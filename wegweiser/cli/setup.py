"""`wegweiser db|flows|demo|i18n …`: database, flow files, demo data, translation status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wegweiser.cli.common import fail, reported, run, settings

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
flows_app = typer.Typer(help="Conversation flows.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
i18n_app = typer.Typer(help="Translations.", no_args_is_help=True)

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
    from base.catalogs import table

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
