"""The Erstberatung flow file: codes match the offers taxonomy, no forbidden questions.
(Danger detection in every language: tests/test_safety_corpus.py.)"""

from __future__ import annotations

import pytest

from base import i18n, rtl
from dialogs.intake_messages import IM
from dialogs.io import Msg
from dialogs.loader import load_flow
from dialogs.messages import M
from dialogs.model import QUESTION_KINDS
from offers.effects import STATUS_CODES, _status, german_level
from offers.taxonomy import GERMAN_LEVELS, NEED_AREAS, PERSON_AGE_BANDS, STATUSES, TOPICS
from tests.helpers import FLOWS


def flow():
    return load_flow(FLOWS / "erstberatung.yaml")


def test_answer_codes_map_onto_the_offers_taxonomy():
    f = flow()
    assert f.kind == "intake"
    assert [c.code for c in f.item("needs").choices] == list(NEED_AREAS)
    assert [c.code for c in f.item("age").choices] == list(PERSON_AGE_BANDS)
    levels = {c.code for c in f.by_role("german").choices}
    assert levels - {"unknown"} <= set(GERMAN_LEVELS) and german_level("unknown") is None
    statuses = {_status(c.code) for c in f.item("status").choices} | {_status(None)}
    assert statuses == set(STATUSES)
    assert set(STATUS_CODES.values()) <= set(STATUSES)


NO_TOPIC = {"unknown", "other", "flat"}  # answers that change nothing: no offer lists them


def test_follow_ups_only_where_they_change_offers_and_every_free_text_is_optional():
    """A follow-up before the offers is a topic the offers can carry (taxonomy.TOPICS, of
    the need area it follows up); every topic can be named."""
    f = flow()
    offers_at = f.index[f.by_role("needs").id], f.index["angebote"]
    before = [it for it in f.items[offers_at[0] + 1 : offers_at[1]] if it.asks]
    assert before and all(it.role == "topic" for it in before), [it.id for it in before]
    named = set()
    for item in before:
        area = next(a for a in NEED_AREAS if f"{a} in needs" in (item.when.source or ""))
        for choice in item.choices:
            if choice.code not in NO_TOPIC:
                assert TOPICS[choice.code][0] == area, (item.id, choice.code)
                named.add(choice.code)
    assert named == set(TOPICS)
    for item in f.items:
        if item.kind == "text" and item.format is None:  # contact details are asked for
            assert not item.required, item.id


def test_what_a_servicestelle_needs_is_asked_only_for_a_referral():
    f = flow()
    after_choice = f.dependents("wie_weiter")
    for name in ("dringend", "frist", "abschluss", "lesen", "helpers", "goal", "languages"):
        assert name in after_choice, name
    assert f.index["wie_weiter"] > f.index["angebote"]


def test_no_question_about_criminal_records_passports_or_deportation():
    forbidden = ("straf", "vorstraf", "pass ", "reisepass", "passport", "abschieb", "ausreise")
    for item in flow().items:
        texts = [item.text, *(c.label for c in item.choices)]
        for text in texts:
            assert not any(word in text.lower() for word in forbidden), (item.id, text)


def test_every_shared_question_has_a_short_name_for_the_consent_screen():
    shared = [it for it in flow().items if it.kind in QUESTION_KINDS and it.share]
    assert shared
    for item in shared:
        assert item.field or item.role in ("contact", "contact_via"), item.id


BUTTONS = (  # every button the engine adds to the Erstberatung's questions and pages
    M.DONE, M.SKIP, M.BACK, M.CONTINUE, M.RESTART_YES, M.DELETE_YES, M.END_YES, M.CONFIRM_NO,
    M.NO_OTHER, M.NEXT_FLOW_YES, M.START_AGAIN, IM.NEXT_AREA, IM.PREVIOUS_AREA,
    IM.BACK_TO_LIST, IM.REPLY, IM.CONSENT_MORE, IM.WRITE_TO,
)  # fmt: skip


@pytest.mark.parametrize("locale", i18n.available_locales())
def test_buttons_fit_a_phone_in_every_language(locale):
    """At most 30 characters on a button; anything longer belongs in the question."""
    f = flow()
    labels = [Msg(c.label, f.context(item.id)) for item in f.items for c in item.choices] + list(
        BUTTONS
    )
    long = []
    for label in labels:
        shown = i18n.render(label, locale).replace(rtl.FSI, "").replace(rtl.PDI, "")
        if len(shown) > 30:
            long.append(shown)
    assert long == [], long
