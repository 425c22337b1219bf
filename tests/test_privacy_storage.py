"""The auditor's attacks on storage: someone with full database access tries to tie a survey
response, a participation marker or an anonymous count to a person through PostgreSQL's row
metadata (`xmin`: the writing transaction; `ctid`: the physical order) or SQLite's `rowid`
order — and finds nothing."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select, text

from base.i18n import render
from dialogs.io import Command
from dialogs.survey_messages import SM
from results.storage import stored_answers
from store.demo import load_demo
from store.holding import HELD_KEY
from store.models import IntakeNeedCount, OfferGap, ParticipationMarker, SurveyResponse
from surveys.responses import MARKER, RESPONSE
from surveys.wave_commands import create_wave, set_status
from tests.conftest import settings_for
from tests.intake_support import Chat, seed
from tests.survey_helpers import ANSWERS, SURVEY, Person
from wegweiser.services import build

PEOPLE = 12
PERSONAL = ("conversation", "inbound_seen", "outbox")  # rows written in a person's step
ANONYMOUS = (
    "survey_response",
    "survey_text_answer",
    "participation_marker",
    "survey_code",
    "survey_layout",
    "intake_need_count",
    "offer_gap",
    "safety_count",
)


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="p" * 40))
    s.holding.rng = random.Random(18)  # a fixed shuffle: the order test cannot flake
    await load_demo(s.sessions)
    yield s
    await s.close()


async def open_wave(services) -> int:
    wave = await create_wave(
        services.sessions, "demo-kreis", services.flows[SURVEY], "Herbst", code="welle-p"
    )
    return (await set_status(services.sessions, wave.id, "open", services.flows)).id


async def count(services, model) -> int:
    async with services.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)))


async def xmins(services, table: str) -> set[str]:
    async with services.sessions() as s:
        return set((await s.execute(text(f"SELECT xmin::text FROM {table}"))).scalars())


async def physical_order(services) -> list[str]:
    """Response ids in the order the rows lie on disk (SQLite: insertion order)."""
    order = "ctid" if services.engine.dialect.name == "postgresql" else "rowid"
    async with services.sessions() as s:
        query = text(f"SELECT id FROM survey_response ORDER BY {order}")
        return list((await s.execute(query)).scalars())


async def test_completed_surveys_share_no_transaction_and_no_order_with_the_people(services):
    await open_wave(services)
    version = services.flows[SURVEY].version
    for n in range(PEOPLE):  # person n says they have n children: the answer tells them apart
        person = Person(services.runtime, f"60000{n:02d}")
        answers = ANSWERS | {"1.13": n, "1.14": None}
        await person.take_part("welle-p", version, answers, stored=False)
    # nothing was written in any person's transaction: all of it is held
    assert await count(services, SurveyResponse) == 0
    assert await count(services, ParticipationMarker) == 0
    assert len(services.holding.waiting(RESPONSE)) == PEOPLE
    assert len(services.holding.waiting(MARKER)) == PEOPLE

    assert await services.holding.flush() >= 2 * PEOPLE  # a batch of at least k: written now
    assert services.holding.pending == 0

    async with services.sessions() as s:
        children = {a.response_id: a.number for a in await stored_answers(s) if a.item_id == "1.13"}
    on_disk = [int(children[rid]) for rid in await physical_order(services)]
    assert sorted(on_disk) == list(range(PEOPLE))
    assert on_disk != list(range(PEOPLE))  # the physical order is not the completion order

    if services.engine.dialect.name != "postgresql":
        return
    personal = set().union(*[await xmins(services, t) for t in PERSONAL])
    for table in ANONYMOUS:
        assert not (await xmins(services, table)) & personal, table
    # the markers are written in another transaction than the responses
    responses = await xmins(services, "survey_response")
    assert not responses & await xmins(services, "participation_marker")
    async with services.sessions() as s:  # the join of the published attack finds nothing
        linked = await s.scalar(
            text(
                "SELECT count(*) FROM survey_response r "
                "JOIN inbound_seen i ON i.xmin = r.xmin "
                "JOIN conversation c ON c.id = i.conversation_id"
            )
        )
    assert linked == 0


async def test_fewer_than_k_wait_until_their_day_is_over_and_keep_its_date(services):
    await open_wave(services)
    version = services.flows[SURVEY].version
    for n in range(3):
        await Person(services.runtime, f"61000{n}").take_part("welle-p", version, stored=False)
    assert await services.holding.flush() == 0  # three of them would say who finished when
    assert await count(services, SurveyResponse) == 0
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert await services.holding.flush(now=tomorrow) == 9  # responses, markers, code scans
    async with services.sessions() as s:
        days = set((await s.execute(select(SurveyResponse.submitted_on))).scalars())
    assert days == {dt.date.today()}  # the day they finished, not the day of writing


async def test_a_held_marker_already_refuses_a_second_response(services):
    await open_wave(services)
    version = services.flows[SURVEY].version
    person = Person(services.runtime, "6200001")
    await person.take_part("welle-p", version, stored=False)
    await person.send(Command("start", "welle-p"))
    assert (await person.last())["text"] == render(SM.ALREADY_TAKEN_PART, "de")
    await services.holding.flush(force=True)
    assert await count(services, SurveyResponse) == 1


async def test_a_step_that_fails_holds_nothing(services):
    await open_wave(services)
    version = services.flows[SURVEY].version
    person = Person(services.runtime, "6300001")
    original = services.runtime._enqueue

    def broken(s, *args, **kwargs):  # the completing step's transaction rolls back
        if s.info.get(HELD_KEY):
            raise RuntimeError("disk full")
        return original(s, *args, **kwargs)

    services.runtime._enqueue = broken
    with pytest.raises(RuntimeError):
        await person.take_part("welle-p", version, stored=False)
    services.runtime._enqueue = original
    assert services.holding.pending == 0
    await services.holding.flush(force=True)
    assert await count(services, SurveyResponse) == 0


@pytest.fixture
async def intake(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="p" * 40))
    await seed(s.sessions)
    yield s
    await s.close()


async def test_intake_counts_are_held_and_written_apart_from_the_people(intake):
    services = intake
    for n in range(3):
        chat = Chat(services, user=f"640000{n}")
        await chat.intake(needs=("Deutsch lernen", "Bus, Bahn, Führerschein"))
    assert await count(services, IntakeNeedCount) == 0 and await count(services, OfferGap) == 0
    assert await services.holding.flush() > 0  # six need counts: at least k
    async with services.sessions() as s:
        total = await s.scalar(select(func.sum(IntakeNeedCount.count)))
    assert total == 6
    if services.engine.dialect.name == "postgresql":
        personal = set().union(*[await xmins(services, t) for t in PERSONAL])
        assert not (await xmins(services, "intake_need_count")) & personal
        assert not (await xmins(services, "offer_gap")) & personal


def test_sealed_addresses_fit_their_column_and_open_only_with_their_key():
    from store.addresses import MAX_ADDRESS, AddressBox

    box = AddressBox(b"k" * 40)
    longest = "-9223372036854775808"
    assert len(longest.encode()) == MAX_ADDRESS
    sealed = box.seal(longest)
    assert len(sealed) <= 64 and longest not in sealed and box.open(sealed) == longest
    assert box.seal("4711") == box.seal("4711") != box.seal("4712")  # one chat, one text
    tampered = sealed[:-1] + ("0" if sealed[-1] != "0" else "1")
    for bad in (tampered, "4711", AddressBox(b"o" * 40).seal("4711")):
        with pytest.raises(ValueError):
            box.open(bad)
    with pytest.raises(ValueError):
        box.seal("x" * (MAX_ADDRESS + 1))
