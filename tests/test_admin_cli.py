"""`wegweiser users create|reset-password|token|revoke-token` as an operator runs them."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from admin_api.app import create_app
from base.settings import get_settings
from store.db import make_engine, sessions
from store.demo import load_demo
from store.models import ApiToken, AuditEntry, Servicestelle, StaffUser
from tests.test_cli import cli as subprocess_cli
from wegweiser.cli import app as cli_app


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli(tmp_path, *args: str, db_url: str, stdin: str = "") -> Result:
    """In-process run of the command (fast); the first call below uses a real subprocess."""
    env = {"WEGWEISER_DATABASE_URL": db_url, "WEGWEISER_INSTANCE_DIR": str(tmp_path / "i")}
    get_settings.cache_clear()
    try:
        r = CliRunner().invoke(cli_app, list(args), input=stdin, env=env)
    finally:
        get_settings.cache_clear()
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return Result(r.exit_code, r.stdout, r.stderr)


async def _rows(url: str, model: type) -> list:
    engine = make_engine(url)
    try:
        async with sessions(engine)() as s:
            return list(await s.scalars(select(model)))
    finally:
        await engine.dispose()


async def _prepare(url: str) -> int:
    engine = make_engine(url)
    try:
        await load_demo(sessions(engine))
        async with sessions(engine)() as s, s.begin():
            stelle = Servicestelle(buendnis_id=1, name="Servicestelle Moers")
            s.add(stelle)
            await s.flush()
            return stelle.id
    finally:
        await engine.dispose()


async def _me(url: str, token: str) -> httpx.Response:
    engine = make_engine(url)
    app = create_app(engine)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    finally:
        await engine.dispose()


@pytest.mark.slow
def test_users_commands(tmp_path, db_url):
    stelle_id = asyncio.run(_prepare(db_url))
    pw = "erstes admin passwort\n"
    r = subprocess_cli(  # the real command once: entry point, stdin, exit code
        tmp_path,
        "users",
        "create",
        "Chef@Example.org",
        "--role",
        "admin",
        "--password-stdin",
        db_url=db_url,
        stdin=pw,
    )
    assert r.returncode == 0, r.stderr
    assert "created admin account 1 for chef@example.org" in r.stdout

    # problems: one line, non-zero exit, nothing written
    for args, message in [
        (["chef@example.org", "--role", "admin"], "an account for chef@example.org exists"),
        (["gfs@example.org", "--role", "gfs"], "a gfs account needs a Bündnis"),
        (["gfs@example.org", "--role", "gfs", "--buendnis", "nope"], "no Bündnis with code"),
        (["x@example.org", "--role", "root"], "role must be one of admin, gfs, servicestelle"),
        (["not-an-email", "--role", "admin"], "not an e-mail address"),
    ]:
        r = cli(tmp_path, "users", "create", *args, "--password-stdin", db_url=db_url, stdin=pw)
        assert r.returncode == 1 and message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = cli(
        tmp_path,
        "users",
        "create",
        "kurz@example.org",
        "--role",
        "admin",
        "--password-stdin",
        db_url=db_url,
        stdin="kurz\n",
    )
    assert r.returncode == 1 and "at least 12 characters" in r.stderr

    r = cli(
        tmp_path,
        "users",
        "create",
        "gfs@example.org",
        "--role",
        "gfs",
        "--buendnis",
        "demo-kreis",
        "--password-stdin",
        db_url=db_url,
        stdin=pw,
    )
    assert r.returncode == 0, r.stderr
    r = cli(
        tmp_path,
        "users",
        "create",
        "ss@example.org",
        "--role",
        "servicestelle",
        "--servicestelle",
        str(stelle_id),
        "--password-stdin",
        db_url=db_url,
        stdin=pw,
    )
    assert r.returncode == 0, r.stderr
    users = {u.email: u for u in asyncio.run(_rows(db_url, StaffUser))}
    assert users["gfs@example.org"].buendnis_id == 1
    assert users["ss@example.org"].servicestelle_id == stelle_id
    assert users["ss@example.org"].buendnis_id == 1
    assert all(u.password_hash.startswith("$argon2") for u in users.values())

    r = cli(tmp_path, "users", "token", "gfs@example.org", "--expires-days", "7", db_url=db_url)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert token.startswith("wgw_") and len(token) > 40
    assert "token 1 (gfs), expires" in r.stderr
    me = asyncio.run(_me(db_url, token))
    assert me.status_code == 200 and me.json()["role"] == "gfs"
    [stored] = asyncio.run(_rows(db_url, ApiToken))
    assert stored.token_hash != token and token not in stored.token_hash

    r = cli(tmp_path, "users", "revoke-token", "1", db_url=db_url)
    assert r.returncode == 0 and "token 1 revoked" in r.stdout
    assert asyncio.run(_me(db_url, token)).status_code == 401
    r = cli(tmp_path, "users", "revoke-token", "99", db_url=db_url)
    assert r.returncode == 1 and "no token with id 99" in r.stderr

    r = cli(
        tmp_path,
        "users",
        "reset-password",
        "gfs@example.org",
        "--password-stdin",
        db_url=db_url,
        stdin="ein ganz neues passwort\n",
    )
    assert r.returncode == 0 and "password of gfs@example.org changed" in r.stdout
    r = cli(
        tmp_path,
        "users",
        "reset-password",
        "wer@example.org",
        "--password-stdin",
        db_url=db_url,
        stdin=pw,
    )
    assert r.returncode == 1 and "no account for wer@example.org" in r.stderr

    actions = [(e.actor, e.action, e.object_type) for e in asyncio.run(_rows(db_url, AuditEntry))]
    assert actions == [
        ("cli", "create", "staff_user"),
        ("cli", "create", "staff_user"),
        ("cli", "create", "staff_user"),
        ("cli", "create", "api_token"),
        ("cli", "revoke", "api_token"),
        ("cli", "reset_password", "staff_user"),
    ]


@pytest.mark.slow
def test_serve_wires_the_admin_api(tmp_path):
    """The real server: an admin made on the command line logs in; CSRF works; metrics are
    served on their own address only."""
    import socket
    import subprocess
    import time

    from tests.test_cli import WEGWEISER, env_for

    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    port, metrics_port = ports
    assert subprocess_cli(tmp_path, "db", "upgrade").returncode == 0
    r = subprocess_cli(
        tmp_path,
        "users",
        "create",
        "chef@example.org",
        "--role",
        "admin",
        "--password-stdin",
        stdin="ein langes admin passwort\n",
    )
    assert r.returncode == 0, r.stderr
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [*WEGWEISER, "serve", "--port", str(port)],
        env=env_for(tmp_path, WEGWEISER_METRICS_ADDRESS=f"127.0.0.1:{metrics_port}"),
        cwd=tmp_path,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=10) as client:
            r = client.post(
                "/api/v1/auth/login",
                json={"email": "chef@example.org", "password": "ein langes admin passwort"},
            )
            assert r.status_code == 200, r.text
            csrf = r.json()["csrf_token"]
            new = {"code": "kreis-neu", "name": "Neu"}
            assert client.post("/api/v1/buendnisse", json=new).status_code == 403
            r = client.post("/api/v1/buendnisse", json=new, headers={"X-CSRF-Token": csrf})
            assert r.status_code == 201
            assert r.headers["cache-control"] == "no-store"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert client.get("/metrics").status_code == 404
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert 'route="/api/v1/buendnisse",status="201"' in metrics
    finally:
        server.terminate()
        server.wait(timeout=20)
    # no access log: a line per request would keep every client's address
    written = log.read_text()
    assert "Application startup complete" in written
    assert "/api/v1/auth/login" not in written and "/health" not in written
