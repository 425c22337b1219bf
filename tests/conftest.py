"""Shared fixtures. Database tests run on SQLite and, when reachable, on PostgreSQL.

PostgreSQL: TEST_POSTGRES_URL (an asyncpg URL to a server where we may create
databases). Without it reachable the PostgreSQL variants are skipped, with the reason in the
summary; with CI=true they fail instead.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_api import security
from store.db import make_engine, sessions
from store.migrate import downgrade, upgrade
from store.models import Base

pytest_plugins = ["tests.browser_support"]  # browser_available, sqlite_server

PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
FLOWS_DIR = Path(__file__).resolve().parent.parent / "dialogs" / "flows"

_pg_problem: str | None = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", help="rewrite golden transcripts from the run"
    )


async def _pg_reachable() -> str | None:
    engine = make_engine(PG_ADMIN_URL)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as e:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(e).__name__}"
    finally:
        await engine.dispose()


def pytest_configure(config: pytest.Config) -> None:
    global _pg_problem
    _pg_problem = asyncio.run(_pg_reachable())
    if _pg_problem and IN_CI:
        raise pytest.UsageError(f"CI=true requires PostgreSQL: {_pg_problem}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # from the reports, so that it also lists what parallel workers skipped
    skipped = [
        r.nodeid
        for r in terminalreporter.stats.get("skipped", [])
        if "PostgreSQL not reachable" in str(getattr(r, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.section("PostgreSQL")
        terminalreporter.write_line(
            f"{_pg_problem}; {len(skipped)} PostgreSQL test variant(s) SKIPPED:"
        )
        for name in skipped:
            terminalreporter.write_line(f"  {name}")


def require_postgres(request: pytest.FixtureRequest) -> None:
    if _pg_problem:
        pytest.skip(_pg_problem)


async def _admin(sql: str) -> None:
    engine = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def new_pg_database() -> tuple[str, str]:
    name = f"wegweiser_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(name: str) -> None:
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated PostgreSQL database for the whole run."""
    require_postgres(request)
    name, url = new_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the shared PostgreSQL one emptied."""
    if request.param == "sqlite":
        path = tmp_path / "wegweiser.db"
        path.write_bytes(sqlite_template.read_bytes())
        yield f"sqlite+aiosqlite:///{path}"
        return
    require_postgres(request)
    url = request.getfixturevalue("pg_url")
    asyncio.run(_truncate(url))
    yield url


async def _truncate(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(db_url)
    yield sessions(engine)
    await engine.dispose()


__all__ = ["downgrade", "drop_pg_database", "new_pg_database"]


# argon2's smallest parameters (about 1 ms a hash instead of 50-400 ms): nearly every admin
# test hashes a password and logs in, and what they check does not depend on the cost. Tests
# about the cost itself (hashing off the event loop) ask for `real_argon2`.
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
REAL_ARGON2 = security._hasher


def _use_hasher(hasher: PasswordHasher) -> None:
    security._hasher = hasher  # the hashing processes are sent its parameters with each call


@pytest.fixture(scope="session", autouse=True)
def cheap_argon2() -> Iterator[None]:
    _use_hasher(CHEAP_ARGON2)
    yield
    _use_hasher(REAL_ARGON2)


@pytest.fixture
def real_argon2(cheap_argon2: None) -> Iterator[None]:
    """The production argon2 parameters for this test."""
    _use_hasher(REAL_ARGON2)
    yield
    _use_hasher(CHEAP_ARGON2)


def settings_for(db_url: str, tmp_path: Path, **overrides: object):  # -> Settings
    """Settings for a test database. Test people answer faster than any human, so flood
    control is lifted unless a test sets it."""
    from base.settings import load_settings

    values: dict[str, object] = {
        "database_url": db_url,
        "instance_dir": tmp_path,
        "secret_key": "t" * 40,
        "flood_max_updates": 10000,
    }
    return load_settings(**(values | overrides))


@pytest.fixture
async def admin_api(db_url: str):
    """The admin API on a seeded database (see tests/admin_seed.py), with an HTTP client."""
    from admin_api.deps import AuthConfig
    from tests.admin_seed import Api, build, make_client, seed

    engine, app = build(db_url, AuthConfig(max_failures=5, lock_minutes=15, ip_max_failures=50))
    factory = app.state.sessions  # type: ignore[attr-defined]
    data = await seed(factory)
    async with make_client(app) as client:
        yield Api(client, factory, data)
    await engine.dispose()  # type: ignore[attr-defined]
