"""Engine and session factory for SQLite (development) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from store import sqlite_driver


class DatabaseUnavailable(Exception):
    """The database could not be reached; phrased for the operator."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str, **kw: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, module=sqlite_driver.dbapi(), **kw)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: on asyncpg it costs three round trips per checkout. A connection the server
    # dropped fails its first statement instead; SQLAlchemy then invalidates the pool and the
    # caller's transaction is retried (bot/runtime.py) or answered as unavailable.
    return create_async_engine(url, **kw)


def sessions(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def sync_pragmas(engine: Engine) -> None:
    """Same pragmas for synchronous engines (migrations on SQLite)."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
