"""`wegweiser surveys …` and `wegweiser results …` end to end on a SQLite instance."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from base.settings import get_settings
from wegweiser.cli import app


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.setenv("WEGWEISER_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("WEGWEISER_DATABASE_URL", raising=False)
    get_settings.cache_clear()  # settings are cached per process
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("demo", "load").exit_code == 0
    yield invoke
    get_settings.cache_clear()


def test_wave_lifecycle_and_exports(cli, tmp_path):
    r = cli("surveys", "create", "demo-kreis", "Frühjahr", "--code", "fj")
    assert r.exit_code == 0 and "[draft]" in r.output and "start code fj" in r.output
    assert cli("surveys", "open", "1").exit_code == 0
    r = cli("surveys", "open", "1")
    assert r.exit_code == 1 and "cannot set it open" in r.output
    assert "[open]" in cli("surveys", "list").output
    assert cli("surveys", "invite", "1").output.strip() == "0 invitation(s) queued"
    out = tmp_path / "early.csv"
    r = cli("results", "export", "1", "-f", "csv", "-o", str(out))  # still running
    assert r.exit_code == 1 and "[open]" in r.output and "second day after it closed" in r.output
    assert not out.exists()
    assert cli("surveys", "close", "1").exit_code == 0
    r = cli("results", "export", "1", "-f", "csv", "-o", str(out))  # closed today: not yet
    assert r.exit_code == 1 and "[closed]" in r.output and not out.exists()
    _closed_days_ago(tmp_path, 1, 2)
    for fmt in ("csv", "xlsx", "json", "floip"):
        out = tmp_path / f"r.{fmt}"
        r = cli("results", "export", "1", "-f", fmt, "-o", str(out), "--sep", ";")
        assert r.exit_code == 0, r.output
        assert "self-selected sample, n = 0, suppression k = 5" in r.output
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_workbook(tmp_path / "r.xlsx")["Hinweise"]["B1"].value.startswith("Selbst")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["n"] == 0
    r = cli(
        "results",
        "export",
        "1",
        "-f",
        "xlsx",
        "-o",
        str(tmp_path / "x.xlsx"),
        "--charts",
        str(tmp_path / "charts"),
    )
    assert r.exit_code == 0
    assert (tmp_path / "charts").is_dir()  # empty wave: no item tables, so no charts yet


def _closed_days_ago(folder, wave_id: int, days: int) -> None:
    """As if the wave had been closed `days` ago (the instance's SQLite file)."""
    day = (dt.date.today() - dt.timedelta(days=days)).isoformat()
    with contextlib.closing(sqlite3.connect(folder / "wegweiser.db")) as db, db:
        db.execute("UPDATE survey_wave SET closed_on = ? WHERE id = ?", (day, wave_id))


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("results", "export", "7", "-o", "x.csv"), 1, "no wave with id 7"),
        (("results", "export", "1", "-f", "pdf", "-o", "x"), 2, "--format"),
        (("results", "export", "1", "--sep", "|", "-o", "x"), 2, "--sep"),
        (("results", "export", "1", "-o", "/no/such/dir/x.csv"), 2, "does not exist"),
        (("surveys", "create", "nope", "T"), 1, "no Bündnis"),
        (("surveys", "create", "demo-kreis", "T", "--flow", "demo"), 1, "not a survey"),
        (("surveys", "close", "5"), 1, "no wave with id 5"),
        (("results", "review", "1", "3"), 1, "no text answer"),
    ],
)
def test_bad_input_gets_one_clear_line(cli, args, code, message):
    cli("surveys", "create", "demo-kreis", "Frühjahr")
    r = cli(*args)
    assert r.exit_code == code and message in r.output and "Traceback" not in r.output
