"""What the browser tests share: Debian's Chromium driven by Playwright, and `wegweiser serve`
started on a free port.

Its fixtures (`browser_available`, `sqlite_server`) are loaded for every test module by
tests/conftest.py. Without /usr/bin/chromium (installed by `make setup`) or the playwright
package the browser tests are skipped with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (run `make setup`, which installs Debian's chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (run `make setup`)"
    return None


@pytest.fixture(scope="module")
def browser_available() -> None:
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true requires the browser test to run: {reason}")
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    tmp_path: Path, database_url: str, env: dict[str, str] | None = None, timeout: float = 30
) -> Iterator[str]:
    """`wegweiser serve` on a free port against `database_url` (already migrated); yields its
    base URL once /health answers, stops it afterwards. Its log is tmp_path/serve.log."""
    port = free_port()
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WEGWEISER_")},
        "WEGWEISER_INSTANCE_DIR": str(tmp_path / "instance"),
        "WEGWEISER_DATABASE_URL": database_url,
        "WEGWEISER_FLOWS_DIR": str(ROOT / "dialogs" / "flows"),
        **(env or {}),
    }
    (tmp_path / "instance").mkdir(exist_ok=True)
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "wegweiser", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log_path.read_text()[-3000:])
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def sqlite_server(tmp_path: Path, browser_available: None, sqlite_template: Path) -> Iterator[str]:
    """`wegweiser serve` on a free port with a fresh SQLite database (tmp_path/chat.db)."""
    shutil.copyfile(sqlite_template, tmp_path / "chat.db")  # migrated once (tests/conftest.py)
    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    with serve(tmp_path, url, timeout=20) as base:
        yield base
