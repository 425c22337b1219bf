"""ODK expressions: parsed safely, refused with a column, evaluated as ODK Collect does.

Where JavaRosa (ODK Collect) and XPath 1.0 agree, every case is also evaluated by libxml2's
XPath (lxml) on the same answers as an XML instance; the cases where JavaRosa differs from
XPath 1.0 are listed on their own with JavaRosa's result.
"""

from __future__ import annotations

import math

import pytest
from lxml import etree

from dialogs.expr import conditions, evaluate, parse_odk
from dialogs.xpath import MAX_DEPTH, XPathError, parse
from dialogs.xpath_eval import to_string
from tests import xlsform_oracle  # noqa: F401 - registers ODK's functions for lxml

ANSWERS = {"yes_q": "yes", "no_q": "no", "n": 4, "d": 7.5, "m": ["a", "b"], "t": "Anna", "z": 0}
EMPTY = ("e", "e_num")  # asked items without an answer (the empty string in ODK)

# (expression, what ODK Collect says) — libxml2 agrees on every one of these
SHARED = [
    ("${yes_q} = 'yes'", True),
    ("${yes_q} != 'yes'", False),
    ("${e} != 'yes'", True),  # unanswered: not 'yes', so != holds (the old importer said false)
    ("${e} = ''", True),
    ("${e} != ''", False),
    ("${t} != ''", True),
    ("${e_num} > 0", False),
    ("${e_num} < 5", False),
    ("${e_num} != 5", True),
    ("${n} = 4", True),
    ("${n} = '4'", True),
    ("${n} >= 4 and ${n} < 5", True),
    ("${n} > 4 or ${d} > 7", True),
    ("${n} + ${d} = 11.5", True),
    ("${n} * 2 - 1 = 7", True),
    ("${n} div 8 = 0.5", True),
    ("${n} mod 3 = 1", True),
    ("-${n} < 0", True),
    ("${z} = 0", True),
    ("selected(${m}, 'a')", True),
    ("selected(${m}, 'c')", False),
    ("selected(${e}, 'a')", False),
    ("not(selected(${m}, 'a'))", False),
    ("count-selected(${m}) = 2", True),
    ("count-selected(${e}) = 0", True),
    ("count-selected(${m}) > 1 and not(selected(${m}, 'none'))", True),
    ("${m} = 'a b'", True),
    ("${m} = 'a'", False),
    ("string-length(${t}) = 4", True),
    ("string-length(${e}) = 0", True),
    ("contains(${t}, 'nn')", True),
    ("starts-with(${t}, 'A')", True),
    ("concat(${t}, '-', ${yes_q}) = 'Anna-yes'", True),
    ("regex(${t}, '^[A-Z][a-z]+$')", True),
    ("regex(${e}, '^[0-9]{10}$')", False),
    ("true() and not(false())", True),
    ("number(${t}) = number(${t})", False),  # NaN is never equal
    ("(${n} > 1 or ${e} = 'x') and ${no_q} = 'no'", True),
    ('${yes_q} = "yes"', True),
]


def _instance() -> etree._Element:
    root = etree.Element("data")
    for name, value in {**ANSWERS, **dict.fromkeys(EMPTY, None)}.items():
        node = etree.SubElement(root, name)
        if value is not None:
            node.text = " ".join(value) if isinstance(value, list) else to_string(float(value)) if (
                isinstance(value, int | float)) else value  # fmt: skip
    return etree.fromstring(etree.tostring(root))


@pytest.mark.parametrize(("source", "odk"), SHARED)
def test_odk_meaning_agrees_with_libxml2(source, odk):
    assert evaluate(parse_odk(source), ANSWERS) is odk
    xpath = source.replace("${", "/data/").replace("}", "")
    assert bool(_instance().xpath(f"boolean({xpath})")) is odk


# JavaRosa reads a node's value, not a node-set: these differ from XPath 1.0 on purpose.
@pytest.mark.parametrize(
    ("source", "columns", "odk"),
    [
        ("${e}", None, False),  # an empty answer is false; XPath: the node exists, true
        ("${t}", None, True),
        ("${z}", None, False),  # the number 0
        ("region = ${yes_q}", {"name": "x"}, False),  # a column the choice lacks is ''
        ("region = ''", {"name": "x"}, True),
        ("name = 'x'", {"name": "x"}, True),
        ("${d} = '7.50'", None, True),  # a number answer compares as a number
    ],
)
def test_javarosa_meaning_where_xpath_differs(source, columns, odk):
    expr = parse_odk(source, columns=columns is not None)
    assert evaluate(expr, ANSWERS, columns=columns) is odk


def test_constraint_sees_the_answer_being_checked():
    none_alone = parse_odk("not(selected(., 'none') and count-selected(.) > 1)", dot=True)
    assert evaluate(none_alone, {}, current=["a", "b"])
    assert not evaluate(none_alone, {}, current=["a", "none"])
    assert evaluate(none_alone, {}, current=["none"])
    bound = parse_odk(". >= 0 and . < ${n}", dot=True)
    assert [evaluate(bound, ANSWERS, current=v) for v in (-1, 0, 3, 4)] == [0, 1, 1, 0]
    assert not evaluate(bound, {}, current=1)  # n unanswered: `. < ''` is false, as in ODK


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        ("today() > ${d}", 1, "function 'today()' is not supported: it depends on the date"),
        ("${a} = /data/b", 8, "paths ('/') are not supported"),
        ("${a} = ../b", 8, "paths ('..') are not supported"),
        ("count(${r}) > 1", 1, "repeats are not supported"),
        ("pulldata('f', 'x', 'y', ${a})", 1, "reads data from outside the form"),
        ("x = 1", 1, "'x': refer to an answer as ${x}"),
        (". > 1", 1, "'.' (this answer) only works in a constraint"),
        ("${a} = ", 8, "expected a value but the expression ends"),
        ("selected(${a})", 1, "selected() takes 2 argument(s)"),
        ("${a} = 'x' )", 12, "expected an operator or the end, found ')'"),
        ("${} = 1", 1, "empty ${} reference"),
        ("regex(${a}, '[')", 1, "regex: invalid pattern '['"),
        ("regex(${a}, '^(a+)+$')", 1, "regex: '^(a+)+$' repeats a repetition"),
        ("regex(${a}, '^(\\d+-)*$')", 1, "repeats a repetition"),
        ("'unclosed", 1, "cannot read"),
    ],
)
def test_what_is_refused_names_the_column(source, column, message):
    with pytest.raises(XPathError) as e:
        parse(source)
    assert e.value.column == column and message in e.value.message, e.value


def test_nesting_and_length_are_bounded_never_recursing_without_end():
    deep = "(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(XPathError, match="nested deeper"):
        parse(deep)
    with pytest.raises(XPathError, match="longer than"):
        parse("1 = 1 and " * 2500 + "true()")
    long_or = " or ".join(f"selected(${{m}}, 'c{i}')" for i in range(200))
    assert not evaluate(parse_odk(long_or), ANSWERS)  # wide is fine


def test_references_are_the_items_read():
    expr = parse_odk("${a} = 'x' and (selected(${b}, 'y') or ${a} > ${c})")
    assert expr.names == {"a", "b", "c"}
    assert sorted(conditions(expr)) == [("odk", "a", ()), ("odk", "b", ()), ("odk", "c", ())]


def test_numbers_follow_javarosa():
    assert evaluate(parse_odk("${n} div 0 > 1000"), ANSWERS)  # infinity
    assert not evaluate(parse_odk("0 div 0 = 0 div 0"), ANSWERS)  # NaN
    assert evaluate(parse_odk("int(-7.9) = -7 and round(2.5) = 3 and abs(-2) = 2"), {})
    assert evaluate(parse_odk("substr('abcdef', 1, 3) = 'bc'"), {})
    assert evaluate(parse_odk("if(${n} > 3, 'big', 'small') = 'big'"), ANSWERS)
    assert evaluate(parse_odk("coalesce(${e}, ${t}) = 'Anna'"), ANSWERS)
    phone = parse_odk("regex(., '^([0-9]{3}-)*[0-9]{4}$')", dot=True)  # a fixed repetition
    assert evaluate(phone, {}, current="555-123-4567") and not evaluate(phone, {}, current="5")
    assert to_string(math.nan) == "NaN" and to_string(2.0) == "2" and to_string(0.5) == "0.5"
