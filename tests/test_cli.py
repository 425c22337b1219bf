"""The `wegweiser` command as a person runs it: real subprocesses, real databases."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from results.storage import stored_answers
from store.db import make_engine, sessions
from store.models import Conversation, SurveyResponse

WEGWEISER = [sys.executable, "-m", "wegweiser"]
pytestmark = pytest.mark.slow


def env_for(tmp_path: Path, db_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEGWEISER_")}
    env.update(WEGWEISER_INSTANCE_DIR=str(tmp_path / "instance"), PYTHONUNBUFFERED="1")
    if db_url:
        env["WEGWEISER_DATABASE_URL"] = db_url
    env.update(extra)
    return env


def cli(tmp_path, *args, db_url=None, stdin="", **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WEGWEISER, *args],
        env=env_for(tmp_path, db_url, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def test_bad_setting_is_one_line_and_exit_2(tmp_path):
    r = cli(tmp_path, "flows", "check", WEGWEISER_PORT="eighty")
    assert r.returncode == 2
    [line] = r.stderr.strip().splitlines()
    assert line.startswith("wegweiser: WEGWEISER_PORT: Input should be a valid integer")
    r = cli(tmp_path, "flows", "check", WEGWEISER_COLOUR="blue")
    assert r.returncode == 2 and "WEGWEISER_COLOUR: unknown setting" in r.stderr
    assert "Traceback" not in r.stderr


def test_production_refuses_a_missing_or_short_secret(tmp_path):
    r = cli(tmp_path, "demo", "load", WEGWEISER_ENV="production")
    assert r.returncode == 2 and "WEGWEISER_SECRET_KEY: required in production" in r.stderr
    r = cli(tmp_path, "demo", "load", WEGWEISER_SECRET_KEY="short")
    assert r.returncode == 2 and "at least 32 characters" in r.stderr


def test_unreachable_database_is_one_line(tmp_path):
    r = cli(tmp_path, "db", "upgrade", db_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert r.returncode == 1
    assert r.stderr.startswith("wegweiser: database not reachable")
    assert "Traceback" not in r.stderr


def test_flows_check_reports_file_and_line(tmp_path):
    good = cli(tmp_path, "flows", "check")
    assert good.returncode == 0 and "demo:" in good.stdout
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "broken.yaml").write_text(
        "id: broken\ntitle: Kaputt\nitems:\n  - id: a\n    kind: single\n    text: A?\n"
        "    choices: [{code: x, label: X}]\n  - id: b\n    kind: dance\n    text: B\n"
    )
    r = cli(tmp_path, "flows", "check", str(flows))
    assert r.returncode == 1
    assert f"{flows / 'broken.yaml'}:9:" in r.stderr and "dance" in r.stderr
    (flows / "broken.yaml").write_text("id: [unclosed\n")
    r = cli(tmp_path, "flows", "check", str(flows))
    assert r.returncode == 1 and "broken.yaml:" in r.stderr and "Traceback" not in r.stderr


def test_secret_is_generated_once_with_mode_0600(tmp_path):
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    assert cli(tmp_path, "demo", "load").returncode == 0
    secret = tmp_path / "instance" / "secret_key"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    first = secret.read_text()
    r = cli(tmp_path, "demo", "load")
    assert "already present" in r.stdout and secret.read_text() == first


def test_chat_completes_the_demo(tmp_path):
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    r = cli(tmp_path, "chat", "--lang", "de", stdin="25\n2\n5\n")
    assert r.returncode == 0, r.stderr
    assert "Wie alt bist du?" in r.stdout and "Das hast du geantwortet:" in r.stdout
    assert "Wie wohnst du? – In einer eigenen Wohnung" in r.stdout
    r = cli(tmp_path, "chat", "--lang", "xx")
    assert r.returncode == 2 and "--lang" in r.stderr


# ---------------------------------------------------------------- crash and resume


class Chat:
    """`wegweiser chat` in a subprocess, read line by line until its prompt."""

    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.proc = subprocess.Popen(
            [*WEGWEISER, "chat", "--lang", "de"],
            env=env_for(tmp_path, db_url),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            cwd=tmp_path,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = ""
        while ch := self.proc.stdout.read(1):
            buf += ch
            if ch == "\n" or buf == "> ":
                self.lines.put(buf)
                buf = ""

    def until_prompt(self, timeout: float = 30) -> str:
        out, deadline = "", time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line == "> ":
                return out
            out += line
        raise AssertionError(f"no prompt; got {out!r}; stderr {self.proc.stderr.read()!r}")

    def say(self, text: str) -> str:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.until_prompt()


async def _counts(url: str) -> tuple[int, int, dict]:
    engine = make_engine(url)
    async with sessions(engine)() as s:
        responses = await s.scalar(select(func.count()).select_from(SurveyResponse))
        answers = len(await stored_answers(s))
        state = (await s.scalar(select(Conversation))).state
    await engine.dispose()
    return responses, answers, state


async def test_sigkill_mid_conversation_resumes_at_the_same_question(tmp_path, db_url):
    chat = Chat(tmp_path, db_url)
    assert "Wie alt bist du?" in chat.until_prompt()
    assert "Wie wohnst du?" in chat.say("33")
    assert "Suchst du eine Wohnung?" in chat.say("1")
    chat.proc.send_signal(signal.SIGKILL)
    chat.proc.wait(10)

    _, _, state = await _counts(db_url)
    assert state["answers"] == {"age": 33, "housing": "shared"}
    assert state["item"] == "housing_help"

    chat = Chat(tmp_path, db_url)
    assert "Suchst du eine Wohnung?" in chat.until_prompt()  # the same question again
    assert "Wobei brauchst du Hilfe?" in chat.say("nein")
    out = chat.say("6")  # skip the optional question
    assert "Suchst du eine Wohnung? – Nein" in out and "Wie alt bist du? – 33" in out
    chat.proc.stdin.close()
    chat.proc.wait(10)
    responses, answers, state = await _counts(db_url)
    assert (responses, answers) == (1, 4)  # age, housing, housing_help, needs(skipped)
    assert state["answers"] == {}
