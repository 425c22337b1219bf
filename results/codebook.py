"""What results know about a questionnaire: its items, their kinds and answer codes, and which
items serve as breakdown dimensions of the standard cross-tables.

This is the one place in `results/` that names survey items by id. The flows are to declare
item roles (`role: age_band | status | gemeinde | gender | needs`); then `breakdown_items`
and `GEMEINDE_ITEM` read the roles instead of these ids, and nothing else has to change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GEMEINDE_ITEM = "gemeinde"  # typed place name, stored as a Gemeinde code (g<id> / unbekannt)

# Breakdown dimensions of the standard cross-tables, in the order they are published.
BREAKDOWN: tuple[tuple[str, str], ...] = (
    ("1.2", "Altersgruppe"),
    ("1.1", "Aufenthaltsstatus"),
    (GEMEINDE_ITEM, "Gemeinde"),
    ("1.3", "Geschlecht"),
)


@dataclass(frozen=True)
class CodebookItem:
    id: str
    question: str  # German item text
    kind: str  # single, multi, number, yesno, consent, text
    choices: tuple[tuple[str, str], ...]  # (code, German label)
    section: str  # Arbeitshilfe section ("1", "2", or "" for items outside it)

    @property
    def multi(self) -> bool:
        return self.kind == "multi"

    @property
    def coded(self) -> bool:
        """Answers are categories that can be counted (free text is not, except the
        Gemeinde, which is stored as a code)."""
        return self.kind not in ("info", "text") or self.id == GEMEINDE_ITEM


@dataclass(frozen=True)
class Codebook:
    flow_id: str
    flow_version: str
    title: str
    items: tuple[CodebookItem, ...]

    @classmethod
    def from_flow(cls, flow: Any) -> Codebook:
        """From a dialogs.model.Flow (read by attribute; results does not import dialogs)."""
        items = tuple(
            CodebookItem(
                it.id,
                it.text,
                it.kind,
                tuple((c.code, c.label) for c in it.choices),
                it.id.split(".")[0] if it.id[:1].isdigit() else "",
            )
            for it in flow.items
            if it.kind != "info"
        )
        return cls(flow.id, flow.version, flow.title, items)

    @classmethod
    def from_answers(cls, flow_id: str, flow_version: str, answers: Iterable[Any]) -> Codebook:
        """From self-describing answers (dialogs.effects.Answer: `item`, `kind`; read by
        attribute) where the flow is not at hand: item kinds, without texts or choices."""
        items = tuple(CodebookItem(a.item, "", a.kind, (), "") for a in answers)
        return cls(flow_id, flow_version, "", items)

    def item(self, item_id: str) -> CodebookItem | None:
        return next((it for it in self.items if it.id == item_id), None)


def breakdown_items(codebook: Codebook) -> dict[str, str]:
    """The breakdown dimensions this questionnaire has (item id -> German label), in order."""
    return {item: label for item, label in BREAKDOWN if codebook.item(item) is not None}
