"""Flow items with ODK's meaning (the keys an XLSForm import writes): relevant, constraint and
its message, required_if and its message, hint, default, choice_filter with choice columns,
answers shown in later texts, answer codes too long for a button. Loader checks for each key."""

from __future__ import annotations

from pathlib import Path

import pytest

from base.i18n import render
from dialogs.buttons import MAX_BYTES, Op, encode, parse
from dialogs.effects import Completed
from dialogs.engine import step
from dialogs.io import Command, Press, Reply, State, Text
from dialogs.lexicon import GERMAN_ONLY
from dialogs.loader import FlowError, load_flow
from dialogs.registry import check_flow

LONG = "difficulty_seeing_even_if_wearing_glasses_or_contact_lenses"
FLOW = f"""\
id: odk
title: ODK
kind: survey
items:
  - id: consent
    kind: single
    text: Einverstanden?
    choices: [{{code: 'yes', label: Ja}}, {{code: 'no', label: Nein}}]
  - id: stop
    kind: info
    text: Dann hören wir auf.
    relevant: "${{consent}} = 'no'"
  - id: size
    kind: number
    text: Wie viele Personen?
    hint: Dich eingeschlossen.
    relevant: "${{consent}} = 'yes'"
    min: 1
    constraint: ". <= 30"
    constraint_message: Bitte 1 bis 30.
    default: 2
  - id: kids
    kind: number
    text: Wie viele der {{size}} Personen sind Kinder?
    relevant: "${{consent}} = 'yes' and ${{size}} > 1"
    constraint: ". < ${{size}}"
    constraint_message: Weniger als {{size}}, bitte.
    required_if: "${{size}} > 3"
    required_message: Das brauche ich bei großen Haushalten.
  - id: needs
    kind: multi
    text: Was brauchst du?
    relevant: "${{consent}} = 'yes'"
    required: false
    constraint: "not(selected(., 'none') and count-selected(.) > 1)"
    default: [food]
    choices:
      - {{code: food, label: Essen}}
      - {{code: Shelter, label: Wohnen}}
      - {{code: {LONG}, label: Sehen}}
      - {{code: none, label: Nichts}}
  - id: region
    kind: single
    text: Region?
    required: false
    choices: [{{code: north, label: Nord}}, {{code: south, label: Süd}}]
  - id: town
    kind: single
    text: Ort?
    choice_filter: "region = ${{region}}"
    required: false
    choices:
      - {{code: a, label: Aachen, data: {{region: north}}}}
      - {{code: b, label: Bonn, data: {{region: south}}}}
      - {{code: c, label: Celle, data: {{region: north}}}}
  - id: elsewhere
    kind: text
    text: Wo sonst?
    relevant: "${{region}} != 'north'"
    required: false
"""


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    path = tmp_path_factory.mktemp("flows") / "odk.yaml"
    path.write_text(FLOW, encoding="utf-8")
    return load_flow(path)


class Chat:
    def __init__(self, flow) -> None:
        self.flow, self.state = flow, State(locale="de")
        self.replies: list[Reply] = []
        self.done: Completed | None = None
        self.send(Command("start"))

    def send(self, event) -> list[str]:
        out = step(self.flow, self.state, event, GERMAN_ONLY)
        self.state, self.replies = out.state, out.replies
        self.done = next((e for e in out.effects if isinstance(e, Completed)), self.done)
        return [render(p, "de") for r in out.replies for p in r.parts]

    def press(self, op: Op, code: str = "") -> list[str]:
        return self.send(Press(encode(op, self.flow.version, self.state.item or "", code)))

    @property
    def asked(self) -> str | None:
        return next((r.ask for r in reversed(self.replies) if r.ask), None)

    def buttons(self) -> list[tuple[str, str, bool]]:
        """(label, code, marked) of the answer buttons on screen."""
        item = self.flow.item(self.asked)
        out = []
        for b in self.replies[-1].buttons:
            p = parse(b.data)
            if p and p.op in (Op.ANSWER, Op.TOGGLE):
                out.append((render(b.label, "de"), item.choice(p.code).code, b.selected))
        return out


def test_no_consent_shows_the_note_and_skips_the_group(flow):
    chat = Chat(flow)
    texts = chat.press(Op.ANSWER, "no")
    assert "Dann hören wir auf." in texts and chat.asked == "region"


def test_constraint_hint_default_and_the_answer_in_a_later_text(flow):
    chat = Chat(flow)
    chat.press(Op.ANSWER, "yes")
    [ask] = [r for r in chat.replies if r.ask == "size"]
    shown = [render(p, "de") for p in ask.parts]
    assert shown[:2] == ["Wie viele Personen?", "Dich eingeschlossen."]
    assert "Bitte schreib eine Zahl ab 1." in shown
    assert not any("vorher" in s for s in shown)  # a default is not an earlier answer
    keep = [b for b in ask.buttons if parse(b.data).op is Op.KEEP]
    assert [render(b.label, "de") for b in keep] == ["✓ 2"]
    assert "Die Zahl muss mindestens 1 sein." in chat.send(Text("0"))
    assert "Bitte 1 bis 30." in chat.send(Text("40"))
    texts = chat.press(Op.KEEP)  # the default
    assert "Wie viele der 2 Personen sind Kinder?" in texts
    assert "Weniger als 2, bitte." in chat.send(Text("2"))
    chat.press(Op.SKIP)  # two people: optional
    assert chat.asked == "needs"


def test_required_if_and_its_message(flow):
    chat = Chat(flow)
    chat.press(Op.ANSWER, "yes")
    chat.send(Text("5"))
    assert chat.asked == "kids"
    assert not any(parse(b.data).op is Op.SKIP for b in chat.replies[-1].buttons)
    assert "Das brauche ich bei großen Haushalten." in chat.press(Op.SKIP)
    assert chat.asked == "kids"
    chat.send(Text("3"))
    assert chat.asked == "needs"


def test_multi_default_constraint_keeps_the_ticks_and_long_codes_press(flow):
    chat = Chat(flow)
    chat.press(Op.ANSWER, "yes")
    chat.send(Text("1"))  # one person: no question about children
    assert chat.asked == "needs"
    assert ("Essen", "food", True) in chat.buttons()  # the default is ticked
    datas = [b.data for b in chat.replies[-1].buttons]
    assert all(len(d.encode()) <= MAX_BYTES for d in datas)
    assert not any(LONG in d for d in datas)  # a long code's button carries a short stand-in
    chat.press(Op.TOGGLE, "none")
    texts = chat.press(Op.DONE)
    assert "Diese Antwort passt hier nicht. Bitte versuch es noch einmal." in texts
    assert {c for _, c, marked in chat.buttons() if marked} == {"food", "none"}
    chat.press(Op.TOGGLE, "none")
    seeing = next(b.data for b in chat.replies[-1].buttons if "Sehen" in render(b.label, "de"))
    chat.send(Press(seeing))
    chat.press(Op.DONE)
    assert chat.state.answers["needs"] == ["food", LONG]


def test_choice_filter_shows_the_region_s_towns_and_nothing_else(flow):
    chat = Chat(flow)
    chat.press(Op.ANSWER, "no")
    chat.press(Op.ANSWER, "north")
    assert chat.asked == "town"
    assert [(label, code) for label, code, _ in chat.buttons()] == [("Aachen", "a"), ("Celle", "c")]
    texts = chat.press(Op.ANSWER, "b")  # Bonn is in the south
    assert "Dieser Knopf gilt nicht mehr. Hier ist die aktuelle Frage." in texts
    chat.send(Text("Bonn"))
    assert chat.asked == "town" and "town" not in chat.state.answers
    chat.send(Text("2"))  # the second button on screen
    assert chat.done is not None and chat.done.values()["town"] == "c"
    assert "elsewhere" not in chat.done.values()  # region 'north'


def test_unanswered_is_the_empty_string_and_an_empty_filter_asks_nothing(flow):
    chat = Chat(flow)
    chat.press(Op.ANSWER, "no")
    chat.press(Op.SKIP)  # no region: no town fits ''
    assert chat.asked == "elsewhere"  # ODK: '' != 'north' is true
    chat.send(Text("Köln"))
    assert chat.done is not None and "town" not in chat.done.values()


def test_going_back_over_the_filtered_question_offers_the_new_region_s_towns(flow):
    chat = Chat(flow)
    chat.press(Op.ANSWER, "no")
    chat.press(Op.ANSWER, "south")
    assert [code for _, code, _ in chat.buttons()] == ["b"]
    chat.press(Op.BACK)
    chat.press(Op.ANSWER, "north")
    assert [code for _, code, _ in chat.buttons()] == ["a", "c"]


# --- loader checks of the new keys -------------------------------------------------------------


def problems(tmp_path: Path, items: str) -> list[str]:
    path = tmp_path / "f.yaml"
    path.write_text("id: f\ntitle: F\nitems:\n" + items, encoding="utf-8")
    with pytest.raises(FlowError) as e:
        load_flow(path)
    return [str(p).split(": ", 1)[1] for p in e.value.problems]


A = (
    "  - id: a\n    kind: single\n    text: A?\n"
    "    choices: [{code: x, label: X}, {code: y, label: Y}]\n"
)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("relevant: \"${a} = 'x'\"\n    when: a == x", "use either 'when' or 'relevant'"),
        (
            "required: false\n    required_if: \"${a} = 'x'\"",
            "use either 'required' or 'required_if'",
        ),
        ("relevant: today() > 1", "relevant: cannot use 'today() > 1'"),
        ('relevant: "${zz} = 1"', "relevant: unknown item 'zz'"),
        ('relevant: "${b} = 1"', "relevant: item 'b' is not always asked before 'b'"),
        ('constraint: ". > ${c}"', "constraint: item 'c' is not always asked before 'b'"),
        ('choice_filter: "x = 1"', "'choice_filter' is not allowed for number items"),
        ("default: many", "'default' must be a number"),
        ("default: 5\n    max: 3", "default 5 is outside min/max"),
        ("hint: ''", "'hint' must not be empty"),
    ],
)
def test_each_new_key_is_checked(tmp_path, item, message):
    body = A + f"  - id: b\n    kind: number\n    text: B?\n    {item}\n"
    body += "  - id: c\n    kind: number\n    text: C?\n"
    found = problems(tmp_path, body)
    assert any(message in p for p in found), found


def test_choice_keys_are_checked(tmp_path):
    bad_default = A.replace("text: A?", "text: A?\n    default: z")
    assert any("default: unknown answer code 'z'" in p for p in problems(tmp_path, bad_default))
    bad_data = A.replace("{code: x, label: X}", "{code: x, label: X, data: [1]}")
    assert any("'data' must map column names" in p for p in problems(tmp_path, bad_data))
    twice = A.replace("code: y", "code: x")
    assert any("duplicate choice code 'x'" in p for p in problems(tmp_path, twice))
    path = tmp_path / "ok.yaml"  # the same code twice is fine behind a filter (ODK's lists)
    filtered = twice.replace("text: A?", "text: A?\n    choice_filter: \"name = 'x'\"")
    path.write_text("id: f\ntitle: F\nitems:\n" + filtered, encoding="utf-8")
    assert [c.code for c in load_flow(path).items[0].choices] == ["x", "x"]


def test_self_reference_in_a_constraint_is_the_answer_itself(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(
        "id: f\ntitle: F\nitems:\n  - id: n\n    kind: number\n    text: N?\n"
        '    constraint: "${n} mod 2 = 0"\n',
        encoding="utf-8",
    )
    flow = load_flow(path)
    chat = Chat(flow)
    assert "Diese Antwort passt hier nicht. Bitte versuch es noch einmal." in chat.send(Text("3"))
    chat.send(Text("4"))
    assert chat.done is not None and chat.done.values() == {"n": 4}


def test_the_registry_refuses_what_the_running_bot_could_not_store_or_show(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(
        f"id: f\ntitle: F\nitems:\n  - id: {'q' * 52}\n    kind: single\n    text: Q?\n"
        "    choices: [{code: c, label: C}]\n"
        f"  - id: {'t' * 52}\n    kind: text\n    text: T?\n"
        f"  - id: {'u' * 53}\n    kind: text\n    text: U?\n"
        f"  - id: v\n    kind: single\n    text: V?\n"
        f"    choices: [{{code: {'c' * 65}, label: C}}]\n",
        encoding="utf-8",
    )
    found = [(p.item, p.message) for p in check_flow(load_flow(path))]
    assert found == [
        ("q" * 52, "item id longer than 51 bytes: its buttons do not fit Telegram's 64"),
        ("u" * 53, "item id longer than 52 bytes: its buttons do not fit Telegram's 64"),
        ("v", f"answer code longer than 64 characters: '{'c' * 65}'"),
    ]


def test_unticking_the_default_leaves_nothing_ticked(flow):
    """The default is ticked when the question comes, not again whenever nothing is ticked:
    otherwise the order of taps would decide the answer."""
    chat = Chat(flow)
    chat.press(Op.ANSWER, "yes")
    chat.send(Text("1"))
    assert {c for _, c, marked in chat.buttons() if marked} == {"food"}
    chat.press(Op.TOGGLE, "food")
    assert {c for _, c, marked in chat.buttons() if marked} == set()
