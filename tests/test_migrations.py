"""`alembic upgrade head` gives exactly the models' schema; `downgrade base` empties it."""

from __future__ import annotations

import json

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
    upgrade(empty_url, "0007")
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


BEFORE_PACKED = "0008"  # the revision before 0020a (packed answers)
OLD_ANSWERS = [  # (response, item, code, number) as rows of the answer table before 0020a
    ("r1", "1.2", "18-20", None),
    ("r1", "2.2", "sprache", None),
    ("r1", "2.2", "arbeit", None),
    ("r1", "1.13", None, 2.0),
    ("r1", "1.7", None, None),  # skipped
    ("r1", "gemeinde", "g3", None),
    ("r2", "1.2", "21-24", None),
    ("r2", "2.2", "wohnen", None),
    ("r2", "1.13", None, 0.0),
    ("r3", "1.2", None, None),
    ("r3", "1.13", None, 1.5),
]


async def _rows(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        rows = [tuple(r) for r in (await conn.execute(text(sql))).all()]
    await engine.dispose()
    return rows


async def test_answers_are_packed_into_their_response_and_unpacked_again(empty_url):
    """0020a packs every answer row into its response (nothing lost, texts kept, kinds read
    off the data); downgrading unpacks them into the same rows."""
    from results.storage import stored_answers
    from store.db import sessions

    upgrade(empty_url, BEFORE_PACKED)
    engine = make_engine(empty_url)
    async with engine.begin() as conn:
        for rid, version in (("r1", "1"), ("r2", "1"), ("r3", "1"), ("r4", "2")):
            await conn.execute(
                text(
                    "INSERT INTO survey_response (id, flow_id, flow_version, submitted_on)"
                    " VALUES (:r, 'f', :v, '2026-11-01')"
                ),
                {"r": rid, "v": version},
            )
        for i, (rid, item, code, number) in enumerate(OLD_ANSWERS):
            await conn.execute(
                text(
                    "INSERT INTO survey_answer (id, response_id, item_id, code, number)"
                    " VALUES (:i, :r, :item, :c, :n)"
                ),
                {"i": f"{i:032x}", "r": rid, "item": item, "c": code, "n": number},
            )
        await conn.execute(
            text(
                "INSERT INTO survey_text_answer (id, response_id, item_id, text, reviewed)"
                " VALUES ('t1', 'r2', '2.18', 'Ich brauche Hilfe', true)"
            )
        )
    await engine.dispose()
    upgrade(empty_url)
    engine = make_engine(empty_url)
    async with sessions(engine)() as s:
        packed = {tuple(a) for a in await stored_answers(s)}
    await engine.dispose()
    assert packed == set(OLD_ANSWERS)
    assert await _rows(empty_url, "SELECT id, response_id, text FROM survey_text_answer") == [
        ("t1", "r2", "Ich brauche Hilfe")
    ]
    slots = {
        s[0]: s[1]
        for (raw,) in await _rows(
            empty_url, "SELECT slots FROM survey_layout WHERE flow_version='1'"
        )
        for s in (json.loads(raw) if isinstance(raw, str) else raw)
    }
    assert slots == {
        "1.13": "number",
        "1.2": "single",
        "1.7": "single",
        "2.2": "multi",
        "gemeinde": "single",
    }
    # r4 has no answers: an empty row of its own flow version's layout
    assert await _rows(
        empty_url,
        "SELECT l.width FROM survey_response r JOIN survey_layout l ON l.id = r.layout_id"
        " WHERE r.id = 'r4'",
    ) == [(0,)]
    downgrade(empty_url, BEFORE_PACKED)
    back = await _rows(empty_url, "SELECT response_id, item_id, code, number FROM survey_answer")
    assert sorted(back, key=str) == sorted(OLD_ANSWERS, key=str)
    ids = [i for (i,) in await _rows(empty_url, "SELECT id FROM survey_answer")]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)
    assert await _rows(empty_url, "SELECT id FROM survey_text_answer") == [("t1",)]


async def test_addresses_are_sealed_by_0018a_and_opened_again_by_its_downgrade(empty_url):
    """0018a encrypts the chat addresses already stored; without the secret it refuses."""
    from store.addresses import AddressBox

    secret = b"m" * 40
    upgrade(empty_url, "0015a")
    engine = make_engine(empty_url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO conversation (id, pseudonym, channel, address, state, opted_out,"
                " invitations, created_at, updated_at) VALUES (1, 'p1', 'telegram', '555123987',"
                " '{}', false, false, '2026-12-01 10:00', '2026-12-01 10:00')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO outbox (id, conversation_id, channel, address, payload, priority,"
                " status, attempts, not_before, created_at) VALUES (1, 1, 'telegram', '555123987',"
                " '{}', 0, 'pending', 0, '2026-12-01 10:00', '2026-12-01 10:00')"
            )
        )
    await engine.dispose()
    with pytest.raises(RuntimeError, match="secret"):
        upgrade(empty_url, "0018a")  # nothing half sealed: the whole migration rolls back
    upgrade(empty_url, "0018a", secret)
    query = "SELECT address FROM conversation UNION ALL SELECT address FROM outbox"
    sealed = [a for (a,) in await _rows(empty_url, query)]
    assert len(sealed) == 2 and all("555123987" not in a for a in sealed)
    assert {AddressBox(secret).open(a) for a in sealed} == {"555123987"}
    with pytest.raises(ValueError):
        AddressBox(b"x" * 40).open(sealed[0])  # another secret opens nothing
    downgrade(empty_url, "0015a", secret)
    assert [a for (a,) in await _rows(empty_url, query)] == ["555123987", "555123987"]
