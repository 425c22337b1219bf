"""`alembic upgrade head` gives exactly the models' schema; `downgrade base` empties it."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from store.db import make_engine
from store.migrate import downgrade, upgrade
from store.models import Base
from tests.conftest import drop_pg_database, new_pg_database, require_postgres


async def _diff_and_tables(url: str) -> tuple[list, set[str]]:
    engine = make_engine(url)

    def inspect_sync(conn):  # runs inside the driver's greenlet
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata), set(inspect(conn).get_table_names())

    async with engine.connect() as conn:
        result = await conn.run_sync(inspect_sync)
    await engine.dispose()
    return result


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        return
    require_postgres(request)
    name, url = new_pg_database()
    yield url
    drop_pg_database(name)


async def test_upgrade_matches_models_and_downgrade_empties(empty_url):
    upgrade(empty_url)
    diff, tables = await _diff_and_tables(empty_url)
    assert diff == [], f"models and migrations drifted: {diff}"
    assert set(Base.metadata.tables) <= tables
    downgrade(empty_url, "base")
    _, tables = await _diff_and_tables(empty_url)
    assert tables <= {"alembic_version"}
    upgrade(empty_url)  # and back up again
    diff, _ = await _diff_and_tables(empty_url)
    assert diff == []


async def test_random_answer_ids_replace_existing_counters(empty_url):
    """0007 turns sequential answer ids into random ones, existing rows included."""
    upgrade(empty_url, "0006")
    engine = make_engine(empty_url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO survey_response (id, flow_id, flow_version, submitted_on)"
                " VALUES ('r1', 'f', '1', '2026-11-01')"
            )
        )
        for code in ("a", "b", "c"):
            await conn.execute(
                text(
                    "INSERT INTO survey_answer (response_id, item_id, code) VALUES ('r1', 'q', :c)"
                ),
                {"c": code},
            )
        await conn.execute(
            text(
                "INSERT INTO survey_text_answer (response_id, item_id, text, reviewed)"
                " VALUES ('r1', 't', 'x', false)"
            )
        )
    await engine.dispose()
    upgrade(empty_url)
    engine = make_engine(empty_url)
    async with engine.connect() as conn:
        ids = (await conn.execute(text("SELECT id FROM survey_answer"))).scalars().all()
        codes = (await conn.execute(text("SELECT code FROM survey_answer"))).scalars().all()
        text_ids = (await conn.execute(text("SELECT id FROM survey_text_answer"))).scalars().all()
    await engine.dispose()
    assert sorted(codes) == ["a", "b", "c"]  # nothing lost
    assert len(set(ids)) == 3
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in [*ids, *text_ids]), ids
    downgrade(empty_url, "0006")  # and back: counters again, rows kept
    engine = make_engine(empty_url)
    async with engine.connect() as conn:
        back = (await conn.execute(text("SELECT id FROM survey_answer"))).scalars().all()
    await engine.dispose()
    assert len(back) == 3 and all(isinstance(i, int) for i in back), back
