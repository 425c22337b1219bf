"""Going back and confirming before deleting, on the pure engine and in every language.

Property: whatever a person presses, types or takes back, the stored answers are always a
state that answering forward only could have produced — skip logic stays consistent.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from base import i18n
from dialogs.buttons import Op, encode, parse
from dialogs.expr import evaluate
from dialogs.io import Command, Event, Press, State, Text
from dialogs.lexicon import Lexicon
from dialogs.loader import load_flow
from dialogs.messages import M
from dialogs.model import QUESTION_KINDS, Flow
from places.gemeinden import with_gemeinden
from tests.engine_driver import drive
from tests.helpers import FLOWS

LEXICON = Lexicon(i18n.translate, i18n.languages())
DEMO = load_flow(FLOWS / "demo.yaml")
SURVEY = load_flow(FLOWS / "befragung-lebenslage.yaml")
# as the runtime's preparer gives it: the Gemeinden of a Bündnis as choices
INTAKE = with_gemeinden(load_flow(FLOWS / "erstberatung.yaml"), ((1, "Moers"), (2, "Münster")))


def started(flow: Flow, locale: str = "de") -> tuple[State, list]:
    r = drive(flow, State(), Press(encode(Op.LANGUAGE, "", "", locale)), LEXICON)
    return r.state, r.replies


def forward_reachable(flow: Flow, state: State) -> None:
    """The answers are what a forward-only walk along the flow gives: the answered items are
    exactly the applicable ones before the current item, in order, each answer valid."""
    assert list(state.answers) == [i for i in state.history if i in state.answers]
    assert set(state.answers) == set(state.history)
    walked: list[str] = []
    item = flow.items[0]
    seen: set[str] = set()
    while item is not None and item.id not in seen:
        seen.add(item.id)
        applies = item.when is None or evaluate(item.when, state.answers)
        if applies and item.kind != "info":
            if item.id not in state.answers:
                break
            walked.append(item.id)
        item = flow.successor(item)
    assert walked == state.history
    if not state.finished:
        assert state.item == (item.id if item is not None else None)
    for item_id, value in state.answers.items():
        it = flow.item(item_id)
        assert it is not None
        if it.kind in QUESTION_KINDS and it.choices and value is not None:
            codes = value if isinstance(value, list) else [value]
            assert {str(c) for c in codes} <= {c.code for c in it.choices}, (item_id, value)


def _event(data: st.DataObject, replies: list) -> Event:
    buttons = [b for r in replies for b in r.buttons]
    kind = data.draw(st.sampled_from(["press", "press", "press", "back", "typed_back", "text"]))
    if kind == "press" and buttons:
        return Press(data.draw(st.sampled_from(buttons)).data)
    if kind == "back":
        return Command("back")
    if kind == "typed_back":
        return Text(data.draw(st.sampled_from(["zurück", "back", "Zurück!"])))
    return Text(data.draw(st.sampled_from(["19", "ja", "nein", "Münster", "xyz", "-"])))


@pytest.mark.parametrize("flow", [DEMO, SURVEY, INTAKE], ids=lambda f: f.id)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_walks_with_back_stay_forward_reachable(flow: Flow, data: st.DataObject):
    state, replies = started(flow)
    for _ in range(data.draw(st.integers(1, 40))):
        r = drive(flow, state, _event(data, replies), LEXICON)
        assert r.replies
        state, replies = r.state, r.replies or replies
        if state.confirm is None and not state.finished:
            forward_reachable(flow, state)


BACK_WORDS = {  # one typed form per locale (from the catalogs' @words:back)
    "de": "zurück",
    "en": "back",
    "ar": "رجوع",
    "fa": "برگشت",
    "fa_AF": "پس",
    "ps": "شاته",
    "ku": "paş ve",
    "ckb": "گەڕانەوە",
    "ti": "ተመለስ",
    "so": "dib u noqo",
    "uk": "назад",
    "ru": "назад",
    "tr": "geri",
    "fr": "retour",
    "ur": "واپس",
}


@pytest.mark.parametrize("locale", list(BACK_WORDS))
@pytest.mark.parametrize("how", ["button", "typed", "command"])
def test_back_after_any_question_shows_it_again_with_the_answer_marked(locale, how):
    """Demo and survey flows: every question, answered by its first button, then back."""
    for flow in (DEMO, SURVEY):
        state, replies = started(flow, locale)
        while state.item is not None:
            ask = [r for r in replies if r.ask == state.item][-1]
            item = flow.item(state.item)
            assert item is not None
            first = ask.buttons[0] if ask.buttons else None
            if item.kind == "multi":
                r = drive(flow, state, Press(first.data), LEXICON)  # toggle, then done
                done = next(b for b in r.replies[-1].buttons if parse(b.data).op is Op.DONE)
                answered = drive(flow, r.state, Press(done.data), LEXICON)
            elif item.kind in ("number", "text"):
                typed = str(int(item.min or 1)) if item.kind == "number" else "x"
                answered = drive(flow, state, Text(typed), LEXICON)
            else:
                answered = drive(flow, state, Press(first.data), LEXICON)
            if answered.state.item is None:
                break
            back = {
                "button": Press(encode(Op.BACK, flow.version, answered.state.item, "")),
                "typed": Text(BACK_WORDS[locale]),
                "command": Command("back"),
            }[how]
            again = drive(flow, answered.state, back, LEXICON)
            assert again.state.item == item.id, (flow.id, item.id)
            shown = again.replies[-1]
            assert shown.ask == item.id
            marked = [b for b in shown.buttons if b.selected]
            if item.kind in ("single", "yesno", "consent", "multi"):
                assert [b.data for b in marked] == [first.data], (flow.id, item.id)
            else:  # typed answers: shown, and a button keeps them
                assert any(parse(b.data).op is Op.KEEP for b in shown.buttons)
            state, replies = answered.state, answered.replies


def test_back_at_the_first_question_says_so():
    state, _ = started(DEMO)
    r = drive(DEMO, state, Command("back"), LEXICON)
    assert r.replies[0].parts[0].msgid == M.NO_BACK.msgid and r.state.item == state.item


def test_changing_an_answer_drops_the_earlier_answers_that_depended_on_it():
    state, _ = started(DEMO)
    for event in (Text("19"), Press(encode(Op.ANSWER, DEMO.version, "housing", "shared"))):
        state = drive(DEMO, state, event, LEXICON).state
    state = drive(
        DEMO, state, Press(encode(Op.ANSWER, DEMO.version, "housing_help", "yes")), LEXICON
    ).state
    state = drive(DEMO, state, Command("back"), LEXICON).state  # back to housing_help
    state = drive(DEMO, state, Command("back"), LEXICON).state  # back to housing
    assert state.item == "housing" and state.defaults["housing_help"] == "yes"
    r = drive(DEMO, state, Press(encode(Op.ANSWER, DEMO.version, "housing", "flat")), LEXICON)
    assert "housing_help" not in r.state.defaults  # it no longer applies
    assert r.state.item == "needs"


def _in_intake(locale: str = "de") -> State:
    state, _ = started(INTAKE, locale)
    moers = Press(encode(Op.ANSWER, INTAKE.version, "gemeinde", "g1"))
    return drive(INTAKE, state, moers, LEXICON).state


@pytest.mark.parametrize("command", ["restart", "start"])
def test_restart_mid_flow_asks_first_and_keeps_everything_on_no(command):
    state = _in_intake()
    assert state.answers
    r = drive(INTAKE, state, Command(command, "some-link"), LEXICON)
    assert r.state.confirm == "restart:some-link" and r.state.answers == state.answers
    assert not r.effects
    kept = drive(INTAKE, r.state, Text("nein"), LEXICON)
    assert kept.state.answers == state.answers and kept.state.confirm is None
    again = drive(INTAKE, r.state, Press(encode(Op.CONFIRM, "", "restart", "yes")), LEXICON)
    assert again.state.answers == {} and again.state.item == INTAKE.by_role("gemeinde").id


def test_something_else_than_yes_or_no_cancels_the_confirmation():
    state = _in_intake()
    r = drive(INTAKE, state, Command("delete"), LEXICON)
    assert r.state.confirm == "delete"
    other = drive(INTAKE, r.state, Text("18 bis 20"), LEXICON)  # an answer to the question
    assert other.state.confirm is None and "age" in other.state.answers
    assert not [e for e in other.effects if type(e).__name__ == "Forget"]


def test_a_stale_confirmation_button_deletes_nothing():
    state = _in_intake()
    r = drive(INTAKE, state, Press(encode(Op.CONFIRM, "", "delete", "yes")), LEXICON)
    assert not [e for e in r.effects if type(e).__name__ == "Forget"]
    assert r.state.answers == state.answers


def test_ending_choices_sit_alone_at_the_end_and_are_confirmed():
    """A choice that ends the flow is a control (own row, last) and asks once more."""
    item = next(it for it in INTAKE.items if any(c.confirm for c in it.choices))
    ending = next(c for c in item.choices if c.confirm)
    state = State(locale="de", flow_id=INTAKE.id, flow_version=INTAKE.version, item=item.id)
    state.answers = {"gemeinde": "other"}
    state.history = ["gemeinde"]
    r = drive(INTAKE, state, Command("resume"), LEXICON)
    ops = [parse(b.data).op for b in r.replies[-1].buttons]
    assert ops[-1] is Op.END and ops.count(Op.END) == 1
    asked = drive(INTAKE, state, Press(r.replies[-1].buttons[-1].data), LEXICON)
    assert asked.state.confirm == f"end:{item.id}:{ending.code}"
    assert not asked.state.finished
    typed = drive(INTAKE, state, Text(ending.label), LEXICON)  # typed: asked too
    assert typed.state.confirm == f"end:{item.id}:{ending.code}"


def test_no_command_is_printed_next_to_the_consent_buttons():
    consent = next(it for it in INTAKE.items if it.recipient)
    i18n_texts = [consent.text]
    assert not any("/" in t for t in i18n_texts)
