"""The runtime on SQLite and PostgreSQL: transactions, idempotency, resume, privacy in the DB."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import Date, DateTime, func, select, text

from bot.housekeeping import expire
from bot.runtime import Inbound, pseudonym
from dialogs.buttons import Op, encode
from dialogs.io import Command, Press, Text
from dialogs.registry import load_registry
from referrals.effects import still_open
from results.storage import stored_answers
from store.demo import load_demo
from store.models import (
    Base,
    Conversation,
    InboundSeen,
    OutboxMessage,
    Referral,
    Servicestelle,
    SurveyResponse,
    SurveyTextAnswer,
)
from tests.conftest import settings_for
from wegweiser.services import build

USER = "424242"


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="s" * 40))
    yield s
    await s.close()


def inbound(event, key=None, user=USER):
    return Inbound("telegram", user, user, event, key)


async def outbox(services) -> list[dict]:
    async with services.sessions() as s:
        rows = (await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        return [r.payload for r in rows]


async def run_demo(rt, flow_version: str, user=USER, keyprefix="k"):
    events = [
        Command("start"),
        Press(encode(Op.LANGUAGE, "", "", "de")),
        Text("22"),
        Press(encode(Op.ANSWER, flow_version, "housing", "shared")),
        Text("ja"),
        Press(encode(Op.TOGGLE, flow_version, "needs", "wohnen")),
        Press(encode(Op.DONE, flow_version, "needs", "")),
    ]
    for n, e in enumerate(events):
        await rt.handle(inbound(e, f"{keyprefix}{n}", user))
    await rt.holding.flush(force=True)  # write what the holding area keeps back


async def test_demo_completes_and_leaves_only_anonymous_response(services):
    rt, version = services.runtime, services.flows["demo"].version
    await run_demo(rt, version)
    texts = [p["text"] for p in await outbox(services)]
    assert texts[0].startswith("\u2068Bitte wähle deine Sprache.\u2069\n")  # lines isolated
    assert texts[-2:] == [
        "Danke für deine Antworten!",
        "Möchtest du jetzt Hilfe in deiner Nähe finden? Ich zeige dir passende Angebote.",
    ]
    async with services.sessions() as s:
        [resp] = (await s.execute(select(SurveyResponse))).scalars().all()
        answers = [(a.item_id, a.code, a.number) for a in await stored_answers(s)]
        conv = await s.scalar(select(Conversation))
    assert resp.flow_version == version and isinstance(resp.submitted_on, dt.date)
    assert sorted(answers) == sorted(
        [
            ("age", None, 22.0),
            ("housing", "shared", None),
            ("housing_help", "yes", None),
            ("needs", "wohnen", None),
        ]
    )
    assert conv.state["answers"] == {} and conv.state["finished"] is True


async def test_raw_messenger_id_is_stored_nowhere_not_even_as_the_address(services):
    user = "987654321"
    await run_demo(services.runtime, services.flows["demo"].version, user=user)
    async with services.sessions() as s:
        conv = await s.scalar(select(Conversation))
        assert conv.pseudonym == pseudonym(services.runtime.secret, "telegram", user)
        # the chat address is sealed (AES-GCM); only the sender opens it
        assert (
            conv.address.startswith("a1.") and services.runtime.addresses.open(conv.address) == user
        )
        raw = await s.scalar(text("SELECT address FROM outbox LIMIT 1"))
        assert user not in raw and services.runtime.addresses.open(raw) == user
        for table in Base.metadata.sorted_tables:
            for col in table.columns:
                value = func.cast(table.c[col.name], Base.metadata.tables["buendnis"].c.name.type)
                hits = await s.scalar(
                    select(func.count()).select_from(table).where(value.like(f"%{user}%"))
                )
                assert hits == 0, f"{table.name}.{col.name} holds the messenger id"


def test_survey_tables_cannot_link_or_time_a_person():
    for name in ("survey_response", "survey_text_answer", "participation_marker", "survey_code"):
        table = Base.metadata.tables[name]
        cols = set(table.columns.keys())
        assert not cols & {"pseudonym", "conversation_id", "address", "user_id", "created_at"}
        for col in table.columns:
            assert not isinstance(col.type, DateTime), f"{name}.{col.name} is finer than a date"
        refs = {fk.column.table.name for fk in table.foreign_keys}
        assert refs <= {"survey_response", "survey_wave", "buendnis", "survey_layout"}, refs
    assert isinstance(Base.metadata.tables["survey_response"].c.submitted_on.type, Date)


async def test_redelivered_message_is_ignored(services):
    rt = services.runtime
    await rt.handle(inbound(Press(encode(Op.LANGUAGE, "", "", "de")), "u1"))
    first = await rt.handle(inbound(Text("30"), "u2"))
    again = await rt.handle(inbound(Text("31"), "u2"))  # same key: a redelivery
    assert again.duplicate and not first.duplicate
    state = await rt.state_of("telegram", USER)
    assert state["answers"] == {"age": 30} and state["item"] == "housing"
    async with services.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(InboundSeen)) == 2


async def test_restart_of_the_process_resumes_at_the_same_question(services, db_url, tmp_path):
    await services.runtime.handle(inbound(Press(encode(Op.LANGUAGE, "", "", "de")), "a"))
    await services.runtime.handle(inbound(Text("40"), "b"))
    fresh = build(settings_for(db_url, tmp_path, secret_key="s" * 40))
    try:
        await fresh.runtime.handle(inbound(Command("resume"), "c"))
        rows = await outbox(fresh)
        assert rows[-1]["ask"] == "housing"
        await fresh.runtime.handle(inbound(Text("eigene wohnung"), "d"))  # a fragment: asks
        assert (await outbox(fresh))[-1]["text"] == "Meinst du: In einer eigenen Wohnung?"
        await fresh.runtime.handle(inbound(Text("ja"), "e"))
        state = await fresh.runtime.state_of("telegram", USER)
        assert state["answers"] == {"age": 40, "housing": "flat"}
    finally:
        await fresh.close()


async def test_concurrent_messages_of_one_person_are_serialised(services):
    rt = services.runtime
    await rt.handle(inbound(Press(encode(Op.LANGUAGE, "", "", "de")), "x"))
    await asyncio.gather(*(rt.handle(inbound(Text(str(20 + n)), f"c{n}")) for n in range(6)))
    state = await rt.state_of("telegram", USER)
    assert list(state["answers"]) == ["age"] and 20 <= state["answers"]["age"] <= 25
    async with services.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(InboundSeen)) == 7


async def test_many_people_in_parallel(services):
    rt, version = services.runtime, services.flows["demo"].version
    await asyncio.gather(*(run_demo(rt, version, user=f"p{n}") for n in range(8)))
    async with services.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(SurveyResponse)) == 8


async def test_overlong_message_is_refused_and_changes_nothing(services):
    rt = services.runtime
    await rt.handle(inbound(Press(encode(Op.LANGUAGE, "", "", "de")), "1"))
    before = await rt.state_of("telegram", USER)
    await rt.handle(inbound(Text("9" * 5000), "2"))
    assert await rt.state_of("telegram", USER) == before
    assert "zu lang" in (await outbox(services))[-1]["text"]


async def test_deep_link_attributes_buendnis_and_source(services):
    await load_demo(services.sessions)
    await services.runtime.handle(inbound(Command("start", "demo-jmd"), "1"))
    await services.runtime.handle(inbound(Command("start", "no-such-code"), "2"))
    async with services.sessions() as s:
        conv = await s.scalar(select(Conversation))
        code = await s.scalar(
            text("SELECT code FROM buendnis WHERE id = :i"), {"i": conv.buendnis_id}
        )
    assert code == "demo-kreis" and conv.source == "Multiplikator JMD (Beispiel)"


async def test_inactive_conversations_expire(services):
    await services.runtime.handle(inbound(Command("start"), "1"))
    assert await expire(services.sessions, dt.timedelta(days=1), still_open) == 0
    async with services.sessions() as s, s.begin():
        conv = await s.scalar(select(Conversation))
        conv.updated_at = conv.updated_at - dt.timedelta(days=2)
    assert await expire(services.sessions, dt.timedelta(days=1), still_open) == 1
    async with services.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_free_text_answer_is_stored_apart_from_codes(db_url, tmp_path):
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "t.yaml").write_text(
        "id: t\ntitle: T\nitems:\n  - id: goal\n    kind: text\n    text: Dein Ziel?\n"
        "  - id: ok\n    kind: yesno\n    text: Fertig?\n"
    )
    flows = load_registry(tmp_path / "flows")
    s = build(settings_for(db_url, tmp_path, default_flow="t"), flows=flows)
    try:
        for n, event in enumerate(
            [Press(encode(Op.LANGUAGE, "", "", "de")), Text("Ausbildung als Koch"), Text("ja")]
        ):
            await s.runtime.handle(inbound(event, f"t{n}"))
        await s.holding.flush(force=True)
        async with s.sessions() as db:
            texts = (
                await db.execute(select(SurveyTextAnswer.item_id, SurveyTextAnswer.text))
            ).all()
            codes = [(a.item_id, a.code) for a in await stored_answers(db)]
        assert texts == [("goal", "Ausbildung als Koch")] and codes == [("ok", "yes")]
    finally:
        await s.close()


async def test_expiry_keeps_a_conversation_with_an_open_referral_and_prunes_old_keys(services):
    await load_demo(services.sessions)
    for n, user in enumerate(("open", "closed")):
        await services.runtime.handle(inbound(Command("start"), f"k{n}", user=user))
    async with services.sessions() as s, s.begin():
        stelle = await s.scalar(select(Servicestelle))
        for conv in (await s.scalars(select(Conversation).order_by(Conversation.id))).all():
            conv.updated_at -= dt.timedelta(days=60)
            status = "contacted" if conv.id == 1 else "closed"
            s.add(
                Referral(
                    buendnis_id=stelle.buendnis_id,
                    servicestelle_id=stelle.id,
                    conversation_id=conv.id,
                    status=status,
                    locale="de",
                )
            )
        for seen in (await s.scalars(select(InboundSeen))).all():
            seen.seen_at -= dt.timedelta(days=2)
    assert await expire(services.sessions, dt.timedelta(days=30), still_open) == 1
    async with services.sessions() as s:
        [kept] = (await s.scalars(select(Conversation))).all()
        assert kept.id == 1  # the Servicestelle can still reach this person
        assert await s.scalar(select(func.count()).select_from(InboundSeen)) == 0
