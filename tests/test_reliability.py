"""Crash safety and database outage with real `wegweiser serve` processes (webhook mode) on
PostgreSQL, behind the Telegram emulator — the short versions of `make reliability`.

A simulated person (bench/load_people.py) takes the survey; midway its worker gets SIGKILL
(or PostgreSQL becomes unreachable for a few seconds). The person must get every question
once, in order, and the database must hold exactly one complete response.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from base.i18n import render
from bench.load_checks import SECRET, wait_drained
from bench.load_cluster import Cluster
from bench.load_people import Person, Persona
from bot.runtime import pseudonym
from dialogs.messages import M
from dialogs.registry import load_registry
from results.storage import stored_answers
from store.db import make_engine
from surveys.waves import participation_marker
from tests.conftest import FLOWS_DIR, require_postgres

pytestmark = pytest.mark.postgres

USER = 4242
THANKS = "Danke für deine Antworten!"  # the survey's end
ENV = {
    "WEGWEISER_FLOOD_MAX_UPDATES": "10000",
    "WEGWEISER_TELEGRAM_CLAIM_SECONDS": "3",  # a dead sender's claim: re-sent after 3 s
    # Pacing is not what is tested here: at the default one message a second per chat the
    # survey's 25 questions alone took 25 s.
    "WEGWEISER_TELEGRAM_CHAT_RATE": "20",
}


@pytest.fixture
def postgres(request: pytest.FixtureRequest) -> None:
    require_postgres(request)


def survey_questions() -> list[str]:
    """The German question texts the survey persona must see, in flow order."""
    flow = load_registry(FLOWS_DIR)["befragung-lebenslage"]
    return [i.text for i in flow.items if i.kind != "info"]


async def take_survey_with(fault: Callable[[], Awaitable[None]], c: Cluster) -> Person:
    person = Person(
        c.tg, USER, Persona("survey", "de", 0, refer=False), None, quiet=6.0, last=THANKS
    )
    task = asyncio.create_task(person.run(reply_timeout=60, deadline=time.monotonic() + 100))
    await c.tg.wait_until(lambda: len(person.out.questions) >= 6, 60, "six questions")
    await fault()
    await task
    return person


def _asks(message: str, question: str) -> bool:
    """The message asks `question` (after an info text of the same step, perhaps)."""
    return f"\n\n{message}".find(f"\n\n{question}") >= 0


async def assert_one_complete_response(c: Cluster, person: Person) -> None:
    assert not person.out.errors
    assert person.out.finished
    way_on = render(M.NEXT_FLOW, "de")  # after the end: the offer of help, not a survey question
    asked = [q for q in person.out.questions[1:] if way_on not in q]  # [0]: language
    assert len(asked) == len(set(asked)), "a question came again: the conversation went back"
    expected = [q for q in survey_questions() if any(_asks(a, q) for a in asked)]
    assert [next(q for q in expected if _asks(a, q)) for a in asked] == expected
    assert any(THANKS in t for t in c.tg.texts(USER))
    left, _ = await wait_drained(c.url, 30)
    assert left == 0
    for i in range(c.n):  # stopping writes what the holding area kept back
        await c.stop_worker(i)
    engine = make_engine(c.url)
    try:
        async with engine.connect() as conn:
            responses = (await conn.execute(text("SELECT id FROM survey_response"))).all()
            assert len(responses) == 1
            async with AsyncSession(bind=conn) as s:
                rows = Counter((a.item_id, a.code) for a in await stored_answers(s))
            assert rows and all(n == 1 for n in rows.values()), "an answer stored twice"
            assert {i for i, _c in rows} >= {"1.2", "1.3", "1.5"}  # before and after
            markers = [
                m
                for (m,) in (
                    await conn.execute(text("SELECT marker FROM participation_marker"))
                ).all()
            ]
            wave = await conn.scalar(text("SELECT id FROM survey_wave"))
            assert markers == [
                participation_marker(SECRET, wave, pseudonym(SECRET, "telegram", str(USER)))
            ]
            dead = await conn.scalar(text("SELECT count(*) FROM outbox WHERE status = 'dead'"))
            assert dead == 0
    finally:
        await engine.dispose()


async def test_killed_worker_resumes_the_conversation_at_the_right_question(postgres) -> None:
    async with Cluster(workers=1, env=ENV) as c:

        async def kill_and_restart() -> None:
            await c.kill(0)  # SIGKILL right after an acknowledged answer: mid-send
            await asyncio.sleep(1)
            await c.start_worker(0)

        person = await take_survey_with(kill_and_restart, c)
        assert c.kills == 1
        await assert_one_complete_response(c, person)


async def test_database_outage_holds_updates_and_recovers_without_restart(postgres) -> None:
    async with Cluster(workers=1, env=ENV) as c:
        pid = c.procs[0].pid  # type: ignore[union-attr]

        async def outage() -> None:
            await c.db_proxy.outage(4)

        person = await take_survey_with(outage, c)
        assert c.procs[0].pid == pid and c.procs[0].returncode is None  # type: ignore[union-attr]
        assert c.db_proxy.refused > 0
        await assert_one_complete_response(c, person)
