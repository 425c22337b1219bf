"""`wegweiser` command line. Problems are reported as one line and a non-zero exit code.

One module per group of commands; this one only assembles them."""

from __future__ import annotations

import typer

from wegweiser.cli import entries, offers, serve, setup, surveys, users

app = typer.Typer(
    help="Wegweiser: multilingual assistant for young refugees.", no_args_is_help=True
)
app.add_typer(setup.db_app, name="db")
app.add_typer(setup.flows_app, name="flows")
app.add_typer(setup.demo_app, name="demo")
app.add_typer(setup.i18n_app, name="i18n")
app.add_typer(offers.offers_app, name="offers")
app.add_typer(serve.telegram_app, name="telegram")
app.add_typer(users.users_app, name="users")
app.add_typer(entries.entry_app, name="entry")
app.add_typer(surveys.surveys_app, name="surveys")
app.add_typer(surveys.results_app, name="results")
app.command()(serve.chat)
app.command()(serve.serve)


def main() -> None:  # pragma: no cover - console entry point
    app()
