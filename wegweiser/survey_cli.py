"""`wegweiser surveys …`: survey waves (create, open, close, list, invite) for staff."""

from __future__ import annotations

from typing import Annotated

import typer

surveys_app = typer.Typer(help="Anonymous survey waves and results.", no_args_is_help=True)


def _services():  # noqa: ANN202 - returns wegweiser.services.Services
    from wegweiser.cli import settings
    from wegweiser.services import build

    return build(settings())


def _wave_line(w: object) -> str:
    from bot.survey.waves import WaveInfo

    assert isinstance(w, WaveInfo)
    dates = f" opened {w.opened_on}" if w.opened_on else ""
    dates += f" closed {w.closed_on}" if w.closed_on else ""
    return (
        f"wave {w.id} [{w.status}] {w.buendnis} {w.flow_id}@{w.flow_version} "
        f"start code {w.code or '-'} — {w.title}{dates}"
    )


@surveys_app.command("create")
def create(
    buendnis: Annotated[str, typer.Argument(help="Bündnis code")],
    title: Annotated[str, typer.Argument(help="title for staff, e.g. 'Frühjahr 2027'")],
    flow: Annotated[str, typer.Option(help="survey flow id")] = "befragung-lebenslage",
    code: Annotated[str | None, typer.Option(help="start code (default: random)")] = None,
) -> None:
    """Create a draft wave with its own `/start` code."""
    from bot.survey.waves import WaveError, create_wave
    from wegweiser.cli import fail, run

    async def go() -> str:
        services = _services()
        try:
            if flow not in services.flows:
                raise fail(f"unknown flow {flow!r}; known: {', '.join(services.flows)}", 2)
            try:
                wave = await create_wave(
                    services.sessions, buendnis, services.flows[flow], title, code
                )
            except WaveError as e:
                raise fail(str(e)) from None
            return _wave_line(wave)
        finally:
            await services.close()

    typer.echo(run(go))


def _set(wave_id: int, status: str) -> None:
    from bot.survey.waves import WaveError, set_status
    from wegweiser.cli import fail, run

    async def go() -> str:
        services = _services()
        try:
            try:
                wave = await set_status(services.sessions, wave_id, status, services.flows)
            except WaveError as e:
                raise fail(str(e)) from None
            return _wave_line(wave)
        finally:
            await services.close()

    typer.echo(run(go))


@surveys_app.command("open")
def open_(wave_id: int) -> None:
    """Open a draft wave (pins the flow version loaded now)."""
    _set(wave_id, "open")


@surveys_app.command("close")
def close(wave_id: int) -> None:
    """Close an open wave: no new responses."""
    _set(wave_id, "closed")


@surveys_app.command("list")
def list_(
    buendnis: Annotated[str | None, typer.Option(help="only this Bündnis")] = None,
) -> None:
    """List waves."""
    from bot.survey.waves import list_waves
    from wegweiser.cli import run

    async def go() -> list[str]:
        services = _services()
        try:
            return [_wave_line(w) for w in await list_waves(services.sessions, buendnis)]
        finally:
            await services.close()

    for line in run(go) or ["no waves"]:
        typer.echo(line)


@surveys_app.command("invite")
def invite_(wave_id: int) -> None:
    """Queue invitations (broadcast priority) to people of the Bündnis who opted in."""
    from bot.survey.waves import WaveError, invite
    from wegweiser.cli import fail, run

    async def go() -> int:
        services = _services()
        try:
            try:
                return await invite(
                    services.sessions,
                    wave_id,
                    services.runtime.secret,
                    services.settings.default_locale,
                )
            except WaveError as e:
                raise fail(str(e)) from None
        finally:
            await services.close()

    typer.echo(f"{run(go)} invitation(s) queued")
