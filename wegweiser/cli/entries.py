"""`wegweiser entry …`: entry points (deep-link codes for posters and multipliers) and their
printable posters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from entries.points import Entry, Links
    from wegweiser.services import Services

entry_app = typer.Typer(help="Entry points: start codes, links and posters.", no_args_is_help=True)


def _services() -> Services:
    from wegweiser.cli.common import settings
    from wegweiser.services import build

    return build(settings())


def _links(services: Services) -> Links:
    from entries.points import Links

    cfg = services.settings
    return Links(cfg.telegram_bot_username, cfg.public_url)


def _line(e: Entry, links: Links) -> str:
    target = f"wave {e.wave_id}" if e.wave_id else (e.flow_id or "default flow")
    where = " ".join(x for x in (links.telegram(e.code), links.webchat(e.code)) if x)
    return f"entry {e.id} {e.code} [{target}] {e.buendnis} — {e.source} — scans {e.scans}" + (
        f"\n  {where}" if where else ""
    )


async def _with_services(go: Any) -> Any:
    services = _services()
    try:
        return await go(services)
    finally:
        await services.close()


@entry_app.command("create")
def create(
    buendnis: Annotated[str, typer.Option(help="Bündnis code")],
    flow: Annotated[str, typer.Option(help="'erstberatung' (a flow id) or a survey wave number")],
    source: Annotated[str, typer.Option(help="where the code is used, e.g. 'Plakat Jobcenter'")],
) -> None:
    """Create an entry point with a new `/start` code; prints it with its links."""
    from entries.points import EntryError, buendnis_by_code, find
    from entries.points import create as create_entry
    from wegweiser.cli.common import fail, run

    async def go(services: Services) -> str:
        async with services.sessions() as s, s.begin():
            found = await buendnis_by_code(s, buendnis)
            if found is None:
                raise fail(f"no Bündnis with code {buendnis!r}")
            try:
                entry = await create_entry(s, found.id, flow, source, services.flows)
            except EntryError as e:
                raise fail(str(e)) from None
            created = next(e for e in await find(s, found.id) if e.id == entry.id)
        return _line(created, _links(services))

    typer.echo(run(lambda: _with_services(go)))


@entry_app.command("list")
def list_entries(
    buendnis: Annotated[str | None, typer.Option(help="Bündnis code (default: all)")] = None,
) -> None:
    """Entry points with their scan counts, newest first."""
    from entries.points import buendnis_by_code, find
    from wegweiser.cli.common import fail, run

    async def go(services: Services) -> list[str]:
        async with services.sessions() as s:
            buendnis_id = None
            if buendnis is not None:
                found = await buendnis_by_code(s, buendnis)
                if found is None:
                    raise fail(f"no Bündnis with code {buendnis!r}")
                buendnis_id = found.id
            return [_line(e, _links(services)) for e in await find(s, buendnis_id)]

    for line in run(lambda: _with_services(go)) or ["no entry points"]:
        typer.echo(line)


@entry_app.command("poster")
def poster(
    code: Annotated[str, typer.Argument(help="the entry point's start code")],
    out: Annotated[Path, typer.Option("--out", "-o", help="file to write (.pdf or .png)")],
) -> None:
    """Write the printable A4 poster of an entry point (PDF or PNG by the file's suffix)."""
    from entries.poster import Poster, PosterError, draw
    from wegweiser.cli.common import fail, run

    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "png"):
        raise fail("--out: a .pdf or .png file", 2)
    if not out.parent.is_dir():
        raise fail(f"--out: directory {out.parent} does not exist", 2)

    async def go(services: Services) -> bytes:
        from entries.points import find

        async with services.sessions() as s:
            entry = next((e for e in await find(s) if e.code == code), None)
        if entry is None:
            raise fail(f"no entry point with code {code!r}")
        links = _links(services)
        try:
            return draw(
                Poster(entry.buendnis, entry.code, links.telegram(code), links.webchat(code)), fmt
            )
        except PosterError as e:
            raise fail(str(e)) from None

    data = run(lambda: _with_services(go))
    out.write_bytes(data)
    typer.echo(f"poster written to {out} ({len(data)} bytes)")
