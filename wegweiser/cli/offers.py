"""`wegweiser offers …`: the offer catalogue's files and translation status."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from wegweiser.cli.common import fail, run, settings

offers_app = typer.Typer(
    help="Offer catalogue (Angebote): import and export.", no_args_is_help=True
)

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
    from offers.io import import_offers
    from offers.io_columns import ImportRefused
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
