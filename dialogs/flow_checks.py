"""Checks of a whole flow beyond its graph: roles, actions, recipients and text placeholders.

Code knows items only by their role, so a flow kind that code serves must have the roles it
reads (an Erstberatung without a `needs` item could never find offers).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence

from dialogs.actions import ACTIONS
from dialogs.model import REQUIRED_ROLES, ROLES, Item

REPEATABLE_ROLES = frozenset({"contact"})  # e.g. a phone item and an e-mail item
Finding = tuple[int, str | None, str]  # (line, item id, message)


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


def _placeholders(items: Sequence[Item]) -> Iterator[Finding]:
    """`{name}` in a text must be a value an earlier action gives."""
    known: set[str] = set()
    for item in items:
        texts = [item.text, item.field or ""]
        for text in texts:
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            except ValueError as e:
                yield item.line, item.id, f"text: broken placeholder ({e})"
                continue
            for name in sorted(names - known):
                hint = f"available here: {', '.join(sorted(known))}" if known else "none here"
                yield item.line, item.id, f"text: unknown placeholder '{{{name}}}' ({hint})"
        if item.action in ACTIONS:
            known.update(ACTIONS[item.action].keys)
