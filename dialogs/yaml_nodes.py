"""Reading YAML nodes with their line numbers, and the problems found on the way.

The YAML is composed into nodes (never constructed as arbitrary objects), so every problem can
point at the real line, and ids and codes keep their text: `code: no` stays "no", `id: 1.10`
stays "1.10" instead of becoming a bool or a float.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode

from dialogs.expr import ITEM_ID
from dialogs.flow_checks import suggest

NULL = "tag:yaml.org,2002:null"
BOOL = "tag:yaml.org,2002:bool"
NUMERIC = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")

FLOW_ID = re.compile(r"[a-z0-9_-]+")
CODE = re.compile(r"[\w§.+-]+")  # any case: XLSForm choice names are kept as they are
PATTERN_HINTS = {
    FLOW_ID: "lower-case letters, digits, '_' and '-'",
    ITEM_ID: "letters, digits, '_', '.' and '-', not starting with '.' or '-'",
    CODE: "letters, digits and _ § . + -",
}


@dataclass(frozen=True)
class Problem:
    """One finding: str() gives "path:line: item '<id>': message"."""

    path: str
    line: int
    item: str | None  # the item id, when the problem belongs to one
    message: str  # the loader starts it with "item '<id>': " when item is set

    def __str__(self) -> str:
        prefix = f"item '{self.item}': "
        # Problems made elsewhere may leave the item out of the message.
        if self.item is None or self.message.startswith(prefix):
            prefix = ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class FlowError(Exception):
    """One or more flow files are invalid; `problems` lists all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def peek_id(node: Node) -> str | None:
    """An item's id before it is validated, to name the item in early problems."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == "id" and isinstance(value, ScalarNode):
                return value.value
    return None


# A mapping's entries: key -> (line of the key, value node).
Fields = dict[str, tuple[int, Node]]


@dataclass
class NodeReader:
    """Reads one file's nodes and collects its problems."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    constructor: SafeConstructor = field(default_factory=SafeConstructor)

    def add(self, line: int, message: str, item: str | None = None) -> None:
        prefix = f"item '{item}': " if item is not None else ""
        self.problems.append(Problem(self.path, line, item, prefix + message))

    # --- generic node access ---------------------------------------------------------

    def fields(
        self, node: Node, what: str, allowed: Collection[str] | None, item: str | None = None
    ) -> Fields | None:
        if not isinstance(node, MappingNode):
            self.add(line_of(node), f"{what} must be a mapping of keys to values", item)
            return None
        out: Fields = {}
        for key_node, value_node in node.value:
            line = line_of(key_node)
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.add(line, f"{what}: keys must be plain words", item)
            elif key in out:
                self.add(line, f"duplicate key '{key}' (first at line {out[key][0]})", item)
            elif allowed is not None and key not in allowed:
                self.add(line, f"unknown key '{key}' in {what}{suggest(key, allowed)}", item)
            else:
                out[key] = (line, value_node)
        return out

    def text(
        self,
        fields: Fields,
        key: str,
        line: int,
        item: str | None = None,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        """A required string, taken verbatim (no YAML type guessing)."""
        if key not in fields:
            self.add(line, f"missing '{key}'", item)
            return None
        key_line, node = fields[key]
        if not isinstance(node, ScalarNode):
            self.add(key_line, f"'{key}' must be a string", item)
            return None
        value = "" if node.tag == NULL else node.value
        if not value.strip():
            self.add(key_line, f"'{key}' must not be empty", item)
            return None
        if pattern is not None and not pattern.fullmatch(value):
            hint = PATTERN_HINTS[pattern]
            self.add(key_line, f"invalid {key} '{value}' (allowed: {hint})", item)
            return None
        return value

    def scalar(self, fields: Fields, key: str, tags: Collection[str]) -> object:
        """The typed value of an optional scalar, or None when absent or of another type."""
        node = fields[key][1]
        if isinstance(node, ScalarNode) and node.tag in tags:
            return self.constructor.construct_object(node)
        return None

    def boolean(self, fields: Fields, key: str, item: str | None, default: bool) -> bool:
        if key not in fields:
            return default
        value = self.scalar(fields, key, (BOOL,))
        if not isinstance(value, bool):
            self.add(fields[key][0], f"'{key}' must be true or false", item)
            return default
        return value

    def number(self, fields: Fields, key: str, item: str | None) -> float | None:
        if key not in fields:
            return None
        value = self.scalar(fields, key, NUMERIC)
        if not isinstance(value, int | float) or not math.isfinite(value):
            self.add(fields[key][0], f"'{key}' must be a number", item)
            return None
        return value

    # --- items -------------------------------------------------------------------------
