"""The pure engine: behaviour per input kind, and properties over arbitrary input sequences."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.buttons import Op, encode, parse
from dialogs.effects import Completed
from dialogs.engine import step
from dialogs.expr import evaluate
from dialogs.io import Command, Press, State, Text, Unsupported
from dialogs.lexicon import GERMAN_ONLY
from dialogs.messages import M
from tests.engine_driver import drive
from tests.helpers import demo_flow, last_ask, text_of

FLOW = demo_flow()


def started() -> State:
    r = step(FLOW, State(), Press(encode(Op.LANGUAGE, "", "", "de")), GERMAN_ONLY)
    assert r.state.item == "age"
    return r.state


def answer(state: State, *events):  # -> (state, replies, effects) of the last step
    result = None
    for e in events:
        result = step(FLOW, state, e, GERMAN_ONLY)
        state = result.state
    return result


def press(item: str, code: str, op: Op = Op.ANSWER) -> Press:
    return Press(encode(op, FLOW.version, item, code))


def test_start_without_language_shows_picker():
    r = step(FLOW, State(), Command("start"), GERMAN_ONLY)
    assert last_ask(r.replies).ask == "@language"
    assert r.state.item is None


def test_full_demo_by_buttons_records_every_answer_once():
    r = answer(
        started(),
        Text("19"),
        press("housing", "shared"),
        press("housing_help", "yes"),
        press("needs", "arbeit", Op.TOGGLE),
        press("needs", "sprache", Op.TOGGLE),
        press("needs", "", Op.DONE),
    )
    [done] = r.effects
    assert isinstance(done, Completed)
    assert done.values() == {
        "age": 19,
        "housing": "shared",
        "housing_help": "yes",
        "needs": ["sprache", "arbeit"],
    }
    assert r.state.finished and r.state.item is None
    assert r.state.answers == {}  # in-progress answers leave the state on completion
    assert "Deutsch lernen und Arbeit" in text_of(r.replies)  # a list as German writes one


def test_when_skips_item():
    r = answer(started(), Text("30"), press("housing", "flat"))
    assert r.state.item == "needs"
    assert "housing_help" not in r.state.answers


def test_typed_answers_and_did_you_mean():
    r = answer(started(), Text("٢٠"), Text("wohnung"))
    assert r.state.answers == {"age": 20, "housing": "flat"}
    r = answer(started(), Text("20"), Text("Unterkunfd"))
    assert r.state.answers["housing"] == "shared"  # close enough to be sure
    r = answer(started(), Text("20"), Text("Unterk"))
    assert r.state.suggestion == "shared" and "housing" not in r.state.answers
    assert "Meinst du" in text_of(r.replies)
    r2 = step(FLOW, r.state, Text("ja"), GERMAN_ONLY)
    assert r2.state.answers["housing"] == "shared"
    r3 = step(FLOW, r.state, Text("nein"), GERMAN_ONLY)
    assert "housing" not in r3.state.answers and r3.state.item == "housing"


def test_nonsense_is_not_guessed():
    r = answer(started(), Text("20"), Text("xqzv blorp"))
    assert "housing" not in r.state.answers
    assert text_of(r.replies).startswith(M.NOT_UNDERSTOOD.msgid)


def test_number_out_of_range_and_not_a_number():
    r = answer(started(), Text("7"))
    assert r.state.item == "age" and "14" in text_of(r.replies)
    r = answer(started(), Text("zwanzig"))
    assert r.state.item == "age" and "Zahl" in text_of(r.replies)


def test_stale_and_forged_buttons_never_answer():
    s = answer(started(), Text("20"), press("housing", "shared")).state
    for data in [
        encode(Op.ANSWER, FLOW.version, "housing", "flat"),  # already answered
        encode(Op.ANSWER, "00000000", "housing_help", "yes"),  # other flow version
        encode(Op.ANSWER, FLOW.version, "housing_help", "maybe"),  # code not offered
        "a:xx",
        "\x00\xff",
        "l:::klingon",
        "x" * 200,
    ]:
        r = step(FLOW, s, Press(data), GERMAN_ONLY)
        assert r.state.answers == s.answers
        assert last_ask(r.replies).ask == "housing_help"


def test_unsupported_and_unknown_command_reask():
    s = started()
    for event in (Unsupported("sticker"), Command("frobnicate"), Command("help")):
        r = step(FLOW, s, event, GERMAN_ONLY)
        assert r.state.item == "age" and last_ask(r.replies).ask == "age"


def test_language_change_keeps_place():
    s = answer(started(), Text("20")).state
    r = step(FLOW, s, Command("language"), GERMAN_ONLY)
    assert last_ask(r.replies).ask == "@language"
    r = step(FLOW, r.state, Press(encode(Op.LANGUAGE, "", "", "de")), GERMAN_ONLY)
    assert r.state.item == "housing" and r.state.answers == {"age": 20}


def test_changed_flow_version_keeps_valid_answers():
    s = answer(started(), Text("20")).state
    s.flow_version = "deadbeef0000"
    r = step(FLOW, s, Text("wohnung"), GERMAN_ONLY)
    assert M.FLOW_CHANGED.msgid in text_of(r.replies)
    assert r.state.flow_version == FLOW.version and r.state.answers["age"] == 20


def test_optional_multi_can_be_skipped():
    r = answer(started(), Text("20"), press("housing", "other"), press("needs", "", Op.SKIP))
    assert r.effects[0].values()["needs"] is None


def test_required_cannot_be_skipped():
    r = answer(started(), press("age", "", Op.SKIP))
    assert r.state.item == "age" and "age" not in r.state.answers


# ---------------------------------------------------------------- properties

ITEMS = [it.id for it in FLOW.items]
CODES = sorted({c.code for it in FLOW.items for c in it.choices} | {"", "zz"})

events = st.one_of(
    st.builds(Text, st.text(max_size=80)),
    st.builds(Text, st.sampled_from(["1", "2", "3", "20", "ja", "nein", "-", "wohnung", "٢٥"])),
    st.builds(Command, st.sampled_from(["start", "restart", "help", "language", "x", "resume"])),
    st.builds(Unsupported, st.sampled_from(["sticker", "photo"])),
    st.builds(Press, st.text(max_size=70)),
    st.builds(
        lambda op, item, code, v: Press(encode(op, v, item, code)),
        st.sampled_from(list(Op)),
        st.sampled_from(ITEMS),
        st.sampled_from(CODES),
        st.sampled_from([FLOW.version, "12345678", ""]),
    ),
    st.builds(lambda: Press(encode(Op.LANGUAGE, "", "", "de"))),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, max_size=25))
def test_any_input_sequence_is_safe(seq):
    state = State()
    for event in seq:
        before = state
        r = drive(FLOW, state, event, GERMAN_ONLY)
        assert r.replies, f"no reply to {event!r}"
        state = r.state
        if state.item is not None:
            assert FLOW.item(state.item) is not None
        for key, value in state.answers.items():  # never a code the question does not offer
            item = FLOW.item(key)
            assert item is not None
            if item.choices and value is not None:
                offered = {c.code for c in item.choices}
                assert set(value if isinstance(value, list) else [value]) <= offered
        for effect in r.effects:  # completion never skips a required, applicable item
            if not isinstance(effect, Completed):
                continue
            answers = effect.values()
            for item in FLOW.items:
                applicable = item.when is None or evaluate(item.when, answers)
                if item.kind != "info" and item.required and applicable:
                    assert answers.get(item.id) is not None, item.id
        assert before is not state  # the input state is never mutated in place


def test_button_data_roundtrip_and_limit():
    data = encode(Op.TOGGLE, FLOW.version, "needs", "sprache")
    assert len(data.encode()) <= 64
    p = parse(data)
    assert p is not None and (p.op, p.item, p.code) == (Op.TOGGLE, "needs", "sprache")
