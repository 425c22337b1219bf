"""The Erstberatung through the runtime on SQLite and PostgreSQL: offers, gap signals,
consent, referrals, /mydata, /delete, under 16 (safety: test_safety.py). Privacy claims are checked
in the DB."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import func, select

from base import i18n, rtl
from bot.housekeeping import forget_stale_answers
from dialogs.buttons import Op, encode
from dialogs.io import Msg, Press
from referrals.retention import purge
from store.demo import load_demo
from store.models import (
    Base,
    Conversation,
    Gemeinde,
    IntakeNeedCount,
    OfferGap,
    Referral,
    ReferralEvent,
    SurveyResponse,
)
from tests.conftest import settings_for
from tests.intake_support import Chat, occurrences, seed, texts
from wegweiser.services import build

GOAL = "Ich möchte Pflegerin werden."
PHONE = "0151 2345 6789"


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="s" * 40))
    yield s
    await s.close()


@pytest.fixture
async def ids(services):
    return await seed(services.sessions)


async def count(services, model) -> int:
    await services.holding.flush(force=True)  # what the holding area keeps back
    async with services.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)))


async def conversation(services) -> Conversation:
    async with services.sessions() as s:
        return (await s.scalars(select(Conversation))).one()


# ---------------------------------------------------------------- offers and aggregates


async def test_offers_per_area_with_details_paging_and_gap_signal(services, ids):
    chat = Chat(services)
    out = await chat.intake(needs=("Deutsch lernen", "Arbeit", "Bus, Bahn, Führerschein"))
    shown = texts(out)
    assert "Angebote, die vielleicht für dich passen" in shown
    assert "Thema: Deutsch lernen (1 von 3)" in shown
    # title and one line each; the offer elsewhere says where
    assert "1. Deutschkurs am Abend\nDeutsch lernen am Abend, für Anfänger." in shown
    assert "2. Sprachcafé – in Moers\nDeutsch üben mit Ehrenamtlichen." in shown
    labels = [b["label"] for b in chat.buttons]
    assert labels[:2] == ["1. Deutschkurs am Abend", "2. Sprachcafé"]
    assert not any("Nur mit Erlaubnis" in x or "B1" in x for x in labels)  # Duldung, A1
    details = texts(await chat.press("1. Deutschkurs"))
    for part in ("Aegidiimarkt 3", "0251 111", "Mo–Do 18–20 Uhr", "Ausweis oder Duldung"):
        assert part in details
    assert "Sprachen: Deutsch und Arabisch" in details and "Deutsch: bis A2" in details
    assert "Die Servicestelle prüft die Einzelheiten" not in details  # no hedge at the end
    assert len(details.splitlines()) <= 10
    await chat.press("Zurück")
    page2 = texts(await chat.press("Nächstes Thema"))
    assert "Thema: Arbeit (2 von 3)" in page2
    ask = texts(await chat.press("1. Jobcoaching"))
    assert "Vielleicht geht das nicht für deinen Aufenthalt" in ask  # access "ask" for Duldung
    await chat.press("Zurück")
    page3 = texts(await chat.press("Nächstes Thema"))
    assert "Thema: Bus, Bahn, Führerschein (3 von 3)" in page3 and "noch kein Angebot" in page3
    assert "Nächstes Thema" not in [b["label"] for b in chat.buttons]
    await services.holding.flush(force=True)  # counts are held back, then written
    async with services.sessions() as s:
        gaps = (await s.execute(select(OfferGap.need_area, OfferGap.gemeinde_id))).all()
        counts = (await s.execute(select(IntakeNeedCount.need_area, IntakeNeedCount.count))).all()
    assert gaps == [("mobilitaet", ids["muenster"])]
    assert sorted(counts) == [("arbeit", 1), ("mobilitaet", 1), ("sprache", 1)]


async def test_need_counts_add_up_over_people(services, ids):
    for n in range(3):
        chat = Chat(services, user=f"p{n}")
        await chat.intake(needs=("Deutsch lernen",))
    await services.holding.flush(force=True)
    async with services.sessions() as s:
        total = await s.scalar(
            select(func.sum(IntakeNeedCount.count)).where(IntakeNeedCount.need_area == "sprache")
        )
    assert total == 3


async def test_intake_without_referral_leaves_only_anonymous_aggregates(services, ids):
    chat = Chat(services)
    await chat.intake(needs=("Deutsch lernen", "Bus, Bahn, Führerschein"))
    conv = await conversation(services)
    assert conv.state["answers"]["needs"] == ["sprache", "mobilitaet"]  # while the person looks
    out = await chat.finish()
    assert "Deine Antworten habe ich jetzt gelöscht" in texts(out)
    conv = await conversation(services)
    assert conv.state["answers"] == {} and conv.state["data"] == {}
    assert await count(services, Referral) == 0
    assert await count(services, SurveyResponse) == 0  # an intake is not a survey response
    assert await count(services, OfferGap) == 1
    for name in ("intake_need_count", "offer_gap"):
        cols = set(Base.metadata.tables[name].columns.keys())
        assert cols <= {"id", "buendnis_id", "gemeinde_id", "need_area", "day", "count"}


async def test_stale_offer_button_after_finishing_is_answered(services, ids):
    chat = Chat(services)
    await chat.intake()
    old = list(chat.buttons)
    await chat.finish()
    out = await chat.send(Press(old[0]["data"]))
    assert "Diese Frage ist schon beantwortet" in texts(out)
    version = services.flows["erstberatung"].version
    out = await chat.send(Press(encode(Op.OPEN, version, "angebote", "99999")))
    assert out, "a forged button gets an answer"


# ---------------------------------------------------------------- Gemeinde


@pytest.mark.parametrize("typed", ["Münster", "Muenster", "munster", "MÜNSTER", "Münstr"])
async def test_gemeinde_typed_in_variants(services, ids, typed):
    chat = Chat(services)
    await chat.start()
    out = await chat.text(typed)
    if out[-1]["ask"] == "gemeinde":  # a near miss is confirmed, never guessed
        assert out[-1]["text"].startswith("Meinst du: Münster?")
        out = await chat.text("ja")
    assert out[-1]["ask"] == "age"
    conv = await conversation(services)
    assert conv.state["answers"]["gemeinde"] == f"g{ids['muenster']}"


async def test_gemeinde_choices_are_those_of_the_buendnis(services, ids):
    await load_demo(services.sessions)
    chat = Chat(services)
    await chat.cmd("start", "demo-ms")  # deep link of the demo Bündnis "Stadt Münster"
    out = await chat.send(Press(encode(Op.LANGUAGE, "", "", "de")))
    labels = [b["label"] for b in out[-1]["buttons"]]
    assert labels == ["Münster", "Andere Stadt oder weiß nicht"]
    code = out[-1]["buttons"][0]["data"].rsplit(":", 1)[1]
    async with services.sessions() as s:
        conv = (await s.scalars(select(Conversation))).one()
        gemeinde = await s.get(Gemeinde, int(code[1:]))
    assert gemeinde.buendnis_id == conv.buendnis_id != ids["buendnis"]


async def test_without_a_buendnis_the_gemeinde_decides_it(services, ids):
    chat = Chat(services)
    await chat.start()
    labels = [b["label"] for b in chat.buttons]
    assert labels == ["Moers", "Münster", "Andere Stadt oder weiß nicht"]
    await chat.intake()
    assert (await conversation(services)).buendnis_id == ids["buendnis"]


async def test_other_gemeinde_gets_the_offers_of_the_whole_buendnis(services, ids):
    chat = Chat(services)
    out = await chat.intake(gemeinde="Andere Stadt", needs=("Arbeit",), link="test-link")
    assert "1. Jobcoaching" in [b["label"] for b in chat.buttons], texts(out)


async def test_an_unknown_town_without_a_buendnis_is_answered_at_once(services, ids):
    chat = Chat(services)
    await chat.start()
    out = await chat.press("Andere Stadt")  # the third input: no question more
    shown = texts(out)
    assert "Angebote kenne ich bisher in: Moers, Münster" in shown
    assert "jmd4you.de" in shown and "mbeon.de" in shown
    assert "Deine Antworten habe ich jetzt gelöscht" in shown
    assert (await conversation(services)).state["finished"] is True
    assert await count(services, Referral) == 0 and await count(services, OfferGap) == 0


# ---------------------------------------------------------------- consent and referral


async def test_nothing_personal_is_stored_before_consent(services, ids):
    chat = Chat(services)
    await chat.intake()
    consent = await chat.refer("Per Telefon", PHONE, goal=GOAL)
    # one screen: who gets it, which answers (by name), how, how long; the answers behind "mehr"
    for part in (
        "Diese Angaben gehen an: JMD Münster",
        "Das sind deine Antworten zu: Stadt, Alter, Aufenthalt, Deutsch, Hilfe bei",
        "Dein Ziel",
        f"So erreicht sie dich: {PHONE}",
        "90 Tage",
    ):
        assert part in consent, part
    assert GOAL not in consent and len(consent.splitlines()) <= 9
    full = texts(await chat.press("Alle Antworten zeigen"))
    for part in ("Stadt – Münster", "Aufenthalt – Duldung", "Hilfe bei – Deutsch lernen"):
        assert part in full, part
    assert f"– {GOAL}" in full
    assert "/delete" not in full  # no tappable command next to the consent button
    assert await count(services, Referral) == 0
    assert await count(services, ReferralEvent) == 0
    out = await chat.press("Nein")
    assert "Es wurde nichts weitergegeben" in texts(out)
    assert await count(services, Referral) == 0
    assert await occurrences(services, "2345") == []
    assert await occurrences(services, "Pflegerin") == []


async def test_consent_creates_exactly_the_shown_referral(services, ids):
    chat = Chat(services)
    await chat.intake()
    consent = await chat.refer(goal=GOAL)
    assert "So erreicht sie dich: Hier im Chat" in consent
    consent = texts(await chat.press("Alle Antworten zeigen"))
    out = await chat.press("Ja, ich bin einverstanden")
    last = out[-1]["text"]  # who, how, by when, and how to ask
    assert "Deine Anfrage ist jetzt bei JMD Münster" in last
    assert "Sie schreibt dir hier im Chat, meistens bis" in last and "0251 000" in last
    assert "/delete" in texts(out)  # how to withdraw: told after, not next to the button
    async with services.sessions() as s:
        referral = (await s.scalars(select(Referral))).one()
        events = (await s.scalars(select(ReferralEvent))).all()
        conv = (await s.scalars(select(Conversation))).one()
    assert referral.servicestelle_id == ids["jmd"]  # Münster + Sprache + the chat's language
    assert referral.status == "new" and referral.contact_via == "bot"
    assert referral.contact_value is None and referral.conversation_id == conv.id
    shared = {a["item"]: a["answer"] for a in referral.shared["answers"]}
    assert shared["gemeinde"] == "Münster" and shared["status"] == "Duldung"
    assert shared["goal"] == GOAL and shared["needs"] == "Deutsch lernen"
    for item, answer in shared.items():
        assert f"– {answer}" in consent, item  # nothing stored that was not on the screen
    assert [(e.kind, e.to_status, e.actor) for e in events] == [("transition", "new", "person")]
    assert conv.state["answers"] == {}  # the answers now live only in the referral
    roles = {a["role"] for a in referral.shared["answers"]} - {None}
    assert roles == {"gemeinde", "age", "status", "languages", "german", "interpreter", "needs"}
    again = texts(await chat.intake())
    assert "Thema:" in again
    out = await chat.press("Weiter")
    assert "schon eine offene Anfrage bei JMD Münster" in texts(out)


async def test_contact_details_are_validated(services, ids):
    chat = Chat(services)
    await chat.intake(needs=("Arbeit",))
    await chat.refer("Per Telefon")
    out = await chat.text("ruf mich an")
    assert "nicht wie eine Telefonnummer" in texts(out)
    assert out[-1]["text"] == "Bitte schreib deine Telefonnummer."
    await chat.press("Zurück")  # the way of contact again, the earlier choice marked
    assert [b["label"] for b in chat.buttons if b["selected"]] == ["Per Telefon"]
    await chat.press("Per E-Mail")
    for bad in ("name@", "@x.de", "a b@c.de", "x@y"):
        assert "nicht wie eine E-Mail-Adresse" in texts(await chat.text(bad))
    out = await chat.text("amira@example.org")
    assert "So erreicht sie dich: amira@example.org" in texts(out)
    out = await chat.press("Ja, ich bin einverstanden")
    assert "Sie schreibt dir eine E-Mail, meistens bis" in out[-1]["text"]
    async with services.sessions() as s:
        referral = (await s.scalars(select(Referral))).one()
    assert (referral.contact_via, referral.contact_value) == ("email", "amira@example.org")
    assert referral.servicestelle_id == ids["default"]  # no specific one for Arbeit: default


async def test_under_16_gets_offers_and_direct_contact_but_no_referral(services, ids):
    chat = Chat(services)
    await chat.intake(age="Unter 16")
    assert "1. Deutschkurs am Abend" in [b["label"] for b in chat.buttons]
    version = services.flows["erstberatung"].version
    out = await chat.press("Weiter")
    shown = texts(out)
    assert "Du bist unter 16" in shown and "Hafenweg 2" in shown
    assert "Ja, bitte melden" not in shown and not chat.buttons_now(out)
    for forged in ("wie_weiter:refer", "einwilligung:yes"):  # forged presses: nothing stored
        item, code = forged.split(":")
        out = await chat.send(Press(encode(Op.ANSWER, version, item, code)))
        assert out
    assert await count(services, Referral) == 0


async def test_mydata_and_delete(services, ids):
    chat = Chat(services)
    await chat.intake()
    out = await chat.cmd("mydata")
    mine = texts(out)
    assert "Deine Antworten bis jetzt" in mine and "Aufenthalt – Duldung" in mine
    assert out[-1]["text"].startswith("Thema:")  # then the list again, with its buttons
    await chat.refer("Per Telefon", PHONE, goal=GOAL)
    await chat.press("Ja, ich bin einverstanden")
    mine = texts(await chat.cmd("mydata"))
    assert "Anfrage bei JMD Münster (Stand: neu" in mine
    assert GOAL in mine and PHONE in mine
    out = await chat.cmd("delete")  # asked once more: nothing deleted yet
    assert await count(services, Referral) == 1 and chat.buttons_now(out)
    out = await chat.text("nein")
    assert "Nichts wurde gelöscht" in texts(out)
    assert (await conversation(services)) is not None
    out = await chat.delete()
    assert "alles über dich gelöscht" in texts(out)
    async with services.sessions() as s:
        referral = (await s.scalars(select(Referral))).one()
        events = (await s.scalars(select(ReferralEvent).order_by(ReferralEvent.id))).all()
    assert referral.status == "withdrawn" and referral.shared == {}
    assert referral.contact_value is None and referral.conversation_id is None
    assert events[-1].note == "withdrawn by the person"
    assert await occurrences(services, "2345") == []
    assert await occurrences(services, "Pflegerin") == []
    mine = texts(await chat.cmd("mydata"))
    assert "JMD" not in mine and GOAL not in mine
    assert "alles über dich gelöscht" in texts(await chat.delete())


@pytest.mark.parametrize("lang", ["ar", "uk"])
async def test_mydata_shows_the_referral_in_the_persons_language(services, ids, lang):
    chat = Chat(services)
    await chat.intake()
    await chat.refer("Per Telefon", PHONE, goal=GOAL)
    await chat.press("Ja, ich bin einverstanden")
    await chat.cmd("language")
    await chat.send(Press(encode(Op.LANGUAGE, "", "", lang)))
    mine = texts(await chat.cmd("mydata")).replace(rtl.FSI, "").replace(rtl.PDI, "")
    flow = services.flows["erstberatung"]
    age = flow.item("age")
    label = i18n.render(Msg(age.choice("18-20").label, flow.context("age")), lang)
    question = i18n.render(Msg(age.field or "", flow.context("age")), lang)
    assert label.replace(rtl.FSI, "").replace(rtl.PDI, "") in mine
    assert question.replace(rtl.FSI, "").replace(rtl.PDI, "") in mine
    assert "18 bis 20" not in mine and "Alter" not in mine  # not the German stored text
    assert GOAL in mine and PHONE in mine  # typed text stays as typed
    async with services.sessions() as s:  # the Servicestelle still reads German
        referral = (await s.scalars(select(Referral))).one()
    assert {"question": "Alter", "answer": "18 bis 20"}.items() <= next(
        a for a in referral.shared["answers"] if a["item"] == "age"
    ).items()


async def test_retention_deletes_finished_referrals_and_stale_intake_answers(services, ids):
    chat = Chat(services)
    await chat.intake()
    await chat.refer(goal=GOAL)
    await chat.press("Ja, ich bin einverstanden")
    other = Chat(services, user="other")
    await other.intake()
    await other.refer(goal="Zweites Ziel")  # then no answer to the consent question
    from referrals import lifecycle as referrals

    async with services.sessions() as s, s.begin():
        referral = (await s.scalars(select(Referral))).one()
        await referrals.transition(s, referral.id, "declined", actor="Frau A", note="zu weit weg")
    retention = dt.timedelta(days=90)
    soon = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=89)
    flows = services.flows
    assert await purge(services.sessions, retention, now=soon) == 0
    assert await forget_stale_answers(services.sessions, flows, now=soon) == 1
    assert await count(services, Referral) == 1
    assert await occurrences(services, "Zweites Ziel") == []
    later = soon + dt.timedelta(days=2)
    assert await purge(services.sessions, retention, now=later) == 1
    assert await forget_stale_answers(services.sessions, flows, now=later) == 0
    assert await count(services, Referral) == 0 and await count(services, ReferralEvent) == 0
    assert await occurrences(services, "Pflegerin") == []
    assert await count(services, IntakeNeedCount) >= 1  # the anonymous aggregates stay


# ---------------------------------------------------------------- help (danger: test_safety.py)


async def test_the_goal_text_is_not_taken_as_danger_unless_it_is(services, ids):
    chat = Chat(services)
    await chat.intake()
    out = await chat.refer(goal="Ich möchte Deutsch lernen und arbeiten.")
    assert "112" not in out


FORGED = [
    "n::x:",
    "n:{v}:angebote:999",
    "o:{v}:angebote:abc",
    "o:{v}:angebote:99999",
    "a:{v}:kontaktweg:fax",
    "a:{v}:einwilligung:yes",
    "c::delete:maybe",
    "c::end:yes",
    "e:{v}:wie_weiter:finish",
    "y::ref:abc",
    "y::ref:12345",
    "o:::",
    "b:{v}:nonsense:",
]


async def test_forged_and_out_of_order_buttons_always_get_an_answer(services, ids):
    chat = Chat(services)
    await chat.intake()
    version = services.flows["erstberatung"].version[:8]
    for data in FORGED:
        out = await chat.send(Press(data.format(v=version)))
        assert out, data
    assert await count(services, Referral) == 0  # consent "yes" out of order: nothing stored
    assert chat.buttons_now(out)  # still at the list
    await chat.press("Weiter")
    out = await chat.send(Press(f"a:{version}:einwilligung:yes"))  # before the contact way: refused
    assert "schon beantwortet" in texts(out)
    assert await count(services, Referral) == 0
    assert "gelöscht" in texts(await chat.finish_here())
    for data in FORGED:  # after the end
        assert await chat.send(Press(data.format(v=version))), data


async def test_logs_carry_no_message_text_and_no_messenger_id(services, ids, caplog):
    caplog.set_level(logging.DEBUG)
    chat = Chat(services, user="55501234")
    await chat.intake()
    await chat.text("ich will nicht mehr leben")
    await chat.refer("Per Telefon", PHONE, goal=GOAL)
    await chat.press("Ja, ich bin einverstanden")
    await chat.cmd("mydata")
    await chat.delete()
    ours = ("bot", "dialogs", "store", "offers", "referrals", "surveys", "places", "wegweiser")
    logged = "\n".join(
        r.getMessage() for r in caplog.records if r.name.split(".")[0] in ours
    )  # the database driver's own debug output is not ours (and off in production)
    assert "offers listed" in logged and "referral created" in logged
    for secret in ("55501234", "Pflegerin", "2345", "nicht mehr leben", "Münster"):
        assert secret not in logged, secret


async def test_resume_after_a_restart_shows_the_question_again(services, ids):
    chat = Chat(services)
    await chat.intake()
    out = await chat.cmd("resume")
    assert out[-1]["text"].startswith("Thema: Deutsch lernen")
    await chat.press("Weiter")
    await chat.press("Ja, bitte melden")
    out = await chat.cmd("resume")
    assert out[-1]["text"].startswith("Ist es dringend?")
    out = await chat.press("Überspringen")
    out = await chat.cmd("resume")
    assert out[-1]["ask"] == "lesen" and out[-1]["text"].startswith("Kannst du lesen")


async def test_changing_the_language_on_an_offer_page_shows_the_page_again(services, ids):
    chat = Chat(services)
    await chat.intake()
    out = await chat.cmd("language")
    assert out[-1]["ask"] == "@language"
    out = await chat.press("English")
    assert out[-1]["text"].startswith("Topic:") and chat.buttons_now(out)
    out = await chat.send(Press(encode(Op.LANGUAGE, "", "", "xx")))  # not offered
    assert "doesn't work anymore" in texts(out)
    assert (await conversation(services)).state["item"] == "angebote"
