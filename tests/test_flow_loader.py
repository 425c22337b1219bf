"""Flow YAML loading and validation."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.expr import evaluate
from dialogs.loader import CONSENT_CHOICES, YESNO_CHOICES, FlowError, Problem, load_flow, load_flows
from dialogs.model import NO, YES, Choice

HERE = Path(__file__).parent
BAD = HERE / "flows_bad"
SHIPPED = HERE.parent / "dialogs" / "flows"

GOOD = """\
id: demo
title: Kurze Probe
kind: survey
items:
  - id: intro
    kind: info
    text: Hallo!
  - id: housing
    kind: single
    text: "Wie wohnst du?"
    required: false
    next: "1.1"
    choices:
      - code: shared
        label: "In einer Unterkunft"
        synonyms: [heim, unterkunft]
      - code: no
        label: Keine Wohnung
  - id: "1.1"
    kind: number
    text: Wie alt bist du?
    min: 14
    max: 99
  - id: adult
    kind: yesno
    text: Bist du volljährig?
    when: "1.1 >= 18 and housing == no"
  - id: ok
    kind: consent
    text: Einverstanden?
  - id: topics
    kind: multi
    text: Welche Themen?
    when: ok
    choices:
      - code: work
        label: Arbeit
      - code: §7
        label: Paragraf sieben
  - id: goal
    kind: text
    text: Was ist dein Ziel?
    when: "work in topics or adult answered"
"""


def problems_of(path: Path | str) -> list[Problem]:
    with pytest.raises(FlowError) as info:
        load_flow(path)
    return info.value.problems


# --- good flows --------------------------------------------------------------------------


def test_good_flow(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(GOOD, encoding="utf-8")
    flow = load_flow(str(path))
    assert flow.id == "demo"
    assert flow.title == "Kurze Probe"
    assert flow.kind == "survey"
    assert flow.path == str(path)
    assert flow.version == hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    ids = ["intro", "housing", "1.1", "adult", "ok", "topics", "goal"]
    assert [it.id for it in flow.items] == ids
    housing = flow.item("housing")
    assert housing is not None
    assert housing.line == 8
    assert not housing.required
    assert housing.next == "1.1"
    # YAML would read `no` as false; codes keep their text
    assert housing.choices == (
        Choice("shared", "In einer Unterkunft", ("heim", "unterkunft")),
        Choice("no", "Keine Wohnung", ()),
    )
    age = flow.item("1.1")
    assert age is not None
    assert (age.min, age.max, age.integer, age.max_length) == (14, 99, True, None)
    topics = flow.item("topics")
    assert topics is not None
    assert topics.choice("§7") == Choice("§7", "Paragraf sieben", ())
    goal = flow.item("goal")
    assert goal is not None and goal.when is not None
    assert goal.max_length == 500
    assert evaluate(goal.when, {"topics": ["work"]})
    assert not evaluate(goal.when, {"topics": ["§7"]})


def test_yesno_and_consent_choices_are_synthesised(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(GOOD, encoding="utf-8")
    flow = load_flow(path)
    adult, ok = flow.item("adult"), flow.item("ok")
    assert adult is not None and ok is not None
    assert adult.choices == YESNO_CHOICES
    assert YESNO_CHOICES == (
        Choice(YES, "Ja", ("j", "jo", "jep")),
        Choice(NO, "Nein", ("n", "nö", "ne")),
    )
    assert ok.choices == CONSENT_CHOICES
    assert CONSENT_CHOICES == (Choice(YES, "Ja, ich bin einverstanden", ()), Choice(NO, "Nein", ()))


def test_version_follows_content(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(GOOD, encoding="utf-8")
    first = load_flow(path).version
    path.write_text(GOOD.replace("Kurze Probe", "Kurze Probe 2"), encoding="utf-8")
    assert load_flow(path).version != first
    assert len(first) == 12


def test_shipped_flows_load():
    flows = load_flows(SHIPPED)
    assert all(flow.id == key for key, flow in flows.items())


# --- one problem kind per file -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "line", "item", "fragment"),
    [
        ("syntax", 6, None, "YAML syntax error"),
        ("not_mapping", 1, None, "top level must be a mapping"),
        ("missing_keys", 2, None, "missing 'items'"),
        ("unknown_key", 10, "housing", "unknown key 'requird' (did you mean 'required'?)"),
        ("unknown_kind", 8, "b", "unknown item kind 'slider'"),
        ("duplicate_item", 10, "a", "duplicate item id (first at line 4)"),
        ("duplicate_code", 12, "housing", "duplicate choice code 'shared' (first at line 8)"),
        ("missing_choices", 7, "topics", "missing 'choices'"),
        ("forbidden_choices", 7, "ok", "'choices' is not allowed for yesno items"),
        ("min_max", 7, "age", "min 99 is greater than max 14"),
        ("not_a_number", 8, "age", "'max' must be a number"),
        ("max_length", 7, "goal", "'max_length' must be a whole number >= 1"),
        ("dangling_next", 7, "a", "next 'c' names no item"),
        ("cycle", 13, "c", "next 'b' makes a cycle (b -> c -> b)"),
        ("unreachable", 8, "b", "unreachable from the first item 'a'"),
        ("when_syntax", 10, "job", "cannot parse 'age >= ': expected a value"),
        ("when_unknown_item", 10, "job", "unknown item 'agee' (did you mean 'age'?)"),
        ("when_order", 7, "job", "item 'age' is not always asked before 'job'"),
        ("when_code", 15, "move", "unknown answer code 'tent' for item 'housing'"),
        ("when_number", 10, "job", "'age' is a number item but 'achtzehn' is not a number"),
    ],
)
def test_bad_flow(name, line, item, fragment):
    path = BAD / f"{name}.yaml"
    problems = problems_of(path)
    assert [(p.line, p.item) for p in problems] == [(line, item)], problems
    problem = problems[0]
    assert fragment in problem.message
    assert problem.path == str(path)
    assert str(problem) == f"{path}:{line}: {problem.message}"
    if item is not None:
        assert problem.message.startswith(f"item '{item}': ")


def test_problem_str_names_the_item_once():
    made_elsewhere = Problem("f.yaml", 3, "a", "too long")
    assert str(made_elsewhere) == "f.yaml:3: item 'a': too long"
    assert str(Problem("f.yaml", 3, "a", "item 'a': too long")) == "f.yaml:3: item 'a': too long"
    assert str(Problem("f.yaml", 1, None, "missing 'id'")) == "f.yaml:1: missing 'id'"


def test_when_syntax_reports_column():
    (problem,) = problems_of(BAD / "when_syntax.yaml")
    assert "(column 8)" in problem.message


def test_all_problems_of_a_file_are_reported():
    problems = problems_of(BAD / "many.yaml")
    assert [(p.line, p.item) for p in problems] == [(4, "a"), (10, "b"), (14, "c")]
    assert "missing 'choices'" in problems[0].message
    assert "'max_length' is not allowed for number items" in problems[1].message
    assert "unknown item 'zz'" in problems[2].message


def test_every_bad_fixture_fails():
    with pytest.raises(FlowError) as info:
        load_flows(BAD)
    failing = {Path(p.path).name for p in info.value.problems}
    assert failing == {p.name for p in BAD.glob("*.yaml")}
    assert str(info.value).count("\n") == len(info.value.problems) - 1


# --- further checks, written inline --------------------------------------------------------


def write(tmp_path: Path, body: str, name: str = "flow.yaml") -> Path:
    path = tmp_path / name
    path.write_text("id: t\ntitle: Test\nitems:\n" + body, encoding="utf-8")
    return path


CHOICE = """\
  - id: housing
    kind: single
    text: Wie?
    choices:
      - code: shared
        label: Heim
      - code: flat
        label: Wohnung
"""


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        (
            CHOICE + "  - id: m\n    kind: text\n    text: T\n    when: housing > 2\n",
            12,
            "'>' compares numbers but 'housing' is a single item",
        ),
        (
            "  - id: i\n    kind: info\n    text: I\n"
            "  - id: m\n    kind: text\n    text: T\n    when: i answered\n",
            7,
            "'i' is an info item and has no answer",
        ),
        (
            "  - id: m\n    kind: multi\n    text: M\n    choices:\n      - code: a\n"
            "        label: A\n  - id: n\n    kind: text\n    text: T\n    when: m == a\n",
            10,
            "use 'a in m' to test one answer",
        ),
        (
            "  - id: y\n    kind: yesno\n    text: J?\n"
            "  - id: n\n    kind: text\n    text: T\n    when: y == ja\n",
            7,
            "unknown answer code 'ja' for item 'y'",
        ),
        (
            "  - id: a\n    kind: info\n    text: A\n    next: a\n",
            4,
            "next 'a' makes a cycle (a -> a)",
        ),
        (
            "  - id: a\n    kind: info\n    text: A\n    text: B\n",
            4,
            "item 'a': duplicate key 'text' (first at line 6)",
        ),
        (
            "  - id: s\n    kind: single\n    text: S\n    choices:\n      - code: a\n"
            "        label: A\n        synonyms: [x]\n      - code: b\n        label: B\n"
            "        synonyms: [X]\n",
            10,
            "synonym 'X' is used by choices 'a' and 'b'",
        ),
        (
            "  - id: a b\n    kind: info\n    text: A\n",
            1,
            "invalid id 'a b'",
        ),
        (
            "  - id: n\n    kind: number\n    text: N\n    min: 1.5\n",
            4,
            "min 1.5 is not a whole number",
        ),
        (
            "  - id: a\n    kind: info\n    text: A\n    required: vielleicht\n",
            4,
            "'required' must be true or false",
        ),
    ],
)
def test_further_checks(tmp_path, body, line, fragment):
    problems = problems_of(write(tmp_path, body))
    assert [p.line - 3 for p in problems] == [line], problems
    assert fragment in problems[0].message


def test_unknown_top_level_key_and_flow_kind(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(
        "id: t\ntitle: T\nkind: quiz\ntitel: X\nitems:\n  - id: a\n    kind: info\n    text: A\n",
        encoding="utf-8",
    )
    problems = problems_of(path)
    assert [p.line for p in problems] == [3, 4]
    assert "unknown flow kind 'quiz'" in problems[0].message
    assert "unknown key 'titel'" in problems[1].message


def test_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert "file is empty" in problems_of(empty)[0].message
    assert "cannot read file" in problems_of(tmp_path / "missing.yaml")[0].message


def test_load_flows_duplicate_id(tmp_path):
    item = "  - id: a\n    kind: info\n    text: A\n"
    write(tmp_path, item, "a.yaml")
    write(tmp_path, item, "b.yaml")
    with pytest.raises(FlowError) as info:
        load_flows(tmp_path)
    (problem,) = info.value.problems
    assert problem.path == str(tmp_path / "b.yaml")
    assert problem.line == 1
    assert f"duplicate flow id 't' (also in {tmp_path / 'a.yaml'})" in problem.message


def test_load_flows_keyed_by_id(tmp_path):
    (tmp_path / "x.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a flow", encoding="utf-8")
    assert list(load_flows(tmp_path)) == ["demo"]


# --- robustness --------------------------------------------------------------------------

_LINES = GOOD.splitlines(keepends=True)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, len(_LINES) - 1), max_size=4),
    st.lists(
        st.tuples(st.integers(0, len(GOOD) - 1), st.sampled_from(list(":-[]{}'\"&*! \n#ab1"))),
        max_size=4,
    ),
)
def test_mangled_flows_fail_cleanly(dropped, edits):
    chars = list("".join(line for i, line in enumerate(_LINES) if i not in dropped))
    for pos, ch in edits:
        if pos < len(chars):
            chars[pos] = ch
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.yaml"
        path.write_text("".join(chars), encoding="utf-8")
        try:
            load_flow(path)
        except FlowError as e:
            assert e.problems
            assert all(p.line >= 1 for p in e.problems)


# ---------------------------------------------------------------- roles, actions, placeholders

ACTION = "  - id: stelle\n    kind: action\n    action: find_servicestelle\n"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("  - id: a\n    kind: text\n    text: A\n    role: wohnort\n", "unknown role 'wohnort'"),
        (
            "  - id: a\n    kind: text\n    text: A\n    role: needs\n"
            "  - id: b\n    kind: text\n    text: B\n    role: needs\n",
            "role 'needs' is also on item 'a'",
        ),
        ("  - id: a\n    kind: action\n    action: fly\n", "unknown action 'fly'"),
        ("  - id: a\n    kind: action\n", "missing 'action'"),
        ("  - id: a\n    kind: action\n    action: send_referral\n", "needs an earlier consent"),
        (
            "  - id: c\n    kind: consent\n    text: C\n    recipient: x\n",
            "recipient 'x' must be an earlier action item",
        ),
        ("  - id: a\n    kind: info\n    text: 'Hallo {name}'\n", "unknown placeholder '{name}'"),
        (
            ACTION + "  - id: b\n    kind: info\n    text: B\n    when: stelle == maybe\n",
            "'stelle' has no outcome 'maybe' (one of: none, found, open)",
        ),
        ("  - id: t\n    kind: text\n    text: T\n    format: fax\n", "unknown format 'fax'"),
        ("  - id: t\n    kind: single\n    text: T\n    source: cities\n", "unknown source"),
        ("  - id: t\n    kind: number\n    text: T\n    format: phone\n", "not allowed for number"),
        (ACTION.replace("    action:", "    text: Hi\n    action:"), "'text' is not allowed"),
    ],
)
def test_role_action_and_placeholder_checks(tmp_path, body, fragment):
    problems = problems_of(write(tmp_path, body))
    assert any(fragment in p.message for p in problems), problems


def test_a_flow_kind_needs_the_roles_code_reads(tmp_path):
    path = tmp_path / "intake.yaml"
    path.write_text(
        "id: t\ntitle: T\nkind: intake\nitems:\n"
        "  - id: wo\n    kind: text\n    text: Wo?\n    role: gemeinde\n",
        encoding="utf-8",
    )
    messages = [p.message for p in problems_of(path)]
    for role in ("age", "status", "languages", "needs"):
        assert f"a intake flow needs an item with role '{role}'" in messages


def test_placeholders_of_an_earlier_action_are_known(tmp_path):
    body = ACTION + "  - id: b\n    kind: info\n    text: 'Bei {servicestelle}'\n"
    flow = load_flow(write(tmp_path, body))
    assert flow.item("stelle").action == "find_servicestelle"
