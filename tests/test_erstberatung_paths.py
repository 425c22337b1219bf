"""The Erstberatung's paths through the runtime: under 16, no home, an unknown town, offers in
the person's language (German with a note where a translation is missing), details that fit a
phone, what happens after a referral ("wann meldet ihr euch?"), and the way on from a
survey."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from base import i18n, rtl
from dialogs.buttons import Op, encode
from dialogs.io import Press, Reply, State
from dialogs.listing import offer_details
from dialogs.run import Run
from offers.effects import offer_opened
from store.demo import load_demo
from store.models import Offer, Referral, ReferralEvent
from store.turn import Turn
from tests.conftest import settings_for
from tests.intake_support import Chat, seed, texts
from wegweiser.services import build, lexicon


@pytest.fixture
async def services(db_url, tmp_path):
    s = build(settings_for(db_url, tmp_path, secret_key="p" * 40))
    yield s
    await s.close()


@pytest.fixture
async def ids(services):
    return await seed(services.sessions)


def plain(text: str) -> str:
    return text.replace(rtl.FSI, "").replace(rtl.PDI, "")


async def test_under_16_no_work_permit_question_no_job_offers_but_youth_offers(services, ids):
    chat = Chat(services)
    await chat.start()
    for label in ("Münster", "Unter 16", "Duldung", "Etwas (A2)", "Arbeit"):
        await chat.press(label)
    out = await chat.press("Fertig")
    shown = texts(out)
    assert "Darfst du in Deutschland arbeiten?" not in shown  # straight to the offers
    assert out[-1]["ask"] == "angebote"
    assert "Mit unter 16 Jahren darfst du meistens noch nicht arbeiten" in shown
    assert "1. Jugendberufshilfe – Schule und Beruf" in shown
    assert "Jobcoaching" not in shown and "Berufssprachkurs" not in shown


async def test_no_home_gets_emergency_accommodation_first(services, ids):
    chat = Chat(services)
    await chat.start()
    for label in ("Münster", "18 bis 20", "Gestattung", "Noch gar nicht", "Deutsch lernen"):
        await chat.press(label)
    await chat.press("Wohnen")
    await chat.press("Fertig")
    out = await chat.press("Ich habe keine Wohnung")
    shown = texts(out)
    assert shown.index("Ordnungsamt im Rathaus") < shown.index("Thema:")
    assert "Thema: Wohnen (1 von 2)" in shown  # the urgent need area first
    listed = out[-1]["text"]
    assert listed.index("1. Ordnungsamt") < listed.index("2. Notschlafstelle")
    assert listed.index("2. Notschlafstelle") < listed.index("3. Wohnungssuche")


async def test_an_unknown_town_with_a_buendnis_names_its_general_contact(services, ids):
    chat = Chat(services)
    await chat.start(link="test-link")
    out = await chat.press("Andere Stadt")
    shown = texts(out)
    assert "Ich kenne Angebote in: Moers, Münster" in shown
    assert "Servicestelle Zuwanderung, Rathausplatz 1, 02841 000" in shown
    assert out[-1]["ask"] == "ort_weiter"
    out = await chat.press("Nein, danke")
    assert "Schreib /start" in texts(out)


async def test_offers_speak_the_persons_language_and_mark_german_text(services, ids):
    chat = Chat(services)
    await chat.start("ar")
    out = await chat.press("Münster")
    for _ in range(3):  # age, status, German: the first answers
        out = await chat.send(Press(out[-1]["buttons"][0]["data"]))
    await chat.send(Press(out[-1]["buttons"][0]["data"]))  # need: Deutsch lernen
    out = await chat.send(
        Press(next(b["data"] for b in chat.buttons if b["data"].startswith("d:")))
    )
    listed = plain(out[-1]["text"])
    assert "1. دورة ألمانية مسائية" in listed and "تعلّم الألمانية في المساء" in listed
    assert "مقهى اللغة – في Moers" in listed
    assert "Deutschkurs am Abend" not in listed
    assert "Deutsch üben" not in listed  # the Sprachcafé's summary is translated too
    assert rtl.bare_ltr(out[-1]["text"]) == []  # German names stay isolated in RTL
    details = plain(texts(await chat.press("1.")))
    assert "دورة ألمانية مسائية – VHS" in details
    assert "Aegidiimarkt 3" in details and "الإثنين–الخميس 18–20" in details
    async with services.sessions() as s, s.begin():
        course = await s.get(Offer, ids["course"])
        course.what_to_bring = "Ausweis und Meldebescheinigung"  # the Arabic one is outdated now
    await chat.send(Press(chat.buttons[0]["data"]))  # back to the list
    details = plain(texts(await chat.press("1.")))
    assert "Ausweis und Meldebescheinigung (بالألمانية)" in details


async def test_offer_details_fit_ten_phone_lines_for_every_demo_offer(db):
    await load_demo(db)
    flow = build_flow()
    item = flow.item("angebote")
    async with db() as s:
        offers = list(await s.scalars(select(Offer)))
        for offer in offers:
            for locale in ("de", "ar", "uk"):
                data = (await offer_opened(Turn(s, None, b""), _opened(offer.id, locale))).data
                state = State(locale=locale, item=item.id)
                listed = {"id": offer.id, "town": "Kamp-Lintfort", "access": "ask"}
                state.data[item.id] = {"areas": [{"area": "sprache", "offers": [listed]}]}
                run = Run(flow, state, lexicon())
                offer_details(run, item, offer.id, data)
                text = "\n\n".join(i18n.render(p, locale) for p in run.replies[-1].parts)
                assert len(text.splitlines()) <= 10, (offer.title, locale, text)
                assert isinstance(run.replies[-1], Reply)


def build_flow():
    from dialogs.loader import load_flow
    from tests.helpers import FLOWS

    return load_flow(FLOWS / "erstberatung.yaml")


def _opened(offer_id: int, locale: str):
    from dialogs.effects import OfferOpened

    return OfferOpened(offer_id, locale)


async def test_after_a_referral_the_person_hears_who_how_when_and_can_write(services, ids):
    chat = Chat(services)
    await chat.intake()
    await chat.refer("Per Telefon", "0151 2345 6789")
    out = await chat.press("Ja, ich bin einverstanden")
    last = out[-1]["text"]
    assert "JMD Münster" in last and "Sie ruft dich an, meistens bis" in last
    async with services.sessions() as s:
        referral = (await s.scalars(select(Referral))).one()
    by = referral.created_at.date()
    assert by.strftime("%d.%m.%Y")[:2].isdigit()
    out = await chat.text("wann meldet ihr euch?")
    answer = out[-1]["text"]
    assert "Deine Anfrage bei JMD Münster: neu" in answer
    assert "Sie ruft dich an, meistens bis" in answer and "0251 000" in answer
    assert "Du bist fertig" not in answer
    await chat.press("Nachricht schreiben")
    out = await chat.text("Ich habe morgen Zeit.")
    assert "Deine Antwort ist bei JMD Münster" in texts(out)
    async with services.sessions() as s:
        notes = list(
            await s.scalars(select(ReferralEvent.note).where(ReferralEvent.kind == "reply"))
        )
    assert notes == ["Ich habe morgen Zeit."]


async def test_a_late_referral_says_whom_to_call(services, ids):
    chat = Chat(services)
    await chat.intake()
    await chat.refer()
    await chat.press("Ja, ich bin einverstanden")
    async with services.sessions() as s, s.begin():
        referral = (await s.scalars(select(Referral))).one()
        referral.created_at -= dt.timedelta(days=14)
    out = await chat.text("hallo?")
    assert "Noch nichts gehört? Ruf dort an: 0251 000" in out[-1]["text"]


async def test_without_a_referral_the_end_offers_a_new_start(services, ids):
    chat = Chat(services)
    await chat.intake()
    await chat.finish()
    out = await chat.text("wann meldet ihr euch?")
    assert out[-1]["text"].startswith("Du bist fertig") and chat.buttons_now(out) == [
        "Neu beginnen"
    ]
    out = await chat.press("Neu beginnen")
    assert out[-1]["ask"] == "gemeinde"


async def test_the_end_of_a_survey_leads_on_to_the_erstberatung(services, ids):
    chat = Chat(services, flow="demo")
    await chat.start()
    await chat.text("20")
    await chat.press("Anders")
    out = await chat.press("Fertig")  # no need chosen: the last question is optional
    assert "Möchtest du jetzt Hilfe in deiner Nähe finden?" in texts(out)
    out = await chat.press("Ja, Hilfe finden")
    assert out[-1]["ask"] == "gemeinde"
    out = await chat.send(Press(encode(Op.GO, "", "", "befragung-lebenslage")))
    assert "Dieser Knopf gilt nicht mehr" in texts(out)  # only the flow's own next step
