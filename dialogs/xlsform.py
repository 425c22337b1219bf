"""Import an XLSForm (the KoBoToolbox/ODK survey format) as a Wegweiser survey flow (YAML).

Supported: sheets `survey`, `choices`, `settings`; question types select_one, select_multiple,
integer, decimal, text, note (begin/end group are flattened; metadata types such as start or
deviceid are left out on purpose: Wegweiser records no times or devices). Columns: type, name,
label (or `label::Language (code)`), required, relevant (→ `when:`), constraint (→ min/max
of numbers). The German label is the flow text (source language). Labels in a supported
language (`label::العربية (ar)`) are collected as translations keyed by (context, German text),
for `wegweiser.catalogs.merge` to put into that language's gettext catalog; columns in other
languages are reported.

Every problem names sheet, row and column: `survey!C7 (relevant): …`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import yaml

ITEM_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*$")
CODE = re.compile(r"[a-z0-9_§.+-]+$")
FLOW_ID = re.compile(r"[a-z0-9_-]+$")
SUPPORTED = ("select_one", "select_multiple", "integer", "decimal", "text", "note")
FLATTENED = ("begin group", "end group", "begin_group", "end_group")
LEFT_OUT = (
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
)
_LANG_COL = re.compile(r"label::(.+?)(?:\s*\(([A-Za-z_-]+)\))?$")
_GERMAN = ("de", "deu", "ger", "german", "deutsch")


class XLSFormError(Exception):
    """Problems in the form; `problems` lists every one as 'sheet!CELL (column): message'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Imported:
    flow_id: str
    yaml_text: str
    notes: list[str] = field(default_factory=list)  # what was left out, for the operator
    # locale -> {(msgctxt, German msgid): translation}; empty cells are left out
    translations: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)


@dataclass
class _Sheet:
    name: str
    header: dict[str, int]  # column name (lower case) -> 0-based index
    rows: list[tuple[int, list[Any]]]  # (1-based row number, values)

    def cell(self, row: int, col: str) -> str:
        idx = self.header.get(col)
        return f"{self.name}!{_letter(idx)}{row}" if idx is not None else f"{self.name}!?{row}"

    def get(self, values: list[Any], col: str) -> str:
        idx = self.header.get(col)
        if idx is None or idx >= len(values) or values[idx] is None:
            return ""
        v = values[idx]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()


def _letter(idx: int | None) -> str:
    if idx is None:
        return "?"
    n, out = idx + 1, ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _sheets(data: bytes) -> dict[str, _Sheet]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # any reader error means "not an xlsx" to the operator
        raise XLSFormError([f"cannot read the file as .xlsx: {type(e).__name__}"]) from None
    sheets: dict[str, _Sheet] = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if not rows:
            continue
        header = {
            str(h).strip().lower()
            if not str(h).lower().startswith("label::")
            else str(h).strip(): i
            for i, h in enumerate(rows[0])
            if h is not None and str(h).strip()
        }
        body = [(n + 2, list(r)) for n, r in enumerate(rows[1:]) if any(v is not None for v in r)]
        sheets[ws.title.strip().lower()] = _Sheet(ws.title.strip().lower(), header, body)
    return sheets


def supported_locale(code: str) -> str | None:
    """`ar`, `fa-AF`, `FA_af` → the Wegweiser locale; None for German or an unsupported code."""
    from wegweiser.i18n import LOCALE_ORDER, SOURCE

    wanted = code.replace("-", "_").lower()
    return next((loc for loc in LOCALE_ORDER if loc.lower() == wanted and loc != SOURCE), None)


def _label_column(
    sheet: _Sheet, problems: list[str], notes: list[str]
) -> tuple[str | None, dict[str, str]]:
    """The German label column (`label::Deutsch (de)`), else a plain `label`; and the
    translation columns as {locale: column}."""
    german, others, languages = None, [], {}
    for col in sheet.header:
        m = _LANG_COL.match(col)
        if not m:
            continue
        name, code = m.group(1).strip(), (m.group(2) or "").lower()
        if code in _GERMAN or name.lower() in _GERMAN:
            german = col
        elif locale := supported_locale(code):
            languages[locale] = col
        else:
            others.append(col)
    if others:
        notes.append(f"{sheet.name}: not imported (no supported language): {', '.join(others)}")
    if german:
        return german, languages
    if "label" in sheet.header:
        return "label", languages
    problems.append(f"{sheet.name}!1: no German label column (label::Deutsch (de) or label)")
    return None, languages


# ------------------------------------------------------------------ relevant / constraint

_TOKEN = re.compile(
    r"\s*(?:(?P<ref>\$\{[^}]*\})|(?P<str>'[^']*'|\"[^\"]*\")|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op>!=|>=|<=|=|>|<)|(?P<p>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_-]*)|(?P<dot>\.))"
)


def _tokens(source: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(source):
        if source[i:].strip() == "":
            break
        m = _TOKEN.match(source, i)
        if not m or m.end() == i:
            raise ValueError(f"cannot read '{source[i : i + 12]}'")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        i = m.end()
    return out


def _literal(text: str) -> str:
    inner = text[1:-1]
    return inner.lower() if CODE.match(inner.lower()) else f"'{inner}'"


def translate_relevant(source: str, kinds: dict[str, str]) -> str:
    """XLSForm `relevant` → Wegweiser `when:`; ValueError names what is not supported."""
    toks = _tokens(source)
    out: list[str] = []
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        if kind == "ref":
            name = text[2:-1]
            if name not in kinds:
                raise ValueError(f"${{{name}}} names no earlier question")
            out.append(name)
        elif kind == "word" and text == "selected":
            # selected(${q}, 'code')
            parts = toks[i + 1 : i + 6]
            shape = [k for k, _ in parts]
            if shape != ["p", "ref", "p", "str", "p"] or parts[0][1] != "(" or parts[2][1] != ",":
                raise ValueError("selected() needs the form selected(${question}, 'code')")
            name = parts[1][1][2:-1]
            if name not in kinds:
                raise ValueError(f"${{{name}}} names no earlier question")
            code = _literal(parts[3][1])
            out.append(f"{code} in {name}" if kinds[name] == "multi" else f"{name} == {code}")
            i += 6
            continue
        elif kind == "word" and text in ("and", "or"):
            out.append(text)
        elif kind == "word" and text == "not":
            out.append("not")
        elif kind == "word":
            raise ValueError(f"function or word '{text}' is not supported")
        elif kind == "op":
            out.append("==" if text == "=" else text)
        elif kind == "str":
            out.append(_literal(text))
        elif kind == "num":
            out.append(text)
        elif kind == "p" and text in "()":
            out.append(text)
        else:
            raise ValueError(f"'{text}' is not supported here")
        i += 1
    return " ".join(out).replace("( ", "(").replace(" )", ")")


_BOUND = re.compile(r"^\.\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)$")


def translate_constraint(source: str, integer: bool) -> tuple[float | None, float | None]:
    """`. >= 0 and . <= 15` → (0, 15). Only bounds joined by `and` are supported."""
    low = high = None
    for part in re.split(r"\s+and\s+", source.strip()):
        m = _BOUND.match(part.strip())
        if not m:
            raise ValueError(f"only bounds like '. >= 0 and . <= 15' are supported, not '{part}'")
        op, value = m.group(1), float(m.group(2))
        step = 1 if integer else 0
        if op == ">=":
            low = value
        elif op == ">":
            if not integer:
                raise ValueError("'>' on decimals cannot be expressed; use '>='")
            low = value + step
        elif op == "<=":
            high = value
        else:
            if not integer:
                raise ValueError("'<' on decimals cannot be expressed; use '<='")
            high = value - step
    return low, high


# ------------------------------------------------------------------ the import


def import_xlsform(data: bytes, default_id: str = "xlsform") -> Imported:
    problems: list[str] = []
    notes: list[str] = []
    sheets = _sheets(data)
    survey = sheets.get("survey")
    if survey is None:
        raise XLSFormError(["the workbook has no 'survey' sheet"])
    for col in ("type", "name"):
        if col not in survey.header:
            problems.append(f"survey!1: missing column '{col}'")
    if problems:
        raise XLSFormError(problems)
    settings = sheets.get("settings")
    s_values = settings.rows[0][1] if settings and settings.rows else []
    flow_id = (settings.get(s_values, "form_id") if settings else "") or default_id
    flow_id = re.sub(r"[^a-z0-9_-]+", "-", flow_id.lower()).strip("-") or default_id
    title = (settings.get(s_values, "form_title") if settings else "") or flow_id
    label_col, languages = _label_column(survey, problems, notes)
    translations: dict[str, dict[tuple[str, str], str]] = {}

    def translated(locale: str, context: str, msgid: str, text: str) -> None:
        if msgid and text:
            translations.setdefault(locale, {})[(context, msgid)] = text

    lists: dict[str, list[dict[str, Any]]] = {}
    choice_texts: dict[tuple[str, str], dict[str, str]] = {}  # (list, code) -> {locale: label}
    choices = sheets.get("choices")
    if choices is not None:
        c_label, c_languages = _label_column(choices, problems, notes)
        for col in ("list_name", "name"):
            if col not in choices.header:
                problems.append(f"choices!1: missing column '{col}'")
        if "list_name" in choices.header and "name" in choices.header and c_label:
            for row, values in choices.rows:
                list_name = choices.get(values, "list_name")
                code = choices.get(values, "name").lower()
                label = choices.get(values, c_label)
                if not CODE.match(code):
                    problems.append(
                        f"{choices.cell(row, 'name')} (name): choice name '{code}' must be "
                        "lower-case letters, digits and _ . + - §"
                    )
                    continue
                if not label:
                    problems.append(f"{choices.cell(row, c_label)} ({c_label}): empty label")
                entries = lists.setdefault(list_name, [])
                if any(e["code"] == code for e in entries):
                    problems.append(
                        f"{choices.cell(row, 'name')} (name): duplicate choice '{code}' "
                        f"in list '{list_name}'"
                    )
                    continue
                entries.append({"code": code, "label": label})
                choice_texts[(list_name, code)] = {
                    loc: choices.get(values, col) for loc, col in c_languages.items()
                }

    items: list[dict[str, Any]] = []
    kinds: dict[str, str] = {}
    for row, values in survey.rows:
        qtype = survey.get(values, "type")
        name = survey.get(values, "name")
        base = qtype.split()[0] if qtype else ""
        where = survey.cell(row, "type")
        if qtype in FLATTENED or base in FLATTENED or qtype.replace(" ", "_") in FLATTENED:
            continue
        if base in LEFT_OUT:
            notes.append(f"{where}: '{qtype}' left out (Wegweiser records no times or devices)")
            continue
        if base not in SUPPORTED:
            problems.append(
                f"{where} (type): question type '{qtype}' is not supported "
                f"(supported: {', '.join(SUPPORTED)})"
            )
            continue
        if not ITEM_ID.match(name or ""):
            problems.append(f"{survey.cell(row, 'name')} (name): '{name}' is not a valid item id")
            continue
        if name in kinds:
            problems.append(f"{survey.cell(row, 'name')} (name): duplicate name '{name}'")
            continue
        label = survey.get(values, label_col) if label_col else ""
        if not label:
            problems.append(f"{survey.cell(row, label_col or 'label')} ({label_col}): empty label")
        item: dict[str, Any] = {"id": name}
        if base in ("select_one", "select_multiple"):
            parts = qtype.split()
            if len(parts) != 2:
                problems.append(f"{where} (type): '{qtype}' needs a list name")
                continue
            if parts[1] not in lists:
                problems.append(f"{where} (type): choice list '{parts[1]}' is not on 'choices'")
                continue
            item["kind"] = "single" if base == "select_one" else "multi"
        else:
            item["kind"] = {
                "integer": "number",
                "decimal": "number",
                "text": "text",
                "note": "info",
            }[base]
        item["text"] = label
        required = survey.get(values, "required").lower() in ("yes", "true", "1", "true()")
        if item["kind"] != "info" and not required:
            item["required"] = False
        relevant = survey.get(values, "relevant")
        if relevant:
            try:
                item["when"] = translate_relevant(relevant, kinds)
            except ValueError as e:
                problems.append(f"{survey.cell(row, 'relevant')} (relevant): {e}")
        if item["kind"] == "number":
            item["integer"] = base == "integer"
            constraint = survey.get(values, "constraint")
            low = high = None
            if constraint:
                try:
                    low, high = translate_constraint(constraint, base == "integer")
                except ValueError as e:
                    problems.append(f"{survey.cell(row, 'constraint')} (constraint): {e}")
            item["min"] = _num(low if low is not None else 0)
            item["max"] = _num(high if high is not None else 999)
        elif survey.get(values, "constraint"):
            problems.append(
                f"{survey.cell(row, 'constraint')} (constraint): constraints are supported on "
                "integer and decimal questions only"
            )
        context = f"{flow_id}:{name}"
        for loc, col in languages.items():
            translated(loc, context, label, survey.get(values, col))
        if item["kind"] in ("single", "multi"):
            item["choices"] = lists[qtype.split()[1]]
            for choice in item["choices"]:
                for loc, text in choice_texts[(qtype.split()[1], choice["code"])].items():
                    translated(loc, context, choice["label"], text)
        items.append(item)
        kinds[name] = item["kind"]
    if not items and not problems:
        problems.append("survey: no questions to import")
    if problems:
        raise XLSFormError(problems)
    doc = {"id": flow_id, "title": title, "kind": "survey", "items": items}
    text = "# Imported from an XLSForm. Texts are German source strings.\n" + yaml.safe_dump(
        doc, allow_unicode=True, sort_keys=False, width=100
    )
    return Imported(flow_id, text, notes, translations)


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def import_file(path: Path, default_id: str | None = None) -> Imported:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise XLSFormError([f"cannot read {path}: {e.strerror or e}"]) from None
    return import_xlsform(data, default_id or path.stem.lower())
