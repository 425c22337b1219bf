"""Load flow YAML files into dialogs.model.Flow and report every problem with its line
(node reading: dialogs/yaml_nodes.py; whole-flow checks: dialogs/flow_checks.py)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from dialogs.actions import ACTIONS
from dialogs.expr import ITEM_ID, ExprError, parse
from dialogs.flow_checks import check_graph, check_roles_and_actions, suggest
from dialogs.model import (
    CHOICE_SOURCES,
    NO,
    NODE_KINDS,
    TEXT_FORMATS,
    YES,
    Choice,
    Flow,
    Item,
    NodeKind,
)
from dialogs.odk_keys import ANSWERED, CHOICE_ONLY, COMMON, OdkKeys, default_problem
from dialogs.yaml_nodes import (
    CODE,
    FLOW_ID,
    NUMERIC,
    Fields,
    FlowError,
    Problem,
    line_of,
    peek_id,
)

FLOW_KINDS = ("demo", "survey", "intake")
DEFAULT_MAX_LENGTH = 500

YESNO_CHOICES = (Choice(YES, "Ja", ("j", "jo", "jep")), Choice(NO, "Nein", ("n", "nö", "ne")))
CONSENT_CHOICES = (Choice(YES, "Ja, ich bin einverstanden", ()), Choice(NO, "Nein", ()))
_FLOW_KEYS = ("id", "title", "kind", "items")
_CHOICE_KEYS = ("code", "label", "synonyms", "confirm", "data")
_COMMON_KEYS = (
    *("id", "kind", "text", "required", "when", "next", "role", "field", "share"),
    *COMMON,
)
_KIND_KEYS = {
    "single": ("choices", "source", *ANSWERED, *CHOICE_ONLY),
    "multi": ("choices", *ANSWERED, *CHOICE_ONLY),
    "number": ("min", "max", "integer", *ANSWERED),
    "text": ("max_length", "format", *ANSWERED),
    "consent": ("recipient",),
    "action": ("action",),
}
_ITEM_KEYS = (
    *_COMMON_KEYS,
    *(key for keys in _KIND_KEYS.values() for key in keys),
)
_ONE_OF = {"format": TEXT_FORMATS, "source": CHOICE_SOURCES, "action": tuple(ACTIONS)}


@dataclass
class _Draft:
    item: Item
    lines: dict[str, int]  # key -> line, to point at `next:` and `when:`


@dataclass
class _Reader(OdkKeys):
    """Reads one file's items and choices."""

    def item(self, node: Node) -> _Draft | None:
        line = line_of(node)
        fields = self.fields(node, "an item", None, peek_id(node))
        if fields is None:
            return None
        item_id = self.text(fields, "id", line, None, ITEM_ID)
        if item_id is None:
            return None
        raw_kind = self.text(fields, "kind", line, item_id)
        kind = raw_kind if raw_kind in NODE_KINDS else None
        if raw_kind is not None and kind is None:
            known = ", ".join(NODE_KINDS)
            message = f"unknown item kind '{raw_kind}' (one of: {known})"
            self.add(fields["kind"][0], message, item_id)
        allowed = _COMMON_KEYS + _KIND_KEYS.get(kind or "", ())
        for key, (key_line, _) in fields.items():
            if key not in _ITEM_KEYS:
                self.add(key_line, f"unknown key '{key}'{suggest(key, _ITEM_KEYS)}", item_id)
            elif kind is not None and key not in allowed:
                self.add(key_line, f"'{key}' is not allowed for {kind} items", item_id)
        when = self.odk_expr(fields, "relevant", line, item_id)
        if "when" in fields and (source := self.text(fields, "when", line, item_id)):
            try:
                when = parse(source)
            except ExprError as e:
                self.add(fields["when"][0], f"when: cannot parse '{source}': {e}", item_id)
        self.odk_conflicts(fields, item_id)
        if kind == "action" and "text" in fields:
            self.add(fields["text"][0], "'text' is not allowed for action items", item_id)
        item = Item(
            id=item_id,
            # an unknown kind is kept as written; a flow with problems is never built
            kind=cast(NodeKind, raw_kind or ""),
            text="" if kind == "action" else self.text(fields, "text", line, item_id) or "",
            line=line,
            choices=self.choices(fields, item_id, kind, line),
            required=self.boolean(fields, "required", item_id, True),
            when=when,
            next=self.text(fields, "next", line, item_id, ITEM_ID) if "next" in fields else None,
            min=self.number(fields, "min", item_id) if kind == "number" else None,
            max=self.number(fields, "max", item_id) if kind == "number" else None,
            integer=self.boolean(fields, "integer", item_id, True) if kind == "number" else True,
            max_length=self.max_length(fields, item_id) if kind == "text" else None,
            role=self.optional(fields, "role", line, item_id),
            field=self.optional(fields, "field", line, item_id),
            share=self.boolean(fields, "share", item_id, True),
            format=self.optional(fields, "format", line, item_id),
            source=self.optional(fields, "source", line, item_id),
            action=self.optional(fields, "action", line, item_id),
            recipient=self.optional(fields, "recipient", line, item_id, ITEM_ID),
            hint=self.odk_text(fields, "hint", line, item_id),
            constraint=self.odk_expr(fields, "constraint", line, item_id),
            constraint_message=self.odk_text(fields, "constraint_message", line, item_id),
            required_if=self.odk_expr(fields, "required_if", line, item_id),
            required_message=self.odk_text(fields, "required_message", line, item_id),
            default=self.odk_default(fields, kind, item_id),
            choice_filter=self.odk_expr(fields, "choice_filter", line, item_id),
        )
        if kind == "action" and item.action is None and "action" not in fields:
            self.add(line, "missing 'action' (action items name what to do)", item_id)
        self.check_range(item, fields)
        return _Draft(item, {key: key_line for key, (key_line, _) in fields.items()})

    def optional(
        self,
        fields: Fields,
        key: str,
        line: int,
        item: str,
        pattern: re.Pattern[str] | None = None,
    ) -> str | None:
        """An optional string; for keys with a fixed set of values, one of them."""
        if key not in fields:
            return None
        value = self.text(fields, key, line, item, pattern)
        allowed = _ONE_OF.get(key)
        if value is not None and allowed is not None and value not in allowed:
            message = f"unknown {key} '{value}' (one of: {', '.join(allowed)})"
            self.add(fields[key][0], message + suggest(value, allowed), item)
            return None
        return value

    def max_length(self, fields: Fields, item: str) -> int:
        if "max_length" not in fields:
            return DEFAULT_MAX_LENGTH
        value = self.scalar(fields, "max_length", NUMERIC)
        if isinstance(value, int) and value >= 1:
            return value
        self.add(fields["max_length"][0], "'max_length' must be a whole number >= 1", item)
        return DEFAULT_MAX_LENGTH

    def check_range(self, item: Item, fields: Fields) -> None:
        codes = {c.code for c in item.choices}
        bounds = (item.min, item.max, item.integer)
        if problem := default_problem(item.kind, item.default, codes, *bounds):
            self.add(fields["default"][0], problem, item.id)
        if item.min is not None and item.max is not None and item.min > item.max:
            message = f"min {item.min:g} is greater than max {item.max:g}"
            self.add(fields["min"][0], message, item.id)
        for key, value in (("min", item.min), ("max", item.max)):
            if item.integer and value is not None and value != int(value):
                message = f"{key} {value:g} is not a whole number but the item is integer"
                self.add(fields[key][0], message, item.id)

    def choices(self, fields: Fields, item: str, kind: str | None, line: int) -> tuple[Choice, ...]:
        if kind == "yesno":
            return YESNO_CHOICES
        if kind == "consent":
            return CONSENT_CHOICES
        if kind not in ("single", "multi"):
            return ()  # 'choices' on other kinds is already reported as not allowed
        if "choices" not in fields and "source" in fields:
            return ()  # all choices come from the source at run time
        if "choices" not in fields:
            self.add(line, f"missing 'choices' ({kind} items need them)", item)
            return ()
        key_line, node = fields["choices"]
        if not isinstance(node, SequenceNode) or not node.value:
            self.add(key_line, "'choices' must be a non-empty list", item)
            return ()
        result: list[Choice] = []
        code_lines: dict[str, int] = {}
        synonym_codes: dict[str, str] = {}
        # ODK's allow_choice_duplicates: the filter shows one of them at a time
        duplicates_allowed = "choice_filter" in fields
        for choice_node in node.value:
            choice_line = line_of(choice_node)
            choice_fields = self.fields(choice_node, "a choice", _CHOICE_KEYS, item)
            if choice_fields is None:
                continue
            code = self.text(choice_fields, "code", choice_line, item, CODE)
            label = self.text(choice_fields, "label", choice_line, item)
            synonyms = self.synonyms(choice_fields, item)
            confirm = self.boolean(choice_fields, "confirm", item, False)
            if code is None:
                continue
            if code in code_lines and not duplicates_allowed:
                message = f"duplicate choice code '{code}' (first at line {code_lines[code]})"
                self.add(choice_fields["code"][0], message, item)
                continue
            code_lines[code] = choice_fields["code"][0]
            # A typed synonym must lead to exactly one choice.
            for synonym in synonyms:
                other = synonym_codes.setdefault(synonym.casefold(), code)
                if other != code:
                    message = f"synonym '{synonym}' is used by choices '{other}' and '{code}'"
                    self.add(choice_fields["synonyms"][0], message, item)
            data = self.choice_data(choice_fields, item)
            result.append(Choice(code, label or "", synonyms, confirm, data))
        return tuple(result)

    def synonyms(self, fields: Fields, item: str) -> tuple[str, ...]:
        if "synonyms" not in fields:
            return ()
        key_line, node = fields["synonyms"]
        values = node.value if isinstance(node, SequenceNode) else None
        if values is None or not all(isinstance(v, ScalarNode) and v.value for v in values):
            self.add(key_line, "'synonyms' must be a list of words", item)
            return ()
        return tuple(v.value for v in values)


# --- files -------------------------------------------------------------------------------


def _read(path: str) -> tuple[Flow | None, int, list[Problem]]:
    """The flow (None when there are problems), the line of its id, and its problems."""
    reader = _Reader(path)
    flow, id_line = _read_into(reader, path)
    problems = sorted(reader.problems, key=lambda p: p.line)
    return (None if problems else flow), id_line, problems


def _read_into(reader: _Reader, path: str) -> tuple[Flow | None, int]:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        reader.add(1, f"cannot read file: {e.strerror or e}")
        return None, 1
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        reader.add(data.count(b"\n", 0, e.start) + 1, "file is not valid UTF-8")
        return None, 1
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        detail = e.problem or e.context or "invalid YAML"
        if e.context and e.context_mark and e.problem:  # e.g. where an unclosed quote began
            detail += f" ({e.context} at line {e.context_mark.line + 1})"
        reader.add(mark.line + 1 if mark else 1, f"YAML syntax error: {detail}")
        return None, 1
    except yaml.YAMLError as e:
        reader.add(1, f"YAML syntax error: {e}")
        return None, 1
    if root is None:
        reader.add(1, "the file is empty; expected a mapping with id, title and items")
        return None, 1
    top = reader.fields(root, "the top level", _FLOW_KEYS)
    if top is None:
        return None, 1
    line = line_of(root)
    flow_id = reader.text(top, "id", line, pattern=FLOW_ID)
    title = reader.text(top, "title", line)
    kind = reader.text(top, "kind", line) if "kind" in top else "demo"
    if kind is not None and kind not in FLOW_KINDS:
        reader.add(top["kind"][0], f"unknown flow kind '{kind}' (one of: {', '.join(FLOW_KINDS)})")
    drafts: list[_Draft] = []
    if "items" not in top:
        reader.add(line, "missing 'items'")
    elif not isinstance(items := top["items"][1], SequenceNode) or not items.value:
        reader.add(top["items"][0], "'items' must be a non-empty list")
    else:
        drafts = [d for node in items.value if (d := reader.item(node)) is not None]
        for line_, item_id, message in check_graph([(d.item, d.lines) for d in drafts]):
            reader.add(line_, message, item_id)
        if kind in FLOW_KINDS and not reader.problems:
            for line_, item_id, message in check_roles_and_actions(
                kind, [d.item for d in drafts], line
            ):
                reader.add(line_, message, item_id)
    id_line = top["id"][0] if "id" in top else line
    if reader.problems or flow_id is None or title is None or kind not in FLOW_KINDS:
        return None, id_line
    version = hashlib.sha256(data).hexdigest()[:12]
    flow_kind = cast(Literal["demo", "survey", "intake"], kind)
    items_ = tuple(d.item for d in drafts)
    return Flow(flow_id, version, title, items_, path=path, kind=flow_kind), id_line


def read_flow(path: str | os.PathLike[str]) -> tuple[Flow | None, int, list[Problem]]:
    """One file: the flow (None when it has problems), the line of its id, its problems."""
    return _read(os.fspath(path))


def load_flow(path: str | os.PathLike[str]) -> Flow:
    """Load and validate one flow file; raises FlowError listing every problem."""
    flow, _, problems = _read(os.fspath(path))
    if flow is None:
        raise FlowError(problems)
    return flow


def load_flows(directory: str | os.PathLike[str]) -> dict[str, Flow]:
    """Load every *.yaml in `directory`, keyed by flow id; FlowError lists all problems."""
    flows: dict[str, Flow] = {}
    problems: list[Problem] = []
    for file in sorted(Path(directory).glob("*.yaml")):
        flow, id_line, file_problems = _read(str(file))
        problems.extend(file_problems)
        if flow is None:
            continue
        if flow.id in flows:
            message = f"duplicate flow id '{flow.id}' (also in {flows[flow.id].path})"
            problems.append(Problem(flow.path, id_line, None, message))
        else:
            flows[flow.id] = flow
    if problems:
        raise FlowError(problems)
    return flows
