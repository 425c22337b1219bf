"""ODK expressions (the XPath that XLSForm writes in relevant, constraint, required and
choice_filter): a small parser, never eval(); dialogs/xpath_eval.py evaluates with ODK Collect's
meaning.

Flows keep these expressions as the form's authors wrote them, with `${item}` references, under
the keys `relevant`, `constraint`, `required_if` and `choice_filter` (see dialogs/odk_keys.py).

Grammar (XPath 1.0 precedence; paths, unions and predicates are refused)::

    or := and ("or" and)* ;  and := eq ("and" eq)* ;  eq := rel (("=" | "!=") rel)*
    rel := add (("<" | "<=" | ">" | ">=") add)* ;  add := mul (("+" | "-") mul)*
    mul := unary (("*" | "div" | "mod") unary)* ;  unary := "-" unary | primary
    primary := "(" or ")" | NUMBER | STRING | "${" item "}" | "." | NAME "(" args ")" | NAME

`.` is the answer being checked (constraint); a bare NAME is a column of the choice being
filtered (choice_filter: `name` is its code). Trees are nested tuples::

    ("num", float)  ("str", s)  ("ref", item)  ("dot",)  ("col", name)
    ("or", a, b)  ("and", a, b)  ("cmp", op, a, b)  ("math", op, a, b)  ("neg", a)
    ("fn", name, (arg, ...))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_LENGTH = 20_000
MAX_DEPTH = 60
Tree = tuple

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{\s*(?P<refname>[^}\s]*)\s*\})
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<num>\d+(?:\.\d*)?|\.\d+)
    | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
    | (?P<path>\.\.|/|\[|\]|\||@)
    | (?P<dot>\.)
    | (?P<name>[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)
    )""",
    re.VERBOSE,
)
_OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})


class XPathError(ValueError):
    """An expression that cannot be read or uses what a chat cannot do; `column` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


@dataclass(frozen=True)
class _Tok:
    kind: str  # ref, str, num, op, dot, name, end
    text: str
    column: int


def _tokens(source: str) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    while i < len(source):
        if source[i:].strip() == "":
            break
        m = _TOKEN.match(source, i)
        if m is None:
            col = i + 1 + (len(source[i:]) - len(source[i:].lstrip()))
            raise XPathError(f"cannot read '{source[col - 1 : col + 11]}'", col)
        kind = m.lastgroup or ""
        start = m.start(kind) + 1
        if kind == "refname":
            kind = "ref"
        if kind == "path":
            raise XPathError(
                f"paths ('{m.group(kind)}') are not supported; refer to answers as ${{name}}", start
            )
        text = m.group("refname") if kind == "ref" else m.group(kind)
        if kind == "str":
            text = text[1:-1]
        out.append(_Tok(kind, text, start))
        i = m.end()
    out.append(_Tok("end", "", len(source) + 1))
    return out


# Functions: name -> (fewest, most arguments; None = any number).
_ARITY: dict[str, tuple[int, int | None]] = {
    "true": (0, 0),
    "false": (0, 0),
    "not": (1, 1),
    "boolean": (1, 1),
    "string": (1, 1),
    "number": (1, 1),
    "int": (1, 1),
    "round": (1, 2),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "selected": (2, 2),
    "count-selected": (1, 1),
    "selected-at": (2, 2),
    "string-length": (1, 1),
    "concat": (0, None),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "ends-with": (2, 2),
    "substr": (2, 3),
    "normalize-space": (1, 1),
    "regex": (2, 2),
    "if": (3, 3),
    "coalesce": (2, 2),
}
_WHY_NOT = {
    "today": "it depends on the date",
    "now": "it depends on the time",
    "date": "dates are not asked in a chat",
    "decimal-date-time": "it depends on the date",
    "format-date": "dates are not asked in a chat",
    "random": "a chat answer must not depend on chance",
    "uuid": "a chat answer must not depend on chance",
    "once": "calculations are not supported",
    "pulldata": "it reads data from outside the form",
    "instance": "it reads data from outside the form",
    "indexed-repeat": "repeats are not supported",
    "position": "repeats are not supported",
    "count": "repeats are not supported",
    "sum": "repeats are not supported",
    "jr:choice-name": "calculations with choice labels are not supported",
}


class _Parser:
    def __init__(self, source: str, dot: bool, columns: bool) -> None:
        self.toks = _tokens(source)
        self.pos = 0
        self.dot, self.columns = dot, columns
        self.refs: set[str] = set()
        self.cols: set[str] = set()

    @property
    def tok(self) -> _Tok:
        return self.toks[self.pos]

    def is_op(self, *texts: str) -> bool:
        t = self.tok
        return (t.kind == "op" and t.text in texts) or (
            t.kind == "name" and t.text in texts and t.text in _OPERATOR_NAMES
        )

    def take(self, text: str) -> None:
        if not (self.tok.kind == "op" and self.tok.text == text):
            raise self.fail(f"'{text}'")
        self.pos += 1

    def fail(self, expected: str) -> XPathError:
        t = self.tok
        if t.kind == "end":
            return XPathError(f"expected {expected} but the expression ends", t.column)
        return XPathError(f"expected {expected}, found '{t.text}'", t.column)

    def parse(self) -> Tree:
        if self.tok.kind == "end":
            raise XPathError("empty expression", 1)
        tree = self.binary(0, 0)
        if self.tok.kind != "end":
            raise self.fail("an operator or the end")
        return tree

    _LEVELS: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("or", ("or",)),
        ("and", ("and",)),
        ("cmp", ("=", "!=")),
        ("cmp", ("<", "<=", ">", ">=")),
        ("math", ("+", "-")),
        ("math", ("*", "div", "mod")),
    )

    def binary(self, level: int, depth: int) -> Tree:
        if level == len(self._LEVELS):
            return self.unary(depth)
        kind, ops = self._LEVELS[level]
        left = self.binary(level + 1, depth)
        while self.is_op(*ops):
            op = self.tok.text
            self.pos += 1
            right = self.binary(level + 1, depth)
            left = (kind, left, right) if kind in ("or", "and") else (kind, op, left, right)
        return left

    def unary(self, depth: int) -> Tree:
        if depth > MAX_DEPTH:
            raise XPathError(f"nested deeper than {MAX_DEPTH} levels", self.tok.column)
        if self.is_op("-"):
            self.pos += 1
            return ("neg", self.unary(depth + 1))
        return self.primary(depth)

    def primary(self, depth: int) -> Tree:
        t = self.tok
        self.pos += 1
        if t.kind == "op" and t.text == "(":
            tree = self.binary(0, depth + 1)
            self.take(")")
            return tree
        if t.kind == "num":
            return ("num", float(t.text))
        if t.kind == "str":
            return ("str", t.text)
        if t.kind == "ref":
            if not t.text:
                raise XPathError("empty ${} reference", t.column)
            self.refs.add(t.text)
            return ("ref", t.text)
        if t.kind == "dot":
            if not self.dot:
                raise XPathError("'.' (this answer) only works in a constraint", t.column)
            return ("dot",)
        if t.kind == "name" and self.tok.kind == "op" and self.tok.text == "(":
            return self.call(t, depth)
        if t.kind == "name" and t.text not in _OPERATOR_NAMES:
            if not self.columns:
                raise XPathError(f"'{t.text}': refer to an answer as ${{{t.text}}}", t.column)
            self.cols.add(t.text)
            return ("col", t.text)
        self.pos -= 1
        raise self.fail("a value")

    def call(self, name: _Tok, depth: int) -> Tree:
        if name.text not in _ARITY:
            why = _WHY_NOT.get(name.text, "it is not supported in a chat")
            raise XPathError(f"function '{name.text}()' is not supported: {why}", name.column)
        self.take("(")
        args: list[Tree] = []
        if not (self.tok.kind == "op" and self.tok.text == ")"):
            args.append(self.binary(0, depth + 1))
            while self.tok.kind == "op" and self.tok.text == ",":
                self.pos += 1
                args.append(self.binary(0, depth + 1))
        self.take(")")
        low, high = _ARITY[name.text]
        if len(args) < low or (high is not None and len(args) > high):
            wanted = str(low) if low == high else f"{low} to {high}" if high else f"{low} or more"
            raise XPathError(f"{name.text}() takes {wanted} argument(s)", name.column)
        if name.text == "regex" and args[1][0] == "str":
            _compiled(args[1][1], name.column)
        return ("fn", name.text, tuple(args))


@dataclass(frozen=True)
class Parsed:
    tree: Tree
    refs: frozenset[str]  # ${item} references
    columns: frozenset[str]  # bare names: choice columns (choice_filter only)


def parse(source: str, *, dot: bool = False, columns: bool = False) -> Parsed:
    """Parse an ODK expression; `dot`: `.` is allowed (constraint), `columns`: bare names are
    choice columns (choice_filter). Raises XPathError naming the column."""
    if len(source) > MAX_LENGTH:
        raise XPathError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    p = _Parser(source, dot, columns)
    tree = p.parse()
    return Parsed(tree, frozenset(p.refs), frozenset(p.cols))


@lru_cache(maxsize=256)
def pattern(source: str) -> re.Pattern[str]:
    """A regex() pattern, compiled once."""
    return re.compile(source)


# A repeated group that repeats inside, like (a+)+: a typed answer could make it run for ages.
_NESTED_REPEAT = re.compile(
    r"\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})"
)


def _compiled(source: str, column: int) -> re.Pattern[str]:
    if _NESTED_REPEAT.search(source):
        raise XPathError(f"regex: '{source}' repeats a repetition (too slow to check)", column)
    try:
        return pattern(source)
    except re.error as e:
        raise XPathError(f"regex: invalid pattern '{source}': {e.msg}", column) from None
