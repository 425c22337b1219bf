"""Checks of a whole flow beyond its graph: roles, actions, recipients and text placeholders.

Code knows items only by their role, so a flow kind that code serves must have the roles it
reads (an Erstberatung without a `needs` item could never find offers).
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from dialogs.actions import ACTIONS
from dialogs.expr import ORDERING, conditions, number
from dialogs.model import CHOICE_KINDS, QUESTION_KINDS, REQUIRED_ROLES, ROLES, Expr, Item

# A phone item and an e-mail item; a topic follow-up per need area.
REPEATABLE_ROLES = frozenset({"contact", "topic"})
Finding = tuple[int, str | None, str]  # (line, item id, message)
Drafted = tuple[Item, dict[str, int]]  # an item and the lines of its keys


@dataclass
class _Draft:
    item: Item
    lines: dict[str, int]


def suggest(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_roles_and_actions(kind: str, items: Sequence[Item], flow_line: int) -> list[Finding]:
    return [
        *_roles(kind, items, flow_line),
        *_recipients(items),
        *_placeholders(items),
    ]


def _roles(kind: str, items: Sequence[Item], flow_line: int) -> Iterator[Finding]:
    first: dict[str, Item] = {}
    for item in items:
        if item.role is None:
            continue
        if item.role not in ROLES:
            yield item.line, item.id, f"unknown role '{item.role}' (one of: {', '.join(ROLES)})"
        elif item.role in first and item.role not in REPEATABLE_ROLES:
            other = first[item.role]
            yield item.line, item.id, f"role '{item.role}' is also on item '{other.id}'"
        else:
            first[item.role] = item
    for role in REQUIRED_ROLES.get(kind, ()):
        if role not in first:
            yield flow_line, None, f"a {kind} flow needs an item with role '{role}'"


def _recipients(items: Sequence[Item]) -> Iterator[Finding]:
    seen: dict[str, Item] = {}
    consent_with_recipient = False
    for item in items:
        if item.recipient is not None:
            target = seen.get(item.recipient)
            if target is None or target.action != "find_servicestelle":
                yield (
                    item.line,
                    item.id,
                    f"recipient '{item.recipient}' must be an earlier action item "
                    "with 'action: find_servicestelle'",
                )
            consent_with_recipient = True
        if item.action == "send_referral" and not consent_with_recipient:
            yield (
                item.line,
                item.id,
                "'send_referral' needs an earlier consent item with a recipient",
            )
        seen[item.id] = item


_PLACEHOLDER_ITEM = re.compile(r"[A-Za-z_][\w-]*")  # str.format reads '.' and '[' itself


def _placeholders(items: Sequence[Item]) -> Iterator[Finding]:
    """`{name}` in a text must be a value an earlier action gives, or a question (its answer
    is shown; empty while unanswered, as in ODK)."""
    known: set[str] = set()
    answers = {item.id for item in items if item.kind in QUESTION_KINDS}
    for item in items:
        texts = [item.text, item.field, item.hint, item.constraint_message, item.required_message]
        for text in filter(None, texts):
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            except ValueError as e:
                yield item.line, item.id, f"text: broken placeholder ({e})"
                continue
            for name in sorted(names - known - answers):
                shown = sorted(known | {a for a in answers if _PLACEHOLDER_ITEM.fullmatch(a)})
                hint = f"available here: {', '.join(shown)}" if shown else "none here"
                yield item.line, item.id, f"text: unknown placeholder '{{{name}}}' ({hint})"
            for name in sorted((names & answers) - known):
                if not _PLACEHOLDER_ITEM.fullmatch(name):
                    message = (
                        f"text: '{{{name}}}' cannot name an item whose id has '.' or digits first"
                    )
                    yield item.line, item.id, message
        if item.action in ACTIONS:
            known.update(ACTIONS[item.action].keys)


def check_graph(drafts: Sequence[Drafted]) -> list[Finding]:
    """Duplicate ids, dangling `next`, cycles, unreachable items and `when` references."""
    found: list[Finding] = []
    index: dict[str, int] = {}
    items: list[_Draft] = []
    for item, lines in drafts:
        first = index.get(item.id)
        if first is not None:
            message = f"duplicate item id (first at line {items[first].item.line})"
            found.append((item.line, item.id, message))
        else:
            index[item.id] = len(items)
            items.append(_Draft(item, lines))
    for d in items:
        if d.item.next is not None and d.item.next not in index:
            message = f"next '{d.item.next}' names no item{suggest(d.item.next, index)}"
            found.append((d.lines["next"], d.item.id, message))

    def successor(i: int) -> int | None:
        nxt = items[i].item.next
        if nxt in index:
            return index[nxt]
        return i + 1 if i + 1 < len(items) else None  # a dangling next is reported above

    found += _cycles(items, successor)
    path: list[int] = []
    i = 0 if items else None
    while i is not None and i not in path:
        path.append(i)
        i = successor(i)
    position = {items[i].item.id: n for n, i in enumerate(path)}
    for d in items:
        if d.item.id not in position:
            message = f"unreachable from the first item '{items[0].item.id}'"
            found.append((d.item.line, d.item.id, message))
    by_id = {d.item.id: d.item for d in items}
    for d in items:
        for key, expr in _expressions(d.item, d.lines):
            messages = _when_problems(d.item, key, expr, by_id, position)
            for message in dict.fromkeys(messages):  # once each, in order
                found.append((d.lines.get(key, d.item.line), d.item.id, message))
    return found


def _expressions(item: Item, lines: dict[str, int]) -> Iterator[tuple[str, Expr]]:
    """(key, expression) for every condition of an item."""
    if item.when is not None:
        yield ("relevant" if "relevant" in lines else "when"), item.when
    for key in ("constraint", "required_if", "choice_filter"):
        expr = getattr(item, key)
        if expr is not None:
            yield key, expr


def _cycles(items: list[_Draft], successor: Callable[[int], int | None]) -> list[Finding]:
    found: list[Finding] = []
    done: set[int] = set()
    for start in range(len(items)):
        walk: list[int] = []
        i: int | None = start
        while i is not None and i not in done and i not in walk:
            walk.append(i)
            i = successor(i)
        if i is not None and i in walk:
            cycle = walk[walk.index(i) :]
            # Implicit successors only go forward, so some `next:` jumps back (or to itself).
            back = max(j for j in cycle if (successor(j) or 0) <= j)
            target = items[back].item.next
            assert target is not None  # only a `next:` jumps back
            names = [items[j].item.id for j in cycle]
            shown = names[names.index(target) :] + names[: names.index(target)] + [target]
            message = f"next '{target}' makes a cycle ({' -> '.join(shown)}); a flow must end"
            found.append((items[back].lines["next"], items[back].item.id, message))
        done.update(walk)
    return found


def _when_problems(
    item: Item, key: str, expr: Expr, items: dict[str, Item], position: dict[str, int]
) -> list[str]:
    messages: list[str] = []
    for name in sorted(expr.names):
        ref = items.get(name)
        if ref is None:
            messages.append(f"{key}: unknown item '{name}'{suggest(name, items)}")
        elif ref.kind == "info":
            messages.append(f"{key}: item '{name}' is an info item and has no answer")
        elif name == item.id and key == "constraint":
            continue  # its own answer: the same as '.'
        elif item.id in position and position.get(name, len(position)) >= position[item.id]:
            messages.append(f"{key}: item '{name}' is not always asked before '{item.id}'")
    for op, name, literals in conditions(expr):
        ref = items.get(name)
        if ref is None or ref.kind == "info":
            continue
        numeric = ref.kind in ("number", "offers")  # a list's answer: how many offers it had
        if op in ORDERING and not numeric:
            messages.append(f"when: '{op}' compares numbers but '{name}' is a {ref.kind} item")
            continue
        if ref.kind == "multi" and op in ("==", "!="):
            hint = f"'{literals[0]} in {name}'"
            messages.append(f"when: '{name}' is a multi item; use {hint} to test one answer")
        for literal in literals:
            if numeric and number(literal) is None:
                message = f"when: '{name}' is a number item but '{literal}' is not a number"
                messages.append(message)
            elif ref.kind in CHOICE_KINDS and ref.source is None and ref.choice(literal) is None:
                messages.append(f"when: unknown answer code '{literal}' for item '{name}'")
            elif ref.action in ACTIONS and literal not in ACTIONS[ref.action].outcomes:
                known = ", ".join(ACTIONS[ref.action].outcomes)
                messages.append(f"when: '{name}' has no outcome '{literal}' (one of: {known})")
    return messages
