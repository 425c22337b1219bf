"""`wegweiser surveys …`: survey waves (create, open, close, list, invite) for staff."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from results.tables import Report
    from results.texts import TextAnswer
    from wegweiser.services import Services

surveys_app = typer.Typer(help="Anonymous survey waves and results.", no_args_is_help=True)


def _services() -> Services:
    from wegweiser.cli.common import settings
    from wegweiser.services import build

    return build(settings())


def _wave_line(w: object) -> str:
    from surveys.wave_commands import WaveInfo

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
    from surveys.wave_commands import WaveError, create_wave
    from wegweiser.cli.common import fail, run

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
    from surveys.wave_commands import WaveError, set_status
    from wegweiser.cli.common import fail, run

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
    from surveys.wave_commands import list_waves
    from wegweiser.cli.common import run

    async def go() -> list[str]:
        services = _services()
        try:
            return [_wave_line(w) for w in await list_waves(services.sessions, buendnis)]
        finally:
            await services.close()

    for line in run(go) or ["no waves"]:
        typer.echo(line)


@surveys_app.command("import")
def import_(
    form: Annotated[str, typer.Argument(help="XLSForm workbook (.xlsx, .xls)")],
    out: Annotated[
        str | None, typer.Option(help="flow file to write (default: flows folder/<form_id>.yaml)")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing flow file")] = False,
    skip_unsupported: Annotated[
        bool, typer.Option(help="import what a chat can ask and list what was left out")
    ] = False,
    translations: Annotated[
        bool, typer.Option(help="merge label::<language> columns into the gettext catalogs")
    ] = True,
    catalogs: Annotated[
        str | None, typer.Option(help="catalogs folder (default: the project's locales/)")
    ] = None,
) -> None:
    """Turn an XLSForm into a survey flow file, read by pyxform as ODK and KoBo read it. The
    flow is checked with everything `serve` checks, next to the other flows of its folder,
    before it is written; translations in supported languages go into the catalogs, marked
    as not reviewed."""
    from base.catalogs import merge, po_path
    from base.i18n import LOCALE_ORDER, LOCALES_DIR
    from dialogs.xlsform import XLSFormError, import_file
    from wegweiser.cli.common import fail, settings

    try:
        imported = import_file(Path(form), locales=LOCALE_ORDER, skip_unsupported=skip_unsupported)
    except XLSFormError as e:
        for problem in e.problems:
            typer.echo(problem, err=True)
        hint = "" if skip_unsupported else "; --skip-unsupported imports the rest"
        raise fail(f"{form}: not imported{hint}") from None
    target = Path(out) if out else settings().flows_dir / f"{imported.flow_id}.yaml"
    if target.exists() and not force:
        raise fail(f"{target} exists; use --force to overwrite", 2)
    if not target.parent.is_dir():
        raise fail(f"{target.parent}: no such folder", 2)
    problems = _beside_the_others(target, imported.yaml_text)
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise fail(f"{form}: not imported: the flow would not load next to the others")
    partial = target.with_name(f".{target.name}.part")  # never a half-written flow file
    partial.write_text(imported.yaml_text, encoding="utf-8")
    partial.replace(target)
    for note in imported.notes:
        typer.echo(f"note: {note}")
    items = imported.yaml_text.count("\n- id: ")
    typer.echo(f"{target}: flow {imported.flow_id}, {items} items")
    root = Path(catalogs) if catalogs else LOCALES_DIR
    for locale, texts in imported.translations.items():
        if not translations:
            typer.echo(f"{locale}: {len(texts)} entries not merged (--no-translations)")
        elif not po_path(locale, root).exists():
            typer.echo(f"{locale}: {len(texts)} entries not merged: no {po_path(locale, root)}")
        else:
            added, updated = merge(locale, texts, root)
            typer.echo(
                f"{locale}: {len(texts)} entries ({added} new, {updated} updated, "
                f"{len(texts) - added - updated} unchanged) in {po_path(locale, root)}"
            )


def _beside_the_others(target: Path, text: str) -> list[str]:
    """What `serve` would say about the new file in its folder (a flow id already used by
    another file included); the other files' own problems are theirs."""
    import tempfile

    from dialogs.registry import flow_files, scan

    others = [f for f in flow_files([target.parent]) if f.resolve() != target.resolve()]
    with tempfile.TemporaryDirectory() as tmp:
        candidate = Path(tmp) / target.name
        candidate.write_text(text, encoding="utf-8")
        registry = scan([*others, candidate])
    mine = [p for p in registry.problems if p.path == str(candidate)]
    return [str(p).replace(str(candidate), str(target)) for p in mine]


@surveys_app.command("invite")
def invite_(wave_id: int) -> None:
    """Queue invitations (broadcast priority) to people of the Bündnis who opted in."""
    from surveys.wave_commands import WaveError, invite
    from wegweiser.cli.common import fail, run

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


# ---------------------------------------------------------------- results

results_app = typer.Typer(help="Aggregated, suppressed survey results.", no_args_is_help=True)


async def _report(services: Services, wave_id: int) -> tuple[Report, list[TextAnswer]]:
    from dialogs.expr import evaluate
    from results.service import WAVE_NOT_CLOSED, published
    from results.tables import Codebook, build_report
    from results.texts import text_answers
    from store.models import SurveyWave
    from wegweiser.cli.common import fail

    async with services.sessions() as s:
        wave = await s.get(SurveyWave, wave_id)
        if wave is None:
            raise fail(f"no wave with id {wave_id}")
        if not published(wave):  # the rule of the API and the staff pages
            raise fail(f"wave {wave_id} [{wave.status}]: {WAVE_NOT_CLOSED}")
        flow = services.flows.get(wave.flow_id)
        if flow is None:
            raise fail(f"flow {wave.flow_id!r} of wave {wave_id} is not loaded")
        report = await build_report(s, wave_id, Codebook.from_flow(flow, evaluate))
        texts = await text_answers(s, wave_id, reviewed=True)
    return report, list(texts)


@results_app.command("export")
def export(
    wave_id: int,
    out: Annotated[str, typer.Option("--out", "-o", help="file to write")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, xlsx, json or floip")] = "xlsx",
    sep: Annotated[str, typer.Option(help="CSV separator: ',' or ';' (German Excel)")] = ",",
    charts: Annotated[
        str | None, typer.Option(help="also write a PNG and SVG bar chart per item here")
    ] = None,
) -> None:
    """Export the suppressed results of a wave (self-selected sample; n and k stated)."""
    from pathlib import Path

    from results.export import FORMATS, write
    from wegweiser.cli.common import fail, run

    if fmt not in FORMATS:
        raise fail(f"--format: one of {', '.join(FORMATS)}", 2)
    if sep not in (",", ";"):
        raise fail("--sep: ',' or ';'", 2)
    target = Path(out)
    if not target.parent.exists():
        raise fail(f"--out: folder {target.parent} does not exist", 2)

    async def go() -> tuple[Report, list[TextAnswer]]:
        services = _services()
        try:
            return await _report(services, wave_id)
        finally:
            await services.close()

    from results.charts import charts as make_charts

    report, texts = run(go)
    images = make_charts(report, "png") if fmt == "xlsx" else None
    write(report, texts, fmt, target, sep, images)
    if charts:
        folder = Path(charts)
        folder.mkdir(parents=True, exist_ok=True)
        for kind in ("png", "svg"):
            for item_id, data in make_charts(report, kind).items():
                (folder / f"{item_id}.{kind}").write_bytes(data)
    typer.echo(f"{target}: {report.notice_en}")


@results_app.command("texts")
def texts_(
    wave_id: int, pending: Annotated[bool, typer.Option(help="only unreviewed")] = True
) -> None:
    """Show free-text answers of a wave (scrubbed) with their ids, for review."""
    from results.texts import text_answers
    from wegweiser.cli.common import run

    async def go() -> list[str]:
        services = _services()
        try:
            async with services.sessions() as s:
                found = await text_answers(s, wave_id, reviewed=False if pending else None)
        finally:
            await services.close()
        return [
            f"{t.id}\t{t.item_id}\t{'ok' if t.reviewed else 'offen'}"
            f"\t{','.join(t.flags) or '-'}\t{t.text}"
            for t in found
        ]

    for line in run(go) or ["no text answers"]:
        typer.echo(line)


@results_app.command("review")
def review_(
    wave_id: int,
    ids: Annotated[list[str], typer.Argument(help="text answer ids")],
    reject: Annotated[bool, typer.Option(help="delete instead of approving")] = False,
) -> None:
    """Approve free-text answers for export (scrubbed), or --reject to delete them."""
    from results.texts import review
    from wegweiser.cli.common import fail, run

    async def go() -> int:
        services = _services()
        try:
            async with services.sessions() as s, s.begin():
                try:
                    return await review(s, wave_id, ids, approve=not reject)
                except LookupError as e:
                    raise fail(str(e)) from None
        finally:
            await services.close()

    n = run(go)
    typer.echo(f"{n} text answer(s) {'deleted' if reject else 'approved'}")
