"""What results know about a questionnaire: its items, their kinds and answer codes, and which
items serve as breakdown dimensions of the standard cross-tables.

Results know items by their role (declared in the flow, dialogs/model.ROLES), never by their
id: the Gemeinde item, the breakdown dimensions, the need areas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

GEMEINDE = "gemeinde"  # role of the typed place name, stored as a Gemeinde code
NEEDS = "needs"  # role of the need areas (Handlungsfelder)
COUNTED_KINDS = frozenset({"single", "multi", "number", "yesno", "consent"})

# Breakdown dimensions of the standard cross-tables by role, in the order they are published.
BREAKDOWN: tuple[tuple[str, str], ...] = (
    ("age", "Altersgruppe"),
    ("status", "Aufenthaltsstatus"),
    (GEMEINDE, "Gemeinde"),
    ("gender", "Geschlecht"),
)


Holds = Callable[[Any, dict[str, object]], bool]
PARENT_KINDS = ("single", "yesno", "number")  # one category per answer: the cells add up


def _parent_value(kind: str, category: str) -> object:
    if category == "keine_angabe":
        return None
    if kind == "number":
        return float(category)
    return category


@dataclass(frozen=True)
class _Asked:
    """category -> asked? for an item whose `when:` reads one earlier item (a value, not a
    closure: a codebook travels to the file process with the wave it counts)."""

    holds: Holds
    when: Any
    parent_id: str
    parent_kind: str

    def __call__(self, category: str) -> bool:
        try:
            answers = {self.parent_id: _parent_value(self.parent_kind, category)}
            return bool(self.holds(self.when, answers))
        except ValueError:
            return False


def _asked_when(
    flow: Any, item: Any, holds: Holds | None
) -> tuple[str, Callable[[str], bool]] | None:
    """(parent id, category -> asked?) for an item whose `when:` reads one earlier item."""
    when = getattr(item, "when", None)
    if holds is None or when is None or len(item.reads) != 1:
        return None
    [parent_id] = item.reads
    parent = flow.item(parent_id)
    if parent is None or parent.kind not in PARENT_KINDS:
        return None
    return parent_id, _Asked(holds, when, parent_id, parent.kind)


@dataclass(frozen=True)
class CodebookItem:
    id: str
    question: str  # German item text
    kind: str  # single, multi, number, yesno, consent, text
    choices: tuple[tuple[str, str], ...]  # (code, German label)
    section: str  # Arbeitshilfe section ("1", "2", or "" for items outside it)
    role: str | None = None  # what code knows the item by
    # Skip logic the reader of the results knows: asked only when the parent item's category
    # satisfies this (so its base is the sum of those parent cells; results.tables).
    asked_when: tuple[str, Callable[[str], bool]] | None = field(default=None, compare=False)

    @property
    def multi(self) -> bool:
        return self.kind == "multi"

    @property
    def coded(self) -> bool:
        """Answers are categories that can be counted (free text is not, except the
        Gemeinde, which is stored as a code)."""
        return self.kind in COUNTED_KINDS or self.role == GEMEINDE


@dataclass(frozen=True)
class Codebook:
    flow_id: str
    flow_version: str
    title: str
    items: tuple[CodebookItem, ...]

    @classmethod
    def from_flow(cls, flow: Any, holds: Holds | None = None) -> Codebook:
        """From a dialogs.model.Flow (read by attribute; results does not import dialogs).
        `holds(expr, answers)` evaluates a `when:` condition (dialogs.expr.evaluate): with it,
        an item asked on one parent's answer records for which parent categories it is."""
        items = tuple(
            CodebookItem(
                it.id,
                it.text,
                it.kind,
                _codes(it.choices),
                it.id.split(".")[0] if it.id[:1].isdigit() else "",
                getattr(it, "role", None),
                _asked_when(flow, it, holds),
            )
            for it in flow.items
            if it.kind != "info"
        )
        return cls(flow.id, flow.version, flow.title, items)

    @classmethod
    def from_answers(cls, flow_id: str, flow_version: str, answers: Iterable[Any]) -> Codebook:
        """From self-describing answers (dialogs.effects.Answer: `item`, `kind`, `role`; read
        by attribute) where the flow is not at hand: kinds and roles, no texts or choices."""
        items = tuple(CodebookItem(a.item, "", a.kind, (), "", a.role) for a in answers)
        return cls(flow_id, flow_version, "", items)

    def item(self, item_id: str) -> CodebookItem | None:
        return next((it for it in self.items if it.id == item_id), None)

    def by_role(self, role: str) -> CodebookItem | None:
        return next((it for it in self.items if it.role == role), None)

    @property
    def gemeinde(self) -> str | None:
        """Id of the Gemeinde item, if the questionnaire has one."""
        item = self.by_role(GEMEINDE)
        return None if item is None else item.id


def breakdown_items(codebook: Codebook) -> dict[str, str]:
    """The breakdown dimensions this questionnaire has (item id -> German label), in order."""
    found = {}
    for role, label in BREAKDOWN:
        item = codebook.by_role(role)
        if item is not None:
            found[item.id] = label
    return found


def _codes(choices: Any) -> tuple[tuple[str, str], ...]:
    """(code, label) once per code: a filtered XLSForm list may name a code twice."""
    found: dict[str, str] = {}
    for c in choices:
        found.setdefault(c.code, c.label)
    return tuple(found.items())
