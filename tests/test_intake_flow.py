"""The Erstberatung flow file: codes match the offers taxonomy, no forbidden questions.
(Danger detection in every language: tests/test_safety_corpus.py.)"""

from __future__ import annotations

from dialogs.loader import load_flow
from dialogs.model import QUESTION_KINDS
from offers.effects import AGE_SEARCH, STATUS_CODES, _status
from offers.taxonomy import AGE_BANDS, NEED_AREAS, STATUSES
from tests.helpers import FLOWS


def flow():
    return load_flow(FLOWS / "erstberatung.yaml")


def test_answer_codes_map_onto_the_offers_taxonomy():
    f = flow()
    assert f.kind == "intake"
    assert [c.code for c in f.item("needs").choices] == list(NEED_AREAS)
    ages = [c.code for c in f.item("age").choices]
    assert set(ages) - set(AGE_SEARCH) == set(AGE_BANDS)
    assert set(AGE_SEARCH.values()) <= set(AGE_BANDS)
    statuses = {_status(c.code) for c in f.item("status").choices} | {_status(None)}
    assert statuses == set(STATUSES)
    assert set(STATUS_CODES.values()) <= set(STATUSES)


def test_every_need_area_has_a_follow_up_and_every_free_text_is_optional():
    f = flow()
    for area in NEED_AREAS:
        assert any(it.when and f"{area} in needs" in it.when.source for it in f.items), area
    for item in f.items:
        if item.kind == "text" and item.format is None:  # contact details are asked for
            assert not item.required, item.id


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
