"""Data types of a flow, as loaded from YAML. Texts are German source strings (gettext msgids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from dialogs.buttons import DIGEST_MARK, digest

NodeKind = Literal[
    "info", "single", "multi", "number", "text", "yesno", "consent", "offers", "action"
]
NODE_KINDS: tuple[str, ...] = (
    "info",
    "single",
    "multi",
    "number",
    "text",
    "yesno",
    "consent",
    "offers",
    "action",
)
# Kinds the person answers (a question on screen); `offers` is a list the person looks at.
QUESTION_KINDS = frozenset({"single", "multi", "number", "text", "yesno", "consent"})
CHOICE_KINDS = frozenset({"single", "multi", "yesno", "consent"})

# yes/no and consent questions get these fixed answer codes.
YES, NO = "yes", "no"

# What code may know about an item: its role, never its id. A flow kind may need some roles.
ROLES: dict[str, str] = {
    "gemeinde": "the place the person lives (Gemeinde code, or typed name in surveys)",
    "age": "age band",
    "status": "residence status",
    "gender": "gender (survey breakdown)",
    "languages": "languages the person speaks",
    "german": "how well the person speaks German",
    "interpreter": "yes/no: needs an interpreter (Sprachmittlung) in a conversation",
    "needs": "need areas (Handlungsfelder)",
    "invitation": "yes/no: invitations to later surveys (kept with the conversation)",
    "contact_via": "how the Servicestelle should get in touch (bot, phone, email)",
    "contact": "the phone number or e-mail address typed for contact",
}
REQUIRED_ROLES: dict[str, tuple[str, ...]] = {
    "intake": ("gemeinde", "age", "status", "languages", "needs"),
    "survey": (),
    "demo": (),
}
# Run-time sources of choices (filled in by the runtime before the engine sees the flow).
CHOICE_SOURCES = ("gemeinden",)
TEXT_FORMATS = ("phone", "email")


@dataclass(frozen=True)
class Choice:
    code: str  # language-independent answer code, stored and exported
    label: str  # German source label (msgid, context = "<flow>:<item>")
    synonyms: tuple[str, ...] = ()  # German typed-answer synonyms
    confirm: bool = False  # ends the flow and discards answers: asked once more, own row
    data: tuple[tuple[str, str], ...] = ()  # further columns (XLSForm), read by choice_filter

    def columns(self) -> dict[str, str]:
        """What a choice_filter sees of this choice: its columns, `name` being its code."""
        return {**dict(self.data), "name": self.code}


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
    role: str | None = None  # what code knows the item by (ROLES)
    field: str | None = None  # short name on the consent screen and in /mydata
    share: bool = True  # intake: goes into a referral when the person consents
    format: str | None = None  # text items: phone | email
    source: str | None = None  # single items: choices filled in at run time (CHOICE_SOURCES)
    action: str | None = None  # action items: what to do (dialogs.actions.ACTIONS)
    recipient: str | None = None  # consent items: the action item that names the recipient
    # From XLSForm (ODK's meaning; expressions in dialogs/xpath.py):
    hint: str | None = None  # shown under the question
    constraint: Expr | None = None  # an answer must make it true (`.` is the answer)
    constraint_message: str | None = None  # said when it does not
    required_if: Expr | None = None  # required only while this holds
    required_message: str | None = None  # said when a required item is skipped
    default: str | float | tuple[str, ...] | None = None  # answer offered before any is given
    choice_filter: Expr | None = None  # only choices for which it holds are shown

    def choice(self, code: str) -> Choice | None:
        found = next((c for c in self.choices if c.code == code), None)
        if found is None and code.startswith(DIGEST_MARK):  # a long code's button
            found = next((c for c in self.choices if digest(c.code) == code), None)
        return found

    @property
    def reads(self) -> frozenset[str]:
        """Item ids whose answers decide whether and how this item is asked."""
        exprs = (self.when, self.constraint, self.required_if, self.choice_filter)
        return frozenset().union(*(e.names for e in exprs if e is not None))

    @property
    def asks(self) -> bool:
        """The person answers or looks at this item (it waits for them)."""
        return self.kind in QUESTION_KINDS or self.kind == "offers"


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

    def by_role(self, role: str) -> Item | None:
        return next((it for it in self.items if it.role == role), None)

    def successor(self, item: Item) -> Item | None:
        """The item after `item` ignoring `when:` (explicit `next:` wins)."""
        if item.next is not None:
            return self.item(item.next)
        i = self.index[item.id] + 1
        return self.items[i] if i < len(self.items) else None

    def context(self, item_id: str) -> str:
        """gettext message context for the texts of one item."""
        return f"{self.id}:{item_id}"

    def dependents(self, item_id: str) -> set[str]:
        """Items whose conditions read `item_id`, directly or through another such item."""
        found: set[str] = set()
        frontier = {item_id}
        while frontier:
            name = frontier.pop()
            for it in self.items:
                if name in it.reads and it.id not in found:
                    found.add(it.id)
                    frontier.add(it.id)
        return found
