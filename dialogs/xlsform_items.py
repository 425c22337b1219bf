"""pyxform's form elements -> flow items with ODK's meaning, or the reason why not (with the
cell it comes from). What a chat cannot ask is refused; metadata and calculations nothing
depends on are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pyxform import aliases
from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

from dialogs.expr import ITEM_ID, parse_odk
from dialogs.xlsform_book import Book, Cell, choice_rows, element_rows
from dialogs.xlsform_kinds import (
    GENERATED_DE,
    MAX_CODE,
    REFUSED,
    bounds,
    kind_of,
    num,
)
from dialogs.xlsform_text import DEFAULT, REF, Languages, flow_text, pick, references, translations
from dialogs.xpath import XPathError, parse
from dialogs.yaml_nodes import CODE


@dataclass
class Issue:
    cell: Cell
    message: str  # the root cause; issues with the same cause are shown on one line
    subject: str = ""  # what it is about ('geopoint'), listed on that line


@dataclass
class Draft:
    name: str  # the XLSForm name
    id: str  # the flow item id
    row: int
    doc: dict[str, Any] = field(default_factory=dict)  # the YAML item
    reads: set[str] = field(default_factory=set)  # XLSForm names it needs
    issues: list[Issue] = field(default_factory=list)  # refused (root causes)
    optional: str | None = None  # left out unless something reads it: why
    subject: str = ""  # its type, when it is left out
    texts: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # msgid, {locale: …}


@dataclass
class Group:
    name: str
    row: int
    relevant: str | None  # translated source, or None
    reads: set[str]
    issue: Issue | None


class Converter:
    def __init__(self, book: Book, lang: Languages, flow_id: str) -> None:
        self.book, self.lang, self.flow_id = book, lang, flow_id
        self.rows = element_rows(book)
        self.choice_rows = choice_rows(book)
        self.ids: dict[str, str] = {}  # XLSForm name -> item id (names ${} can refer to)
        self.el_ids: dict[int, str] = {}  # id(element) -> item id
        self.kinds: dict[str, str] = {}
        self.inside: dict[str, str] = {}  # names inside a repeat -> the repeat's name
        self.notes: list[Issue] = []  # things not carried over, for the operator
        self.media = False

    # --- names ---------------------------------------------------------------------------
    def elements(self) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
        """Every element but pyxform's meta group, with the names of its groups; the inside
        of a repeat is not walked (the repeat is refused as a whole)."""

        def walk(els: list[dict[str, Any]], path: tuple[str, ...]) -> Iterator[Any]:
            for el in els:
                if el.get("control", {}).get("bodyless"):
                    continue  # pyxform's own meta group (instanceID)
                yield el, path
                if el.get("type") == "group":
                    yield from walk(el.get("children", []), (*path, str(el.get("name"))))

        yield from walk(self.book.form.get("children", []), ())

    def assign_ids(self) -> None:
        """The XLSForm name, or `group.name` where the same name is in several groups."""
        counts: dict[str, int] = {}
        for el, _ in self.elements():
            counts[str(el.get("name"))] = counts.get(str(el.get("name")), 0) + 1
        for el, path in self.elements():
            name = str(el.get("name"))
            self.kinds[name] = kind_of(el)[0]
            unique = counts[name] == 1 or el.get("type") == "group" or not path
            self.el_ids[id(el)] = name if unique else f"{path[-1]}.{name}"
            if counts[name] == 1:
                self.ids[name] = name
            if el.get("type") in ("repeat", "loop"):
                self._inside(el.get("children", []), name)

    def _inside(self, els: list[dict[str, Any]], repeat: str) -> None:
        for el in els:
            self.inside[str(el.get("name"))] = repeat
            self._inside(el.get("children", []), repeat)

    def rename(self, name: str) -> str:
        return self.ids.get(name, name)

    def cell(self, el: dict[str, Any], column: str) -> Cell:
        return self.book.survey.cell(self.rows.get(id(el), 2), column)

    # --- expressions -----------------------------------------------------------------------
    def expression(
        self, el: dict[str, Any], column: str, source: str
    ) -> tuple[str | None, set[str], Issue | None]:
        """ODK source -> flow source with item ids; the names it reads; or the problem."""
        text = re.sub(r"\.\./([A-Za-z_][\w.-]*)", r"${\1}", source.strip())  # or_other
        names = references(text)
        bad = sorted(n for n in names if self.kinds.get(n) == "group")
        if bad:
            return None, names, Issue(self.cell(el, column), f"${{{bad[0]}}} is a group")
        flow = REF.sub(lambda m: "${" + self.rename(m.group(1)) + "}", text)
        try:
            parse_odk(flow, dot=column == "constraint", columns=column == "choice_filter")
        except XPathError as e:
            return None, names, Issue(self.cell(el, column), e.message)
        return flow, names, None

    def group(self, el: dict[str, Any], parents: list[Group]) -> Group:
        rel = str(el.get("bind", {}).get("relevant", "") or "")
        source: str | None = None
        reads: set[str] = set()
        issue = None
        if rel:
            source, reads, issue = self.expression(el, "relevant", rel)
        reads |= {n for g in parents for n in g.reads}
        return Group(str(el.get("name")), self.rows.get(id(el), 2), source, reads, issue)

    # --- items -----------------------------------------------------------------------------
    def draft(self, el: dict[str, Any], parents: list[Group]) -> Draft:
        name = str(el.get("name"))
        d = Draft(name, self.el_ids.get(id(el), name), self.rows.get(id(el), 2))
        d.reads = {n for g in parents for n in g.reads}
        kind, why = kind_of(el)
        own_row = self.book.survey.value(d.row, "name") == name  # pyxform adds some itself
        raw_type = (own_row and self.book.survey.value(d.row, "type")) or str(el.get("type"))
        if kind == "optional":
            d.optional = why
            d.subject = f"'{raw_type}'"
            return d
        if kind == "refused":
            reason = REFUSED.get(why or "", "this question type is not supported in a chat")
            d.issues.append(Issue(self.cell(el, "type"), reason, f"'{raw_type}'"))
            return d
        if not ITEM_ID.fullmatch(d.id):
            message = f"name '{name}' cannot be an item id (letters, digits, _ . -)"
            d.issues.append(Issue(self.cell(el, "name"), message))
            return d
        appearance = str(el.get("control", {}).get("appearance", "") or "")
        if appearance.startswith("search(") or "search(" in appearance:
            d.issues.append(Issue(self.cell(el, "appearance"), REFUSED["file"] + " (search())"))
            return d
        if kind in ("single", "multi") and appearance == "label":
            d.optional = "a table-list header row (its choices are shown with each question)"
            return d
        if el.get("media"):
            self.media = True
        flow_kind = "single" if kind == "acknowledge" else kind
        d.doc = {"id": d.id, "kind": flow_kind}
        self.texts(el, d)
        if not d.doc.get("text"):
            if kind == "info":
                d.optional = "a note without text (media only)"
            else:
                column = "label" if self.lang.source == DEFAULT else f"label::{self.lang.source}"
                d.issues.append(Issue(self.cell(el, column), "empty label"))
            return d
        self.logic(el, d, parents, kind)
        if kind in ("single", "multi"):
            self.choices(el, d)
        elif kind == "acknowledge":
            d.doc["choices"] = [{"code": "OK", "label": "OK"}]
        if kind in ("number", "text", "single", "multi") and "default" in el:
            self.default(el, d, kind)
        return d

    def text(self, el: dict[str, Any], value: Any, d: Draft, column: str) -> str:
        source = pick(value, self.lang)
        d.reads |= references(source)
        if self.lang.source_locale == "de" and source in GENERATED_DE:
            return GENERATED_DE[source]
        text = flow_text(source, self.rename)
        unsafe = sorted(n for n in references(source) if "." in self.rename(n))
        if unsafe:
            d.issues.append(Issue(self.cell(el, column), f"${{{unsafe[0]}}} cannot be shown"))
        if text:
            d.texts.append((text, dict(translations(value, self.lang, self.rename))))
        return text

    def texts(self, el: dict[str, Any], d: Draft) -> None:
        label = self.text(el, el.get("label"), d, "label")
        implied = QUESTION_TYPE_DICT.get(str(el.get("type")), {}).get("hint")
        raw_hint = el.get("hint") or implied
        hint = self.text(el, raw_hint, d, "hint") if raw_hint else ""
        d.doc["text"] = label or hint
        if label and hint:
            d.doc["hint"] = hint
        bind = el.get("bind", {})
        for key, column in (
            ("jr:constraintMsg", "constraint_message"),
            ("jr:requiredMsg", "required_message"),
        ):
            if bind.get(key):
                d.doc[column] = self.text(el, bind[key], d, column)

    def logic(self, el: dict[str, Any], d: Draft, parents: list[Group], kind: str) -> None:
        implied = QUESTION_TYPE_DICT.get(str(el.get("type")), {}).get("bind", {})
        bind = {**{k: v for k, v in implied.items() if k == "constraint"}, **el.get("bind", {})}
        sources = [g.relevant for g in parents if g.relevant]
        for key, column in (("relevant", "relevant"), ("constraint", "constraint"),
                            ("required", "required")):  # fmt: skip
            raw = str(bind.get(key, "") or "").strip()
            if not raw or (key == "constraint" and kind == "info"):
                continue
            if key == "required":
                flag = aliases.yes_no.get(raw)
                if flag is not None:
                    if kind != "info":
                        d.doc["required"] = flag
                    continue
            source, names, issue = self.expression(el, column, raw)
            d.reads |= names
            if issue is not None:
                d.issues.append(issue)
            elif key == "relevant" and source:
                sources.append(source)
            elif key == "required" and source and kind != "info":
                d.doc["required_if"] = source
            elif key == "constraint" and source:
                d.doc["constraint"] = source
        if sources:
            d.doc["relevant"] = " and ".join(f"({s})" for s in sources) if len(sources) > 1 else (
                sources[0])  # fmt: skip
        if kind == "info":
            d.doc.pop("constraint_message", None)
            d.doc.pop("required_message", None)
        elif "required" not in d.doc and "required_if" not in d.doc:
            d.doc["required"] = False  # XLSForm's default: optional
        if bind.get("calculate"):
            d.issues.append(Issue(self.cell(el, "calculation"), "a calculated question"))
        if kind == "number":
            self.number(el, d)
        if el.get("choice_filter") and kind in ("single", "multi"):
            raw = str(el["choice_filter"])
            source, names, issue = self.expression(el, "choice_filter", raw)
            d.reads |= names
            columns = {str(k) for c in el.get("choices") or [] for k in c} - {"label", "media"}
            unknown = sorted(parse(source, columns=True).columns - columns) if source else []
            if issue is None and unknown:
                message = f"'{unknown[0]}' is no column of the choices (ODK Collect stops here)"
                issue = Issue(self.cell(el, "choice_filter"), message)
            if issue is not None:
                d.issues.append(issue)
            else:
                d.doc["choice_filter"] = source

    def number(self, el: dict[str, Any], d: Draft) -> None:
        t = str(el.get("type"))
        data_type = QUESTION_TYPE_DICT.get(t, {}).get("bind", {}).get("type")
        params = el.get("parameters", {}) or {}
        integer = data_type == "int"
        low = high = None
        if t == "range":
            start, end = (float(params.get(k, v)) for k, v in (("start", 1), ("end", 10)))
            step = float(params.get("step", 1))
            integer = all(float(x).is_integer() for x in (start, end, step))
            low, high = min(start, end), max(start, end)
            if step not in (0, 1, -1):
                rule = f"(. - {num(low)}) mod {num(abs(step))} = 0"
                d.doc["constraint"] = f"({d.doc['constraint']}) and {rule}" if (
                    "constraint" in d.doc) else rule  # fmt: skip
        elif "constraint" in d.doc:
            low, high, whole = bounds(parse_odk(d.doc["constraint"], dot=True), integer)
            if whole:
                del d.doc["constraint"]
        d.doc["integer"] = integer
        if low is not None:
            d.doc["min"] = num(low)
        if high is not None:
            d.doc["max"] = num(high)

    def choices(self, el: dict[str, Any], d: Draft) -> None:
        list_name = str(el.get("list_name") or el.get("itemset") or "")
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for n, choice in enumerate(el.get("choices") or []):
            row = self.choice_rows.get((list_name, n))
            where = self.book.choices.cell(row, "name") if row else self.cell(el, "type")
            code = str(choice.get("name", ""))
            if not CODE.fullmatch(code) or len(code) > MAX_CODE:
                message = (
                    f"choice name '{code}' cannot be an answer code (letters, digits, _ . + -)"
                )
                d.issues.append(Issue(where, message))
                continue
            if code in seen and "choice_filter" not in d.doc:
                message = f"duplicate choice name '{code}' in list '{list_name}'"
                d.issues.append(Issue(where, message))
                continue
            seen.add(code)
            probe = Draft(d.name, d.id, d.row)
            label = self.text(el, choice.get("label"), probe, "label") or code
            if probe.reads:
                label_cell = self.book.choices.cell(row, "label") if row else where
                d.issues.append(Issue(label_cell, "answers shown in choice labels (${…})"))
            d.texts += probe.texts
            entry: dict[str, Any] = {"code": code, "label": label}
            data = {
                str(k): str(v)
                for k, v in choice.items()
                if k not in ("name", "label", "media") and isinstance(v, str | int | float)
            }
            if data and "choice_filter" in d.doc:
                entry["data"] = data
            out.append(entry)
            if choice.get("media"):
                self.media = True
        d.doc["choices"] = out
        if not out and not d.issues:
            d.issues.append(Issue(self.cell(el, "type"), f"list '{list_name}' has no choices"))

    def default(self, el: dict[str, Any], d: Draft, kind: str) -> None:
        raw = str(el.get("default", "")).strip()
        if not raw:
            return
        where = self.cell(el, "default")
        if "${" in raw or "(" in raw:
            d.issues.append(Issue(where, "a default computed from other answers"))
            return
        if kind == "number":
            try:
                d.doc["default"] = num(float(raw))
            except ValueError:
                d.issues.append(Issue(where, f"default '{raw}' is not a number"))
        elif kind == "multi":
            d.doc["default"] = raw.split()
        else:
            d.doc["default"] = raw
