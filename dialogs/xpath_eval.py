"""Evaluating ODK expressions (parsed by dialogs/xpath.py) with JavaRosa's meaning: ODK
Collect's engine, so an imported form behaves in the chat as it does on a phone.

An answer is a number (number items) or a string (codes, text, the codes of a multiple choice
separated by spaces); an unanswered or skipped item is the empty string, so `${x} != 'yes'` is
true while x is unanswered. Equality compares as booleans if either side is one, else as
numbers if either side is one (the empty string is NaN, never equal), else as strings; `<` `>`
compare numbers. A column a choice lacks is the empty string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dialogs.xpath import Tree, pattern

Value = str | float | bool
_NUMBER = re.compile(r"\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*")


def answer_value(value: object) -> Value:
    """An answer as ODK sees it: numbers stay numbers, a multiple choice is its codes separated
    by spaces, everything unanswered is the empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def to_number(v: Value) -> float:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    return float(v) if _NUMBER.fullmatch(v) else math.nan


def to_string(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return str(int(v)) if v.is_integer() else repr(v)
    return v


def to_bool(v: Value) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return not (v == 0 or math.isnan(v))
    return v != ""


def _equal(a: Value, b: Value) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return to_bool(a) == to_bool(b)
    if isinstance(a, float) or isinstance(b, float):
        return abs(to_number(a) - to_number(b)) < 1e-12  # NaN: never equal
    return a == b


_ORDER: dict[str, Callable[[float, float], bool]] = {
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


def _math(op: str, x: float, y: float) -> float:
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "div":
        return x / y if y else (math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x))
    return math.fmod(x, y) if y and not math.isinf(x) else math.nan  # mod


@dataclass(frozen=True)
class Scope:
    """What names mean while evaluating: answers by item id, the answer being checked (`.`),
    the choice being filtered (its columns, `name` = its code)."""

    answers: Mapping[str, object]
    current: Value = ""
    columns: Mapping[str, str] | None = None


def evaluate(tree: Tree, scope: Scope) -> Value:
    match tree:
        case ("num", n):
            return n
        case ("str", s):
            return s
        case ("ref", name):
            return answer_value(scope.answers.get(name))
        case ("dot",):
            return scope.current
        case ("col", name):
            return (scope.columns or {}).get(name, "")
        case ("or", a, b):
            return to_bool(evaluate(a, scope)) or to_bool(evaluate(b, scope))
        case ("and", a, b):
            return to_bool(evaluate(a, scope)) and to_bool(evaluate(b, scope))
        case ("cmp", op, a, b):
            x, y = evaluate(a, scope), evaluate(b, scope)
            if op in ("=", "!="):
                return _equal(x, y) == (op == "=")
            return _ORDER[op](to_number(x), to_number(y))
        case ("math", op, a, b):
            return _math(op, to_number(evaluate(a, scope)), to_number(evaluate(b, scope)))
        case ("neg", a):
            return -to_number(evaluate(a, scope))
        case ("fn", name, args):
            return _call(name, args, scope)
    raise ValueError(f"not an expression tree: {tree!r}")


def holds(tree: Tree, scope: Scope) -> bool:
    return to_bool(evaluate(tree, scope))


def _codes(v: Value) -> list[str]:
    return to_string(v).split()


def _round(x: float, digits: float = 0.0) -> float:
    if math.isnan(x) or math.isinf(x) or math.isnan(digits):
        return x
    factor = 10.0 ** int(digits)
    return math.floor(x * factor + 0.5) / factor  # half up, as JavaRosa


def _substr(s: str, start: float, end: float | None = None) -> str:
    n = len(s)
    a = 0 if math.isnan(start) else int(start)
    b = n if end is None or math.isnan(end) else int(end)
    a, b = (n + a if a < 0 else a), (n + b if b < 0 else b)
    return s[max(a, 0) : min(b, n)]


def _call(name: str, args: Sequence[Tree], scope: Scope) -> Value:
    if name == "if":
        branch = args[1] if holds(args[0], scope) else args[2]
        return evaluate(branch, scope)
    v = [evaluate(a, scope) for a in args]
    num = [to_number(x) for x in v] if name in _NUMERIC else []
    text = [to_string(x) for x in v] if name in _TEXTUAL else []
    match name:
        case "true" | "false":
            return name == "true"
        case "not":
            return not to_bool(v[0])
        case "boolean":
            return to_bool(v[0])
        case "string":
            return text[0]
        case "number":
            return num[0]
        case "int":
            return float(math.trunc(num[0])) if math.isfinite(num[0]) else num[0]
        case "round":
            return _round(*num)
        case "floor":
            return float(math.floor(num[0])) if math.isfinite(num[0]) else num[0]
        case "ceiling":
            return float(math.ceil(num[0])) if math.isfinite(num[0]) else num[0]
        case "abs":
            return abs(num[0])
        case "selected":
            return text[1].strip() in _codes(v[0])
        case "count-selected":
            return float(len(_codes(v[0])))
        case "selected-at":
            codes, n = _codes(v[0]), to_number(v[1])
            return codes[int(n)] if math.isfinite(n) and 0 <= int(n) < len(codes) else ""
        case "string-length":
            return float(len(text[0]))
        case "concat":
            return "".join(text)
        case "contains":
            return text[1] in text[0]
        case "starts-with":
            return text[0].startswith(text[1])
        case "ends-with":
            return text[0].endswith(text[1])
        case "substr":
            return _substr(text[0], *(to_number(x) for x in v[1:]))
        case "normalize-space":
            return " ".join(text[0].split())
        case "regex":
            try:
                return pattern(text[1]).search(text[0]) is not None
            except re.error:
                return False
        case "coalesce":
            return v[0] if to_string(v[0]) != "" else v[1]
    raise ValueError(f"unknown function {name}")


_NUMERIC = frozenset({"number", "int", "round", "floor", "ceiling", "abs"})
_TEXTUAL = frozenset(
    {"string", "selected", "concat", "contains", "starts-with", "ends-with", "substr"}
    | {"normalize-space", "regex", "string-length"}
)
