"""The `when:` condition language: parsing, evaluation, round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dialogs.expr import (
    KEYWORDS,
    MAX_DEPTH,
    MAX_LENGTH,
    ExprError,
    comparisons,
    conditions,
    evaluate,
    parse,
    unparse,
)

# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "tree"),
    [
        ("age >= 18", ("cmp", ">=", "age", "18")),
        ("1.1 == ag", ("cmp", "==", "1.1", "ag")),
        ("ag in 1.4", ("has", "ag", "1.4")),
        ("'a b' in topics", ("has", "a b", "topics")),
        ("x in [a, 'b c', \"it's\", 3]", ("in", "x", ("a", "b c", "it's", "3"))),
        ("q answered", ("answered", "q")),
        ("q", ("true", "q")),
        ("status == §55", ("cmp", "==", "status", "§55")),
        ("city == Köln", ("cmp", "==", "city", "Köln")),
        ("a and b or c", ("or", ("and", ("true", "a"), ("true", "b")), ("true", "c"))),
        ("a or b and c", ("or", ("true", "a"), ("and", ("true", "b"), ("true", "c")))),
        ("a and (b or c)", ("and", ("true", "a"), ("or", ("true", "b"), ("true", "c")))),
        ("not a and b", ("and", ("not", ("true", "a")), ("true", "b"))),
        ("not not a", ("not", ("not", ("true", "a")))),
        ("a or b or c", ("or", ("true", "a"), ("true", "b"), ("true", "c"))),
        ("((a))", ("true", "a")),
        ("x!=-3", ("cmp", "!=", "x", "-3")),
    ],
)
def test_parse_trees(source, tree):
    assert parse(source).tree == tree


def test_names_and_comparisons():
    expr = parse("age >= 18 and (housing in [shared, flat] or 'x' in topics) and ok")
    assert expr.names == frozenset({"age", "housing", "topics", "ok"})
    assert comparisons(expr) == [
        ("age", "18"),
        ("housing", "shared"),
        ("housing", "flat"),
        ("topics", "x"),
    ]
    assert ("true", "ok", ()) in list(conditions(expr))


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("", 1, "empty"),
        ("   ", 1, "empty"),
        ("age >=", 7, "expected a value"),
        ("age = 18", 5, "use '=='"),
        ("(a or b", 8, "expected ')'"),
        ("a b", 3, "found 'b'"),
        ("a and", 6, "expected an item id"),
        ("x in [a,", 9, "expected a value"),
        ("x in [a b]", 9, "expected ',' or ']'"),
        ("'a' == x", 5, "expected 'in'"),
        ("x == 'open", 6, "unterminated string"),
        ("x == and", 6, "expected a value"),
        ("and", 1, "expected an item id"),
        ("§5 == a", 1, "not a valid item id"),
        ("x == a # b", 8, "unexpected character '#'"),
        ("a in in", 6, "expected an item id"),
    ],
)
def test_parse_errors_carry_the_column(source, column, fragment):
    with pytest.raises(ExprError) as info:
        parse(source)
    assert info.value.column == column
    assert fragment in info.value.message
    assert f"column {column}" in str(info.value)


def test_length_limit():
    source = "x == " + "a" * (MAX_LENGTH - 5)
    assert parse(source).tree == ("cmp", "==", "x", "a" * (MAX_LENGTH - 5))
    with pytest.raises(ExprError, match="longer than") as info:
        parse(source + "a")
    assert info.value.column == MAX_LENGTH + 1


def test_depth_limit():
    parse("not " * MAX_DEPTH + "x")
    parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)
    with pytest.raises(ExprError, match="nested deeper"):
        parse("not " * (MAX_DEPTH + 1) + "x")
    with pytest.raises(ExprError, match="nested deeper") as info:
        parse("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))
    assert info.value.column == MAX_DEPTH + 1


# --- evaluation --------------------------------------------------------------------------

ANSWERS = {
    "age": 17,
    "height": 1.5,
    "housing": "shared",
    "topics": ["work", "school"],
    "none_chosen": [],
    "ok": "yes",
    "refused": "no",
    "note": "",
    "zero": 0,
    "skipped": None,
    "1.1": "ag",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("age >= 17", True),
        ("age > 17", False),
        ("age < 18.5", True),
        ("age == 17", True),
        ("age == 17.0", True),
        ("age != 18", True),
        ("height <= 1.5", True),
        ("housing == shared", True),
        ("housing != shared", False),
        ("housing != flat", True),
        ("housing < 5", False),  # ordering needs numbers on both sides
        ("age < abc", False),
        ("housing in [flat, shared]", True),
        ("housing in [flat]", False),
        ("age in [16, 17]", True),
        ("topics in [work, sport]", True),  # multi: any overlap
        ("topics in [sport]", False),
        ("work in topics", True),
        ("sport in topics", False),
        ("shared in housing", True),
        ("topics == work", False),  # a multi answer equals a code only when it is the only one
        ("1.1 == ag", True),
        ("ag in 1.1", True),
        # missing answers: every comparison is false, `!=` too
        ("missing == x", False),
        ("missing != x", False),
        ("skipped != x", False),
        ("missing < 3", False),
        ("missing in [x]", False),
        ("x in missing", False),
        ("missing answered", False),
        ("skipped answered", False),
        ("note answered", True),
        ("none_chosen answered", True),
        # bare references: answered and not a "no"-like value
        ("ok", True),
        ("refused", False),
        ("note", False),
        ("zero", False),
        ("none_chosen", False),
        ("topics", True),
        ("missing", False),
        ("not missing", True),
        ("ok and not refused", True),
        ("refused or age >= 18", False),
    ],
)
def test_evaluate(source, expected):
    assert evaluate(parse(source), ANSWERS) is expected


def test_evaluate_odd_answer_types():
    weird = {"a": True, "b": False, "c": {"x": 1}, "d": [1, None, "work"], "e": math.nan}
    assert evaluate(parse("a == yes and not b"), weird)
    assert evaluate(parse("c answered and c"), weird)
    assert not evaluate(parse("c == x or c > 1 or c in [x]"), weird)
    assert evaluate(parse("work in d"), weird)
    assert not evaluate(parse("e > 1 or e < 1 or e == 1"), weird)


# --- properties --------------------------------------------------------------------------

_GRAMMAR_TOKENS = [
    "a", "b", "1.1", "x_2", "and", "or", "not", "in", "answered", "(", ")", "[", "]", ",",
    "==", "!=", "<", ">", "<=", ">=", "=", "'q'", '"r s"', "'", "§7", "-3", "2.5", "!", "#",
]  # fmt: skip


@given(st.text(max_size=600))
def test_parse_random_text_raises_only_expr_error(source):
    try:
        parse(source)
    except ExprError as e:
        assert 1 <= e.column <= len(source) + 1


@given(st.lists(st.sampled_from(_GRAMMAR_TOKENS), max_size=40).map(" ".join))
def test_parse_token_soup_raises_only_expr_error(source):
    try:
        expr = parse(source)
    except ExprError:
        return
    assert parse(unparse(expr.tree)).tree == expr.tree


_refs = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,6}", fullmatch=True).filter(
    lambda s: s not in KEYWORDS
)
_literals = st.one_of(
    st.from_regex(r"[\w§.+-]{1,8}", fullmatch=True),
    st.text(max_size=8).filter(lambda s: not ("'" in s and '"' in s)),
    st.integers(-1000, 1000).map(str),
)
_ops = st.sampled_from(["==", "!=", "<", ">", "<=", ">="])
_leaves = st.one_of(
    st.tuples(st.just("cmp"), _ops, _refs, _literals),
    st.tuples(st.just("in"), _refs, st.lists(_literals, min_size=1, max_size=3).map(tuple)),
    st.tuples(st.just("has"), _literals, _refs),
    st.tuples(st.just("answered"), _refs),
    st.tuples(st.just("true"), _refs),
)
_trees = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.tuples(st.just("not"), inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: ("and", *parts)),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: ("or", *parts)),
    ),
    max_leaves=8,
)


def _depth(tree: tuple) -> int:
    """Nesting as the parser counts it: one level per `not` and per parenthesis."""
    if tree[0] == "not":
        inner = tree[1]
        return 1 + (inner[0] in ("and", "or")) + _depth(inner)
    if tree[0] in ("and", "or"):
        return max(_depth(p) + (p[0] in ("and", "or")) for p in tree[1:])
    return 0


@given(_trees)
def test_round_trip(tree):
    source = unparse(tree)
    assume(len(source) <= MAX_LENGTH and _depth(tree) <= MAX_DEPTH)
    expr = parse(source)
    assert expr.tree == tree
    assert unparse(expr.tree) == source


_answer_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.sampled_from(["yes", "no", "", "0", "1.1", "a"]),
    st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.tuples(st.text(max_size=2)),
    st.binary(max_size=3),
)


@given(_trees, st.data())
def test_evaluate_never_raises(tree, data):
    source = unparse(tree)
    assume(len(source) <= MAX_LENGTH and _depth(tree) <= MAX_DEPTH)
    expr = parse(source)
    names = [*sorted(expr.names), "other"]
    answers = data.draw(st.dictionaries(st.sampled_from(names), _answer_values))
    assert evaluate(expr, answers) in (True, False)
