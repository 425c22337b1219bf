"""The PostgreSQL server the benchmarks create their throwaway databases on."""

from __future__ import annotations

import os

from sqlalchemy import text

from store.db import make_engine

PG = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


def database_url(name: str) -> str:
    """The URL of database `name` on that server."""
    return PG.rsplit("/", 1)[0] + f"/{name}"


async def admin(sql: str) -> None:
    """One statement outside a transaction (CREATE/DROP/ALTER DATABASE)."""
    engine = make_engine(PG, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()
