"""Item keys that carry ODK's meaning (written by the XLSForm import, usable in any flow):

    relevant: "${consent} = 'yes'"          ask only while true (instead of `when:`)
    constraint: ". >= 0 and . <= ${size}"   an answer must make it true (`.` is the answer)
    constraint_message: "…"                 said when it does not (translatable)
    required_if: "${work} = 'yes'"          required only while true (instead of `required:`)
    required_message: "…"                   said when a required item is skipped
    hint: "…"                               shown under the question
    default: 5 | code | [code, …] | text    offered before the person answers
    choice_filter: "region = ${region}"     only choices for which it holds are shown; bare
                                            names are choice columns (`data:`), `name` the code

Expressions are ODK's XPath (dialogs/xpath.py), with `${item}` references.
"""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from dialogs.expr import parse_odk
from dialogs.model import Expr
from dialogs.xpath import XPathError
from dialogs.yaml_nodes import NULL, NUMERIC, Fields, NodeReader

EXPRESSION_KEYS = ("relevant", "constraint", "required_if", "choice_filter")
COMMON = ("relevant", "required_if", "required_message", "hint")
ANSWERED = ("constraint", "constraint_message", "default")  # number, text, single, multi
CHOICE_ONLY = ("choice_filter",)  # single, multi
COLUMN = re.compile(r"[A-Za-z_][\w.-]*")

Default = str | float | tuple[str, ...] | None


class OdkKeys(NodeReader):
    """Reads the ODK keys of one item (mixed into the loader's reader)."""

    def odk_expr(self, fields: Fields, key: str, line: int, item: str) -> Expr | None:
        if key not in fields or (source := self.text(fields, key, line, item)) is None:
            return None
        try:
            return parse_odk(source, dot=key == "constraint", columns=key == "choice_filter")
        except XPathError as e:
            self.add(fields[key][0], f"{key}: cannot use '{source}': {e}", item)
            return None

    def odk_text(self, fields: Fields, key: str, line: int, item: str) -> str | None:
        return self.text(fields, key, line, item) if key in fields else None

    def odk_conflicts(self, fields: Fields, item: str) -> None:
        for one, other in (("when", "relevant"), ("required", "required_if")):
            if one in fields and other in fields:
                self.add(fields[other][0], f"use either '{one}' or '{other}', not both", item)

    def odk_default(self, fields: Fields, kind: str | None, item: str) -> Default:
        """The default answer, in the form the engine stores answers (checked in `check`)."""
        if "default" not in fields:
            return None
        line, node = fields["default"]
        if kind == "number":
            value = self.scalar(fields, "default", NUMERIC)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
            self.add(line, "'default' must be a number", item)
        elif kind == "multi":
            values = node.value if isinstance(node, SequenceNode) else None
            if values is not None and all(isinstance(v, ScalarNode) for v in values):
                return tuple(v.value for v in values)
            self.add(line, "'default' must be a list of answer codes", item)
        elif isinstance(node, ScalarNode) and node.tag != NULL and node.value.strip():
            return node.value
        else:
            self.add(line, "'default' must be an answer", item)
        return None

    def choice_data(self, fields: Fields, item: str) -> tuple[tuple[str, str], ...]:
        if "data" not in fields:
            return ()
        line, node = fields["data"]
        pairs = node.value if isinstance(node, MappingNode) else None
        if pairs is None or not all(
            isinstance(k, ScalarNode) and isinstance(v, ScalarNode) for k, v in pairs
        ):
            self.add(line, "'data' must map column names to values", item)
            return ()
        data: list[tuple[str, str]] = []
        for k, v in pairs:
            if not COLUMN.fullmatch(k.value) or k.value == "name":
                message = f"'data': '{k.value}' is not a column name ('name' is the code)"
                self.add(line, message, item)
                continue
            data.append((k.value, "" if v.tag == NULL else v.value))
        return tuple(data)


def default_problem(
    kind: str,
    default: Default,
    codes: set[str],
    low: float | None,
    high: float | None,
    integer: bool,
) -> str | None:
    """Why a default cannot be an answer of its item, or None."""
    if default is None:
        return None
    if kind in ("single", "multi"):
        wanted = default if isinstance(default, tuple) else (str(default),)
        unknown = [c for c in wanted if c not in codes]
        return f"default: unknown answer code '{unknown[0]}'" if unknown else None
    if kind == "number" and isinstance(default, int | float):
        if integer and default != int(default):
            return f"default {default:g} is not a whole number but the item is integer"
        if (low is not None and default < low) or (high is not None and default > high):
            return f"default {default:g} is outside min/max"
    return None
