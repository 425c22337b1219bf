"""The `when:` condition language of flows: a tiny parser and evaluator, never eval().

Grammar (keywords are lower case)::

    expr  := or ;  or := and ("or" and)* ;  and := not ("and" not)* ;  not := "not" not | atom
    atom  := "(" expr ")" | REF OP VALUE | REF "in" LIST | VALUE "in" REF | REF "answered" | REF
    OP    := == | != | < | > | <= | >=
    LIST  := "[" VALUE ("," VALUE)* "]"

Position decides whether a word is an item id (REF) or a literal (VALUE), so item ids such as
`1.1` and answer codes such as `§7` need no quoting. Trees are nested tuples:

    ("or", e, e, ...)  ("and", e, e, ...)  ("not", e)
    ("cmp", op, ref, literal)   ref OP literal
    ("in", ref, (literal, ...)) ref in [literal, ...]
    ("has", literal, ref)       literal in ref
    ("answered", ref)           ref answered
    ("true", ref)               bare ref

Literals are kept as strings; a literal that looks like a decimal number also compares
numerically with number answers.

Imported XLSForms keep ODK's own expressions instead (dialogs/xpath.py); they are carried in
the same `Expr` as the tree `("odk", <xpath tree>)` and evaluated with ODK's meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dialogs import xpath, xpath_eval
from dialogs.model import NO, YES, Expr

MAX_LENGTH = 500
MAX_DEPTH = 20
KEYWORDS = frozenset({"and", "or", "not", "in", "answered"})
OPS = ("==", "!=", "<=", ">=", "<", ">")
ORDERING = frozenset({"<", ">", "<=", ">="})

ITEM_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_WORD = re.compile(r"[\w§.+-]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class ExprError(ValueError):
    """Bad syntax in a condition; `column` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


@dataclass(frozen=True)
class _Token:
    kind: str  # "word", "string", "op" or the punctuation itself: ( ) [ ] ,
    text: str
    column: int


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(source):
        ch, col = source[i], i + 1
        if ch.isspace():
            i += 1
        elif ch in "()[],":
            tokens.append(_Token(ch, ch, col))
            i += 1
        elif op := next((o for o in OPS if source.startswith(o, i)), None):
            tokens.append(_Token("op", op, col))
            i += len(op)
        elif ch in "'\"":
            end = source.find(ch, i + 1)
            if end < 0:
                raise ExprError("unterminated string", col)
            tokens.append(_Token("string", source[i + 1 : end], col))
            i = end + 1
        elif m := _WORD.match(source, i):
            tokens.append(_Token("word", m.group(), col))
            i = m.end()
        else:
            hint = "; use '=='" if ch == "=" else ""
            raise ExprError(f"unexpected character {ch!r}{hint}", col)
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.pos = 0
        self.names: set[str] = set()

    def peek(self, offset: int = 0) -> _Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def is_keyword(self, word: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok is not None and tok.kind == "word" and tok.text == word

    def fail(self, expected: str) -> ExprError:
        tok = self.peek()
        if tok is None:
            return ExprError(f"expected {expected} but the condition ends", len(self.source) + 1)
        return ExprError(f"expected {expected}, found {tok.text!r}", tok.column)

    def take(self, kind: str, expected: str) -> _Token:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            raise self.fail(expected)
        self.pos += 1
        return tok

    def ref(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind != "word" or tok.text in KEYWORDS:
            raise self.fail("an item id")
        if not ITEM_ID.fullmatch(tok.text):
            raise ExprError(f"{tok.text!r} is not a valid item id", tok.column)
        self.pos += 1
        self.names.add(tok.text)
        return tok.text

    def value(self) -> str:
        tok = self.peek()
        if (
            tok is None
            or tok.kind not in ("word", "string")
            or (tok.kind == "word" and tok.text in KEYWORDS)
        ):
            raise self.fail("a value")
        self.pos += 1
        return tok.text

    def parse(self) -> tuple:
        if not self.tokens:
            raise ExprError("empty condition", 1)
        tree = self.or_(0)
        if self.peek() is not None:
            raise self.fail("'and', 'or' or the end")
        return tree

    def or_(self, depth: int) -> tuple:
        parts = [self.and_(depth)]
        while self.is_keyword("or"):
            self.pos += 1
            parts.append(self.and_(depth))
        return parts[0] if len(parts) == 1 else ("or", *parts)

    def and_(self, depth: int) -> tuple:
        parts = [self.not_(depth)]
        while self.is_keyword("and"):
            self.pos += 1
            parts.append(self.not_(depth))
        return parts[0] if len(parts) == 1 else ("and", *parts)

    def not_(self, depth: int) -> tuple:
        tok = self.peek()
        if tok is not None and depth >= MAX_DEPTH and (self.is_keyword("not") or tok.kind == "("):
            raise ExprError(f"nested deeper than {MAX_DEPTH} levels", tok.column)
        if self.is_keyword("not"):
            self.pos += 1
            return ("not", self.not_(depth + 1))
        return self.atom(depth)

    def atom(self, depth: int) -> tuple:
        tok = self.peek()
        if tok is not None and tok.kind == "(":
            self.pos += 1
            tree = self.or_(depth + 1)
            self.take(")", "')'")
            return tree
        after = self.peek(1)
        if (tok is not None and tok.kind == "string") or self.is_keyword("in", 1):
            return self.membership()
        ref = self.ref()
        if after is not None and after.kind == "op":
            self.pos += 1
            return ("cmp", after.text, ref, self.value())
        if self.is_keyword("answered"):
            self.pos += 1
            return ("answered", ref)
        return ("true", ref)

    def membership(self) -> tuple:
        # "REF in [..]" or "VALUE in REF": the token after "in" decides.
        list_form = (tok := self.peek(2)) is not None and tok.kind == "["
        if list_form:
            ref = self.ref()
            self.pos += 2  # "in" "["
            values = [self.value()]
            while (tok := self.peek()) is not None and tok.kind == ",":
                self.pos += 1
                values.append(self.value())
            self.take("]", "',' or ']'")
            return ("in", ref, tuple(values))
        value = self.value()
        if not self.is_keyword("in"):
            raise self.fail("'in'")
        self.pos += 1
        return ("has", value, self.ref())


def parse(source: str) -> Expr:
    """Parse a condition; raises ExprError with a 1-based column on bad syntax."""
    if len(source) > MAX_LENGTH:
        raise ExprError(f"longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    parser = _Parser(source)
    tree = parser.parse()
    return Expr(source=source, tree=tree, names=frozenset(parser.names))


def number(literal: str) -> float | None:
    """The numeric value of a literal such as `18`, `-2.5`; None for anything else."""
    return float(literal) if _NUMBER.fullmatch(literal) else None


# --- evaluation ---------------------------------------------------------------------------

_OTHER = object()  # an answer of a type no condition can compare with


def _normalise(value: object) -> object:
    """Reduce an answer to None, str, int/float, tuple of codes or _OTHER."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int subclass
        return YES if value else NO
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(v for v in value if isinstance(v, str))
    return _OTHER


def _matches(answer: object, literal: str) -> bool:
    """Membership test: the answer is the literal, or (multi) contains it."""
    if isinstance(answer, str):
        return answer == literal
    if isinstance(answer, tuple):
        return literal in answer
    if isinstance(answer, int | float):
        n = number(literal)
        return n is not None and answer == n
    return False


def _compare(op: str, answer: object, literal: str) -> bool:
    if answer is None:
        return False  # unanswered: every comparison is false, `!=` too
    if op in ORDERING:
        n = number(literal)
        if n is None or not isinstance(answer, int | float):
            return False
        return {"<": answer < n, ">": answer > n, "<=": answer <= n, ">=": answer >= n}[op]
    if isinstance(answer, tuple):
        equal = answer == (literal,)  # a multi answer equals a code only when it is the only one
    else:
        equal = _matches(answer, literal)
    return equal if op == "==" else not equal


def _eval(tree: tuple, answers: Mapping[str, object]) -> bool:
    match tree:
        case ("or", *parts):
            return any(_eval(p, answers) for p in parts)
        case ("and", *parts):
            return all(_eval(p, answers) for p in parts)
        case ("not", inner):
            return not _eval(inner, answers)
        case ("cmp", op, ref, literal):
            return _compare(op, _normalise(answers.get(ref)), literal)
        case ("in", ref, literals):
            answer = _normalise(answers.get(ref))
            return any(_matches(answer, lit) for lit in literals)
        case ("has", literal, ref):
            return _matches(_normalise(answers.get(ref)), literal)
        case ("answered", ref):
            return answers.get(ref) is not None
        case ("true", ref):
            answer = _normalise(answers.get(ref))
            return answer is not None and answer not in (NO, "", (), 0)
    raise ValueError(f"not a condition tree: {tree!r}")


def evaluate(
    expr: Expr,
    answers: Mapping[str, object],
    current: object = None,
    columns: Mapping[str, str] | None = None,
) -> bool:
    """True when the condition holds; unanswered or skipped items are absent or None.
    ODK expressions also see the answer being checked (`current`, their `.`) and the columns
    of the choice being filtered."""
    if expr.tree[0] == "odk":
        scope = xpath_eval.Scope(answers, xpath_eval.answer_value(current), columns)
        return xpath_eval.holds(expr.tree[1], scope)
    return _eval(expr.tree, answers)


def parse_odk(source: str, *, dot: bool = False, columns: bool = False) -> Expr:
    """An ODK expression (dialogs/xpath.py) as an `Expr`; raises xpath.XPathError."""
    parsed = xpath.parse(source, dot=dot, columns=columns)
    return Expr(source=source, tree=("odk", parsed.tree), names=parsed.refs)


# --- inspection, for flow validation ---------------------------------------------------------


def conditions(expr: Expr) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """Every leaf as (operator, item id, literals); operator is an OP, "in", "has",
    "answered" or "true"."""
    if expr.tree[0] == "odk":  # ODK's comparisons are not checked against codes (as in ODK)
        for ref in sorted(expr.names):
            yield "odk", ref, ()
        return
    stack = [expr.tree]
    while stack:
        tree = stack.pop()
        match tree:
            case ("or" | "and", *parts):
                stack.extend(reversed(parts))
            case ("not", inner):
                stack.append(inner)
            case ("cmp", op, ref, literal):
                yield op, ref, (literal,)
            case ("in", ref, literals):
                yield "in", ref, literals
            case ("has", literal, ref):
                yield "has", ref, (literal,)
            case (kind, ref):
                yield kind, ref, ()


def comparisons(expr: Expr) -> list[tuple[str, str]]:
    """(item id, literal) for every literal an item's answer is compared with."""
    return [(ref, lit) for _, ref, lits in conditions(expr) for lit in lits]


def _literal(text: str) -> str:
    if _WORD.fullmatch(text) and text not in KEYWORDS:
        return text
    return f'"{text}"' if "'" in text else f"'{text}'"


def unparse(tree: tuple) -> str:
    """Source text for a tree; parse(unparse(t)).tree == t for trees that parse produces."""

    def sub(t: tuple) -> str:
        return f"({unparse(t)})" if t[0] in ("and", "or") else unparse(t)

    match tree:
        case ("or" | "and" as kind, *parts):
            return f" {kind} ".join(sub(p) for p in parts)
        case ("not", inner):
            return f"not {sub(inner)}"
        case ("cmp", op, ref, literal):
            return f"{ref} {op} {_literal(literal)}"
        case ("in", ref, literals):
            return f"{ref} in [{', '.join(_literal(v) for v in literals)}]"
        case ("has", literal, ref):
            return f"{_literal(literal)} in {ref}"
        case ("answered", ref):
            return f"{ref} answered"
        case ("true", ref):
            return ref
    raise ValueError(f"not a condition tree: {tree!r}")
