"""Referral lifecycle (referrals/lifecycle.py): transitions, attribution, notices to the person in
their language, relay and replies, refusal of invalid changes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from base.rtl import FSI
from bot.housekeeping import expire
from referrals import lifecycle as referrals
from referrals.effects import still_open
from store.models import Conversation, Referral, ReferralEvent
from tests.conftest import settings_for
from tests.intake_support import Chat, seed, texts
from wegweiser.services import build


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="s" * 40))
    yield s
    await s.close()


async def referred(services) -> tuple[Chat, int]:
    await seed(services.sessions)
    chat = Chat(services)
    await chat.intake()
    await chat.refer()
    await chat.press("Ja, ich bin einverstanden")
    async with services.sessions() as s:
        return chat, (await s.scalars(select(Referral.id))).one()


async def move(services, rid: int, to: str, actor: str = "Frau Yilmaz", note: str | None = None):
    async with services.sessions() as s, s.begin():
        await referrals.transition(s, rid, to, actor=actor, note=note)


async def test_full_lifecycle_is_timestamped_attributed_and_told_to_the_person(services):
    chat, rid = await referred(services)
    await move(services, rid, "in_review")
    assert "JMD Münster hat deine Anfrage gelesen" in texts(await chat.new())
    await move(services, rid, "contacted")
    assert await chat.new() == []  # the person was just contacted: no extra notice
    await move(services, rid, "appointment", note="Di, 3.12., 10 Uhr, Hafenweg 2")
    assert "Du hast einen Termin bei JMD Münster: Di, 3.12., 10 Uhr" in texts(await chat.new())
    await move(services, rid, "handed_on", note="Integration Point Münster")
    assert "an Integration Point Münster weitergeleitet" in texts(await chat.new())
    await move(services, rid, "closed", note="Kurs begonnen")
    assert "ist abgeschlossen" in texts(await chat.new())
    async with services.sessions() as s:
        referral = await s.get(Referral, rid)
        events = (await s.scalars(select(ReferralEvent).order_by(ReferralEvent.id))).all()
    assert referral.status == "closed" and referral.closed_at is not None
    assert [e.to_status for e in events] == [
        "new",
        "in_review",
        "contacted",
        "appointment",
        "handed_on",
        "closed",
    ]
    assert all(e.at is not None and e.actor for e in events)
    assert events[-1].actor == "Frau Yilmaz" and events[-1].note == "Kurs begonnen"


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ([], "contacted"),  # review first
        ([], "closed"),
        (["in_review"], "handed_on"),
        (["in_review", "declined"], "in_review"),  # finished
        ([], "teleported"),
    ],
)
async def test_invalid_transitions_are_refused_and_change_nothing(services, path, bad):
    _, rid = await referred(services)
    for to in path:
        await move(services, rid, to, note="Grund")
    with pytest.raises(referrals.InvalidTransition) as err:
        await move(services, rid, bad)
    assert "cannot go from" in str(err.value) or "unknown status" in str(err.value)
    async with services.sessions() as s:
        assert (await s.get(Referral, rid)).status == (path[-1] if path else "new")
        n = len((await s.scalars(select(ReferralEvent))).all())
    assert n == 1 + len(path)


async def test_transitions_need_their_note_and_an_actor(services):
    _, rid = await referred(services)
    with pytest.raises(referrals.ReferralError, match="needs the reason"):
        await move(services, rid, "declined")
    with pytest.raises(referrals.ReferralError, match="actor"):
        await move(services, rid, "in_review", actor=" ")
    with pytest.raises(referrals.ReferralError, match="does not exist"):
        await move(services, 999, "in_review")


async def test_declined_tells_the_person_where_else_to_go(services):
    chat, rid = await referred(services)
    await move(services, rid, "declined", note="Wir sind nicht zuständig.")
    shown = texts(await chat.new())
    assert "kann deine Anfrage nicht übernehmen. Grund: Wir sind nicht zuständig." in shown
    assert "Bitte wende dich an: 0251 000" in shown


async def test_relay_and_the_persons_reply_attach_to_the_referral(services):
    chat, rid = await referred(services)
    async with services.sessions() as s, s.begin():
        await referrals.relay(s, rid, "Hast du am Dienstag Zeit?", actor="Frau Yilmaz")
    [notice] = await chat.new()
    assert notice["text"] == "Nachricht von JMD Münster:\nHast du am Dienstag Zeit?"
    assert [b["label"] for b in notice["buttons"]] == ["Antworten"]
    out = await chat.press("Antworten")
    assert "Schreib jetzt deine Antwort an JMD Münster" in texts(out)
    out = await chat.text("Ja, ab 14 Uhr.")
    assert "Deine Antwort ist bei JMD Münster" in texts(out)
    out = await chat.text("Noch etwas")  # not a reply any more: the normal conversation
    assert "Deine Antwort ist bei" not in texts(out)
    async with services.sessions() as s:
        events = (
            await s.scalars(
                select(ReferralEvent)
                .where(ReferralEvent.kind.in_(["relay", "reply"]))
                .order_by(ReferralEvent.id)
            )
        ).all()
    assert [(e.kind, e.actor, e.note) for e in events] == [
        ("relay", "Frau Yilmaz", "Hast du am Dienstag Zeit?"),
        ("reply", "person", "Ja, ab 14 Uhr."),
    ]


async def test_relay_refuses_empty_closed_and_unreachable(services):
    chat, rid = await referred(services)
    async with services.sessions() as s, s.begin():
        with pytest.raises(referrals.ReferralError, match="empty"):
            await referrals.relay(s, rid, "  ", actor="A")
    await chat.delete()
    async with services.sessions() as s, s.begin():
        with pytest.raises(referrals.ReferralError, match="withdrawn"):
            await referrals.relay(s, rid, "Hallo", actor="A")


async def test_relay_to_a_conversation_that_is_gone_is_refused(services):
    _, rid = await referred(services)
    async with services.sessions() as s, s.begin():
        conv = (await s.scalars(select(Conversation))).one()
        conv.updated_at = conv.updated_at - dt.timedelta(days=40)
    # an open referral keeps its conversation through expiry: the person stays reachable
    assert await expire(services.sessions, dt.timedelta(days=30), still_open) == 0
    async with services.sessions() as s, s.begin():
        await s.execute(delete(Conversation))
    async with services.sessions() as s, s.begin():
        with pytest.raises(referrals.Unreachable):
            await referrals.relay(s, rid, "Hallo", actor="A")


async def test_reply_button_of_a_finished_referral_is_answered(services):
    chat, rid = await referred(services)
    async with services.sessions() as s, s.begin():
        await referrals.relay(s, rid, "Frage", actor="A")
    await chat.new()
    await move(services, rid, "declined", note="nicht zuständig")
    await chat.new()
    out = await chat.press("Antworten")
    assert "nicht mehr offen" in texts(out)


async def test_notices_are_rendered_in_the_persons_language_with_isolates(services):
    chat, rid = await referred(services)
    async with services.sessions() as s, s.begin():
        conv = (await s.scalars(select(Conversation))).one()
        conv.locale = "ar"  # catalogs come later; the German fallback is isolated in RTL
    await move(services, rid, "in_review")
    [notice] = await chat.new()
    assert FSI in notice["text"] and notice["rtl"] is True
