"""Data types of a flow, as loaded from YAML. Texts are German source strings (gettext msgids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

NodeKind = Literal["info", "single", "multi", "number", "text", "yesno", "consent"]
NODE_KINDS: tuple[str, ...] = ("info", "single", "multi", "number", "text", "yesno", "consent")

# yes/no and consent questions get these fixed answer codes.
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Choice:
    code: str  # language-independent answer code, stored and exported
    label: str  # German source label (msgid, context = "<flow>:<item>")
    synonyms: tuple[str, ...] = ()  # German typed-answer synonyms


@dataclass(frozen=True)
class Expr:
    """A parsed `when:` condition; evaluate with dialogs.expr.evaluate(expr, answers)."""

    source: str
    tree: tuple  # nested tuples, see dialogs/expr.py
    names: frozenset[str] = frozenset()  # item ids the expression reads


@dataclass(frozen=True)
class Item:
    id: str
    kind: NodeKind
    text: str
    line: int  # line in the YAML file, for error messages
    choices: tuple[Choice, ...] = ()
    required: bool = True  # optional items can be skipped
    when: Expr | None = None  # ask only when true; otherwise go on as if skipped
    next: str | None = None  # explicit successor; default is the next item in the file
    min: float | None = None  # number items
    max: float | None = None
    integer: bool = True
    max_length: int | None = None  # text items

    def choice(self, code: str) -> Choice | None:
        return next((c for c in self.choices if c.code == code), None)


@dataclass(frozen=True)
class Flow:
    id: str
    version: str  # content hash of the YAML file (12 hex digits)
    title: str
    items: tuple[Item, ...]
    path: str = ""
    kind: Literal["demo", "survey", "intake"] = "demo"
    index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.index.update({it.id: i for i, it in enumerate(self.items)})

    def item(self, item_id: str) -> Item | None:
        i = self.index.get(item_id)
        return None if i is None else self.items[i]

    def successor(self, item: Item) -> Item | None:
        """The item after `item` ignoring `when:` (explicit `next:` wins)."""
        if item.next is not None:
            return self.item(item.next)
        i = self.index[item.id] + 1
        return self.items[i] if i < len(self.items) else None

    def context(self, item_id: str) -> str:
        """gettext message context for the texts of one item."""
        return f"{self.id}:{item_id}"
