"""Survey waves through the runtime, on SQLite and PostgreSQL, with the database inspected."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac

import pytest
from sqlalchemy import DateTime, String, func, select

from base.i18n import render
from bot.runtime import pseudonym
from dialogs.buttons import Op, encode
from dialogs.io import Command, Press, Text
from dialogs.messages import PM
from dialogs.survey_messages import SM
from results.storage import stored_answers
from store.demo import load_demo
from store.models import (
    Base,
    Conversation,
    Gemeinde,
    OutboxMessage,
    ParticipationMarker,
    SurveyDropout,
    SurveyResponse,
    SurveyTextAnswer,
)
from surveys.dropouts import expire_abandoned
from surveys.responses import GEMEINDE_UNKNOWN
from surveys.wave_commands import WaveError, create_wave, invite, list_waves, set_status
from surveys.waves import participation_key, participation_marker
from tests.conftest import settings_for
from tests.helpers import FLOWS
from tests.survey_helpers import ANSWERS, SURVEY, Person
from wegweiser.services import build

SECRET = "s" * 40
SURVEY_TABLES = (
    "survey_response",
    "survey_text_answer",
    "participation_marker",
    "survey_dropout",
    "survey_layout",
    "survey_code",
)
PER_RESPONSE = ("survey_response", "survey_text_answer", "participation_marker")


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key=SECRET))
    await load_demo(s.sessions)
    yield s
    await s.close()


async def open_wave(services, code="welle-1", buendnis="demo-kreis"):
    flow = services.flows[SURVEY]
    wave = await create_wave(services.sessions, buendnis, flow, "Frühjahr", code=code)
    return await set_status(services.sessions, wave.id, "open", services.flows)


async def count(services, model) -> int:
    await services.holding.flush(force=True)  # what the holding area keeps back
    async with services.sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- the flow file


def test_flow_uses_arbeitshilfe_ids_and_is_short(services):
    flow = services.flows[SURVEY]
    ids = [it.id for it in flow.items]
    for wanted in ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.8", "1.13", "1.15", "2.18"]:
        assert wanted in ids
    assert flow.kind == "survey"
    questions = [it for it in flow.items if it.kind != "info"]
    assert 15 <= len(questions) <= 30  # 3–5 minutes with buttons
    intro = " ".join(it.text for it in flow.items if it.kind == "info")
    assert "anonym" in intro and "freiwillig" in intro and "zählen" in intro
    assert not flow.item("1.3").required and not flow.item("2.18").required
    assert flow.item("2.18").kind == "text"
    assert flow.item("einladung").text == "Darf ich dich zu neuen Befragungen einladen?"


# ---------------------------------------------------------------- completing a wave


async def test_completed_wave_response_is_stored_unlinkably(services):
    wave = await open_wave(services)
    version = services.flows[SURVEY].version
    person = Person(services.runtime, "555000111")
    asked = await person.take_part("welle-1", version)
    assert "1.9" in asked and "1.14" in asked and "2.4" in asked  # skip logic took these
    async with services.sessions() as s:
        [resp] = (await s.execute(select(SurveyResponse))).scalars().all()
        rows = [(a.item_id, a.code, a.number) for a in await stored_answers(s)]
        [text_row] = (await s.execute(select(SurveyTextAnswer))).scalars().all()
        conv = await s.scalar(select(Conversation))
        moers = await s.scalar(select(Gemeinde).where(Gemeinde.name == "Moers"))
        markers = (await s.execute(select(ParticipationMarker))).scalars().all()
    assert resp.wave_id == wave.id and resp.flow_version == version
    assert isinstance(resp.submitted_on, dt.date) and not isinstance(resp.submitted_on, dt.datetime)
    assert len(resp.id) == 32 and int(resp.id, 16) >= 0
    assert len(rows) > 10
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in [resp.id, text_row.id])
    answers = {}
    for item_id, code, number in rows:
        answers.setdefault(item_id, []).append(number if number is not None else code)
    assert sorted(answers["1.4"]) == ["kinder", "partner"]
    assert answers["1.13"] == [2.0] and answers["1.7"] == [None]  # skipped: "no answer"
    assert answers["gemeinde"] == [f"g{moers.id}"]  # typed "Mörs": only the code is kept
    assert "einladung" not in answers  # the invitation consent stays in conversation space
    assert text_row.item_id == "2.18" and text_row.reviewed is False
    assert conv.invitations is True
    assert conv.state["answers"] == {} and conv.wave_id is None
    pn = pseudonym(services.runtime.secret, "telegram", "555000111")
    assert [m.marker for m in markers] == [
        participation_marker(services.runtime.secret, wave.id, pn)
    ]


async def test_second_response_to_the_same_wave_is_refused(services):
    await open_wave(services)
    version = services.flows[SURVEY].version
    person = Person(services.runtime, "777")
    await person.take_part("welle-1", version)
    await person.send(Command("start", "welle-1"))
    assert (await person.last())["text"] == render(SM.ALREADY_TAKEN_PART, "de")
    await person.send(Command("restart"))  # the refusal detached the wave: the usual flow runs
    assert (await person.last())["ask"] != "1.2"
    assert await count(services, SurveyResponse) == 1
    other = Person(services.runtime, "778")  # someone else may
    await other.take_part("welle-1", version)
    assert await count(services, SurveyResponse) == 2


async def test_draft_and_closed_waves_refuse_participation(services):
    flow = services.flows[SURVEY]
    draft = await create_wave(services.sessions, "demo-kreis", flow, "Entwurf", code="entwurf")
    person = Person(services.runtime, "901")
    await person.send(Command("start", "entwurf"))
    assert (await person.last())["text"] == render(SM.WAVE_NOT_OPEN, "de")
    await set_status(services.sessions, draft.id, "open", services.flows)
    await set_status(services.sessions, draft.id, "closed", services.flows)
    await person.send(Command("start", "entwurf"))
    assert (await person.last())["text"] == render(SM.WAVE_CLOSED, "de")
    assert await count(services, SurveyResponse) == 0


async def test_wave_closed_while_answering_stores_nothing_and_says_so(services):
    wave = await open_wave(services)
    version = services.flows[SURVEY].version
    person = Person(services.runtime, "902")
    await person.send(Command("start", "welle-1"))
    await person.send(Press(encode(Op.LANGUAGE, "", "", "de")))
    await set_status(services.sessions, wave.id, "closed", services.flows)
    await person.answer_all(version, ANSWERS)
    assert (await person.last())["text"] == render(SM.NOT_STORED, "de")
    assert await count(services, SurveyResponse) == 0
    assert await count(services, ParticipationMarker) == 0
    async with services.sessions() as s:
        conv = await s.scalar(select(Conversation))
    assert conv.state["answers"] == {}


async def test_wave_pinned_to_another_flow_version_refuses(services):
    await open_wave(services)
    flows = dict(services.flows)
    flows[SURVEY] = dataclasses.replace(flows[SURVEY], version="0123456789ab")
    services.runtime.flows = flows
    person = Person(services.runtime, "903")
    await person.send(Command("start", "welle-1"))
    assert (await person.last())["text"] == render(SM.WAVE_UNAVAILABLE, "de")


async def test_wave_status_transitions_are_checked(services):
    flow = services.flows[SURVEY]
    wave = await create_wave(services.sessions, "demo-kreis", flow, "T", code="t1")
    with pytest.raises(WaveError, match="cannot set it closed"):
        await set_status(services.sessions, wave.id, "closed", services.flows)
    with pytest.raises(WaveError, match="unknown status"):
        await set_status(services.sessions, wave.id, "paused", services.flows)
    with pytest.raises(WaveError, match="no Bündnis"):
        await create_wave(services.sessions, "nope", flow, "T")
    with pytest.raises(WaveError, match="already in use"):
        await create_wave(services.sessions, "demo-kreis", flow, "T", code="demo-jmd")
    with pytest.raises(WaveError, match="not a survey"):
        await create_wave(services.sessions, "demo-kreis", services.flows["demo"], "T")
    with pytest.raises(WaveError, match="no wave"):
        await set_status(services.sessions, 999, "open", services.flows)
    [info] = await list_waves(services.sessions, "demo-kreis")
    assert info.status == "draft" and info.code == "t1"


@pytest.mark.parametrize("locale", ["uk", "ar"])
async def test_survey_completes_in_other_locales(services, locale):
    await open_wave(services)
    person = Person(services.runtime, f"loc-{locale}")
    await person.send(Command("help"))
    async with services.sessions() as s, s.begin():
        conv = await s.scalar(select(Conversation))
        conv.locale = locale
    await person.send(Command("start", "welle-1"))
    await person.answer_all(services.flows[SURVEY].version, ANSWERS)
    assert (await person.last())["rtl"] is (locale == "ar")
    assert await count(services, SurveyResponse) == 1


# ---------------------------------------------------------------- invitations and /stop


async def test_invitations_go_only_to_people_who_agreed(services):
    wave = await open_wave(services)
    version = services.flows[SURVEY].version
    yes, no, stopped = (
        Person(services.runtime, "y1"),
        Person(services.runtime, "n1"),
        Person(services.runtime, "s1"),
    )
    await yes.take_part("welle-1", version)
    await no.take_part("welle-1", version, {**ANSWERS, "einladung": "no"})
    await stopped.take_part("welle-1", version)
    await stopped.send(Command("stop"))
    assert (await stopped.last())["text"] == render(PM.STOPPED, "de")
    # All three took part in wave 1: nobody is invited to it again.
    assert await invite(services.sessions, wave.id, services.runtime.secret) == 0
    second = await open_wave(services, code="welle-2")
    assert await invite(services.sessions, second.id, services.runtime.secret) == 1
    async with services.sessions() as s:
        rows = (
            (await s.execute(select(OutboxMessage).where(OutboxMessage.priority == 1)))
            .scalars()
            .all()
        )
    [row] = rows
    assert (
        services.runtime.addresses.open(row.address) == "y1"
        and "/start welle-2" in row.payload["text"]
    )
    draft = await create_wave(
        services.sessions, "demo-kreis", services.flows[SURVEY], "D", code="d3"
    )
    with pytest.raises(WaveError, match="only open waves"):
        await invite(services.sessions, draft.id, services.runtime.secret)


# ---------------------------------------------------------------- abandoned answers


async def test_abandoned_survey_leaves_only_a_dropout_count(services):
    await open_wave(services)
    version = services.flows[SURVEY].version
    person = Person(services.runtime, "quitter")
    await person.send(Command("start", "welle-1"))
    await person.send(Press(encode(Op.LANGUAGE, "", "", "de")))
    await person.send(Press(encode(Op.ANSWER, version, "1.2", "18-20")))
    await person.send(Text("Moers"))
    assert (await person.last())["ask"] == "1.1"
    assert await expire_abandoned(services.sessions, services.flows) == 0  # still active
    async with services.sessions() as s, s.begin():
        conv = await s.scalar(select(Conversation))
        conv.updated_at -= dt.timedelta(days=8)
    assert await expire_abandoned(services.sessions, services.flows) == 1
    assert await expire_abandoned(services.sessions, services.flows) == 0  # counted once
    async with services.sessions() as s:
        [drop] = (await s.execute(select(SurveyDropout))).scalars().all()
        conv = await s.scalar(select(Conversation))
    assert (drop.flow_id, drop.flow_version, drop.item_id, drop.count) == (
        SURVEY,
        version,
        "1.1",
        1,
    )
    assert conv.state["answers"] == {} and conv.state["item"] is None
    assert await count(services, SurveyResponse) == 0


# ---------------------------------------------------------------- the database, inspected


def test_response_tables_have_no_link_and_no_time():
    for name in SURVEY_TABLES:
        table = Base.metadata.tables[name]
        cols = set(table.columns.keys())
        assert not cols & {"pseudonym", "conversation_id", "address", "user_id", "created_at"}
        for col in table.columns:
            assert not isinstance(col.type, DateTime), f"{name}.{col.name} is finer than a date"
        refs = {fk.column.table.name for fk in table.foreign_keys}
        assert refs <= {"survey_response", "survey_wave", "buendnis", "survey_layout"}, refs
        if name in PER_RESPONSE:  # a counter would order them in time
            for col in table.primary_key.columns:
                assert isinstance(col.type, String), f"{name}.{col.name} is sequential"


async def test_no_survey_value_equals_or_contains_an_identifier(services):
    wave = await open_wave(services)
    version = services.flows[SURVEY].version
    users = ["31337001", "31337002", "31337003"]
    for user in users:
        await Person(services.runtime, user).take_part("welle-1", version)
    secret = services.runtime.secret
    pns = [pseudonym(secret, "telegram", u) for u in users]
    async with services.sessions() as s:
        conv_ids = [c.id for c in (await s.execute(select(Conversation))).scalars()]
        forbidden = set(users) | set(pns) | {str(i) for i in conv_ids if i > 9}
        for name in SURVEY_TABLES:
            table = Base.metadata.tables[name]
            for row in (await s.execute(select(table))).all():
                for value in row:
                    text = str(value)
                    assert not any(f in text for f in forbidden if len(f) > 2), (name, value)
        markers = [m.marker for m in (await s.execute(select(ParticipationMarker))).scalars()]
    # The marker is keyed with a key derived for this purpose: not recomputable from the
    # pseudonym alone, nor with the main secret used directly, nor with another secret.
    for pn in pns:
        plain = f"{wave.id}:{pn}".encode()
        assert hashlib.sha256(plain).hexdigest() not in markers
        assert hmac.new(secret, plain, hashlib.sha256).hexdigest() not in markers
        assert participation_marker(b"x" * 40, wave.id, pn) not in markers
        assert participation_marker(secret, wave.id, pn) in markers
    assert participation_key(secret) != secret


async def test_gemeinde_that_matches_nothing_is_stored_as_unknown(services):
    await open_wave(services)
    person = Person(services.runtime, "g1")
    await person.take_part(
        "welle-1", services.flows[SURVEY].version, {**ANSWERS, "gemeinde": "Paris"}
    )
    async with services.sessions() as s:
        codes = [a.code for a in await stored_answers(s) if a.item_id == "gemeinde"]
    assert codes == [GEMEINDE_UNKNOWN]


def test_survey_flow_file_is_in_flows_dir():
    assert (FLOWS / f"{SURVEY}.yaml").exists()
