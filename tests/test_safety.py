"""Help after a danger message, through the runtime on SQLite and PostgreSQL: in every flow and
question kind, in a reply to a Servicestelle, after the end and before a language is chosen;
help by category and age; the conversation going on; the urgent contact (with consent, never
under 16). Privacy is checked in the database: the message is nowhere, the count is anonymous
and written outside the person's transaction."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import func, inspect, select, text

from care.tally import SAFETY, held_counts
from dialogs.buttons import Op, encode
from dialogs.helplines import AGE_GROUPS, age_group, helplines
from dialogs.io import Press
from dialogs.safety import CATEGORIES
from referrals import lifecycle
from store.holding import Holding
from store.models import Referral, ReferralEvent, SafetyCount
from tests.conftest import settings_for
from tests.intake_support import Chat, occurrences, seed, texts
from wegweiser.services import build

URGENT = Press(encode(Op.CARE, "", "care", "urgent"))


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="s" * 40))
    yield s
    await s.close()


@pytest.fixture
async def ids(services):
    return await seed(services.sessions)


async def count(services, model) -> int:
    async with services.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)))


def labels(payload) -> list[str]:
    return [b["label"] for b in payload["buttons"]]


# ---------------------------------------------------------------- data and rules


@pytest.mark.parametrize(
    ("answer", "group"),
    [
        ("u16", "u16"), ("16-17", "minor"), ("18-20", "adult"), ("27plus", "adult"),
        ("27+", "adult"), (15, "u16"), (16, "minor"), (17.5, "minor"), (30, "adult"),
        ("14", "u16"), ("unter 18", "u16"), ("10-17", "u16"), (None, "unknown"),
        ("weiss_nicht", "unknown"), (True, "unknown"), (500, "unknown"),
    ],
)  # fmt: skip
def test_the_age_rule_reads_any_flows_age_answer_conservatively(answer, group):
    assert age_group(answer) == group


def test_every_category_and_age_has_help_lines_with_a_source():
    book = helplines()
    for category in CATEGORIES:
        for age in AGE_GROUPS:
            found = book.for_([category], age)
            assert found, (category, age)
            assert ("nummer_gegen_kummer" in found) == (age != "adult"), (category, age)
    for line in book.lines.values():
        assert line.source.startswith("https://") and line.number and line.languages


# ---------------------------------------------------------------- help in every flow


@pytest.mark.parametrize(
    ("message", "numbers", "ack"),
    [
        ("ich will nicht mehr leben", ["0800 111 0 111", "116 111", "112"], "Das klingt sehr"),
        ("Mein Papa schlägt mich", ["116 016", "0800 123 99 00", "110"], "Gewalt ist nie"),
        ("I was raped", ["116 016", "0800 22 55 530", "110"], "nicht schuld an dem"),
        ("بدهم يجوزوني غصب عني", ["110", "116 016", "116 006"], "Recht auf Schutz"),
        ("Notfall!", ["112", "110"], "nach einem Notfall"),
    ],
)
async def test_help_fits_the_danger_then_the_question_comes_again(
    services, ids, message, numbers, ack
):
    chat = Chat(services)
    await chat.start()
    out = await chat.text(message)
    assert ack in out[0]["text"].splitlines()[0]
    for number in numbers:
        assert number in out[0]["text"]
    assert out[-1]["ask"] == "gemeinde" and "Pause" in labels(out[-1])
    conv = (await services.runtime.state_of("telegram", chat.user)) or {}
    assert conv["answers"] == {} and message not in str(conv)


async def test_help_fits_the_age_under_16_gets_the_youth_route_and_no_referral(services, ids):
    adult, young = Chat(services, user="a"), Chat(services, user="b")
    for chat, age in ((adult, "18 bis 20"), (young, "Unter 16")):
        await chat.start(link="test-link")
        await chat.press("Münster")
        await chat.press(age)
    out = await adult.text("ich will nicht mehr leben")
    assert "TelefonSeelsorge" in out[0]["text"] and "116 111" not in out[0]["text"]
    assert "Bitte meldet euch bei mir" in labels(out[-1])
    out = await young.text("ich will nicht mehr leben")
    first = out[0]["text"].splitlines()[1]
    assert "Nummer gegen Kummer: 116 111" in first and "Jugendamt" in out[0]["text"]
    assert "Du bist unter 16" in out[0]["text"]
    assert labels(out[-1])[-1] == "Pause"  # no urgent contact
    out = await young.send(URGENT)  # forged: the youth route again, no referral
    assert "Du bist unter 16" in texts(out)
    assert await count(services, Referral) == 0


@pytest.mark.parametrize("flow", ["demo", "befragung-lebenslage"])
async def test_number_and_text_questions_check_too_and_nothing_is_stored(services, ids, flow):
    chat = Chat(services, flow=flow)
    out = await chat.start()
    if flow == "befragung-lebenslage":
        out = await chat.press("18 bis 20")  # to the free-text place question
    asked = out[-1]["ask"]
    out = await chat.text("ich will mich umbringen")
    assert "TelefonSeelsorge" in out[0]["text"] and out[-1]["ask"] == asked
    out = await chat.text("19" if flow == "demo" else "Münster")  # answering ends the help
    assert out[-1]["ask"] != asked and "Pause" not in labels(out[-1])
    assert await occurrences(services, "umbringen") == []


async def test_the_conversation_goes_on_free_text_pause_and_back(services, ids):
    chat = Chat(services)
    await chat.start()
    await chat.text("er bedroht mich jeden tag")
    out = await chat.text("ich weiss nicht was ich machen soll")
    assert "Ich lese mit" in out[0]["text"] and "Bitte nutze die Knöpfe" not in texts(out)
    assert out[-1]["ask"] == "gemeinde"
    out = await chat.press("Pause")
    assert len(out) == 1 and "Pause" in out[0]["text"] and not out[0]["buttons"]
    out = await chat.text("hallo")
    assert "wieder da" in out[0]["text"] and out[-1]["ask"] == "gemeinde"
    out = await chat.press("Münster")
    assert out[-1]["ask"] == "age" and "Pause" not in labels(out[-1])
    out = await chat.text("blabla")  # help is over: the usual answer
    assert "Bitte nutze die Knöpfe" in texts(out)


async def test_after_the_end_no_you_are_done_and_before_a_language_the_help_in_theirs(
    services, ids
):
    chat = Chat(services, flow="demo")
    await chat.start()
    await chat.text("19")
    await chat.press("Anders")
    await chat.press("Fertig")
    out = await chat.text("i want to die")
    assert "TelefonSeelsorge" in texts(out) and "fertig" not in texts(out)
    out = await chat.text("ok")
    assert "Ich lese mit" in texts(out) and "fertig" not in texts(out)
    stranger = Chat(services, user="new", flow="demo")
    out = await stranger.text("بدي موت")  # the very first message, no language yet
    assert "أنت لست وحدك" in out[0]["text"] and out[-1]["ask"] == "@language"


async def test_a_long_message_that_speaks_of_danger_still_gets_help(services, ids):
    chat = Chat(services)
    await chat.start()
    out = await chat.text("Ich will nicht mehr leben. " + "Es ist alles zu viel. " * 100)
    assert "TelefonSeelsorge" in out[0]["text"]


# ---------------------------------------------------------------- the urgent contact


async def _adult_in_danger(services, message: str = "mein mann schlägt mich") -> Chat:
    chat = Chat(services)
    await chat.start(link="test-link")
    await chat.press("Münster")
    await chat.press("21 bis 24")
    await chat.text(message)
    return chat


async def test_urgent_contact_only_with_consent_shares_the_topic_and_nothing_of_the_text(
    services, ids
):
    chat = await _adult_in_danger(services)
    out = await chat.press("Bitte meldet euch bei mir")
    screen = out[-1]["text"]
    assert "JMD Münster" in screen and "Dringend: Gewalt zu Hause" in screen
    assert "hier im Chat" in screen and "gebe ich nicht weiter" in screen
    out = await chat.press("Nein, lieber nicht")
    assert "nichts weitergegeben" in texts(out) and await count(services, Referral) == 0
    await chat.press("Bitte meldet euch bei mir")
    out = await chat.press("Ja, bitte melden")
    assert "weiß jetzt, dass es dringend ist" in texts(out)
    assert out[-1]["ask"] == "status" and "Bitte meldet" not in str(labels(out[-1]))
    async with services.sessions() as s:
        ref = (await s.scalars(select(Referral))).one()
        events = (await s.scalars(select(ReferralEvent.kind))).all()
    assert ref.urgent and ref.contact_via == "bot" and ref.contact_value is None
    assert [a["value"] for a in ref.shared["answers"]] == ["home_violence"]
    assert events == ["transition", "urgent"]
    assert await occurrences(services, "schlägt") == []
    out = await chat.cmd("mydata")  # what the person shared, in their words
    assert "Anliegen – Dringend: Gewalt zu Hause" in texts(out)


async def test_unknown_age_is_asked_and_younger_means_no_referral(services, ids):
    chat = Chat(services)
    await chat.start(link="test-link")
    await chat.text("ich will nicht mehr leben")
    out = await chat.send(URGENT)
    assert out[-1]["text"] == "Bist du 16 oder älter?"
    out = await chat.press("Nein, jünger")
    assert "Du bist unter 16" in texts(out) and await count(services, Referral) == 0
    assert out[-1]["ask"] == "gemeinde"


async def test_danger_in_a_reply_to_the_servicestelle_goes_there_marked_urgent(services, ids):
    chat = Chat(services)
    await chat.intake()
    await chat.refer()
    await chat.press("Ja, ich bin einverstanden")
    async with services.sessions() as s, s.begin():
        ref = (await s.scalars(select(Referral))).one()
        await lifecycle.relay(s, ref.id, "Wie geht es dir?", actor="user:1")
    await chat.new()
    await chat.press("Antworten")
    out = await chat.text("mein vater hat mich wieder geschlagen")
    assert "Deine Antwort ist bei" in texts(out) and "116 016" in texts(out)
    async with services.sessions() as s:
        ref = (await s.scalars(select(Referral))).one()
        kinds = [e.kind for e in await s.scalars(select(ReferralEvent).order_by(ReferralEvent.id))]
    assert ref.urgent and kinds[-2:] == ["reply", "urgent"]


# ---------------------------------------------------------------- privacy


async def test_counts_are_anonymous_batched_and_outside_the_persons_transaction(
    services, ids, caplog
):
    caplog.set_level(logging.INFO)
    messages = [f"ich will nicht mehr leben {n}" for n in range(4)]
    for n, message in enumerate(messages):
        chat = Chat(services, user=f"p{n}")
        await chat.start(link="test-link")
        await chat.text(message)
    held = services.holding
    assert await count(services, SafetyCount) == 0 and len(held.waiting(SAFETY)) == 4
    assert await held.flush() == 0  # fewer than k: nothing says when it happened
    chat = Chat(services, user="p9")
    await chat.start(link="test-link")
    await chat.text("my dad hits me")
    assert await held.flush() == 10  # the five counts, and the five scans of the start link
    async with services.sessions() as s:
        rows = (await s.execute(select(SafetyCount.category, SafetyCount.count))).all()
    assert sorted(rows) == [("home_violence", 1), ("self_harm", 4)]
    assert {c.name for c in inspect(SafetyCount).columns} == {
        "id",
        "buendnis_id",
        "category",
        "day",
        "count",
    }
    for message in messages:
        assert await occurrences(services, message) == []
        assert all(message not in r.getMessage() for r in caplog.records)
    if services.engine.dialect.name == "postgresql":  # no shared transaction id either
        async with services.sessions() as s:
            counts = set((await s.execute(text("SELECT xmin::text FROM safety_count"))).scalars())
            convs = set((await s.execute(text("SELECT xmin::text FROM conversation"))).scalars())
        assert counts and not counts & convs


async def test_held_counts_write_a_finished_day_keep_counts_on_failure_and_flush_on_close(
    services, ids
):
    held = services.holding
    yesterday = dt.date.today() - dt.timedelta(days=1)
    held.add(held_counts(ids["buendnis"], ["threat"], yesterday))
    held.add(held_counts(ids["buendnis"], ["threat"], dt.date.today()))
    assert await held.flush() == 1 and held.pending == 1  # only the finished day

    def broken():
        raise RuntimeError("database gone")

    failing = Holding(broken, held.writers)  # type: ignore[arg-type]
    failing.add(held_counts(None, ["emergency"], yesterday))
    with pytest.raises(RuntimeError):
        await failing.flush(force=True)
    assert failing.pending == 1
    await services.close()  # stopping writes the rest
    async with services.sessions() as s:
        assert await s.scalar(select(func.sum(SafetyCount.count))) == 2
