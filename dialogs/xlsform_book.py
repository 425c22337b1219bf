"""Reading an XLSForm with pyxform, the reference implementation ODK and KoBoToolbox use, and
keeping what pyxform forgets: where each question and choice stands in the workbook (sheet,
row, column letter), so every problem can name its cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from pyxform import aliases
from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import DefinitionData, get_xlsform
from pyxform.xls2xform import convert

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".md", ".csv")
# pyxform's internal names of some columns -> the XLSForm column they come from
_CANONICAL = {
    "jr:constraintMsg": "constraint_message",
    "jr:requiredMsg": "required_message",
    "calculate": "calculation",
    "list name": "list_name",
}


class ReadError(Exception):
    """The workbook cannot be read, or pyxform itself refuses it."""


@dataclass(frozen=True)
class Cell:
    sheet: str
    row: int | None  # 1-based sheet row; None for the sheet as a whole
    column: str  # the XLSForm column ("type", "relevant", "label::English (en)")
    letter: str  # "E", or "" when unknown

    def __str__(self) -> str:
        if self.row is None:
            return self.sheet
        return f"{self.sheet}!{self.letter or '?'}{self.row}"


@dataclass
class Sheet:
    name: str
    rows: list[dict[str, str]]  # raw rows as pyxform read them; index i is sheet row i + 2
    letters: dict[str, str]  # raw header -> column letter
    columns: dict[str, str] = field(default_factory=dict)  # canonical column -> raw header

    def cell(self, row: int | None, column: str) -> Cell:
        raw = self.columns.get(column, column)
        return Cell(self.name, row, raw, self.letters.get(raw, ""))

    def value(self, row: int, column: str) -> str:
        raw = self.columns.get(column, column)
        return str(self.rows[row - 2].get(raw, "")) if 2 <= row < len(self.rows) + 2 else ""


@dataclass
class Book:
    form: dict[str, Any]  # pyxform's JSON form (workbook_to_json)
    survey: Sheet
    choices: Sheet
    settings: dict[str, str]
    warnings: list[str]


def _letter(index: int) -> str:
    n, out = index + 1, ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def canonical(header: str, sheet: str) -> str:
    """`relevance` -> relevant, `list name` -> list_name, `label::English (en)` -> label."""
    base = re.sub(r"^(?:bind|control|media)::?", "", header.strip())
    base = base.split("::", 1)[0].strip()
    table = aliases.list_header if sheet == "choices" else aliases.survey_header
    found = table.get(base, table.get(base.lower(), base))
    name = (found[-1] if isinstance(found, tuple) else found) or base
    return _CANONICAL.get(name, name)


def _header_rows(data: bytes) -> dict[str, list[str]]:
    """The first row of every sheet, with empty cells kept, so column letters are right."""
    out: dict[str, list[str]] = {}
    try:
        from openpyxl import load_workbook

        wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
        for ws in wb.worksheets:
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            out[ws.title.strip().lower()] = ["" if v is None else str(v).strip() for v in first]
        wb.close()
        return out
    except Exception:  # noqa: S110 - not an .xlsx: try the older format below
        pass
    try:
        import xlrd

        book = xlrd.open_workbook(file_contents=data)
        for sh in book.sheets():
            first = sh.row_values(0) if sh.nrows else []
            out[sh.name.strip().lower()] = [str(v).strip() for v in first]
    except Exception:  # noqa: S110 - CSV or markdown forms: letters stay unknown
        pass
    return out


def _sheet(name: str, rows: Any, header: Any, first_row: list[str]) -> Sheet:
    names = list((header or [{}])[0].keys()) if header else []
    clean = [re.sub(r"( )+", " ", h) for h in first_row] or names  # CSV: no empty columns
    letters = {h: _letter(clean.index(h)) for h in names if h in clean}
    sheet = Sheet(name, list(rows or []), letters)
    for raw in names:
        sheet.columns.setdefault(canonical(raw, name), raw)
    return sheet


def read_book(data: bytes, suffix: str | None = None) -> Book:
    """Read the workbook as ODK does; ReadError carries pyxform's own message."""
    file_type = suffix if suffix in SUFFIXES else None
    try:
        definition: DefinitionData = get_xlsform(data, file_type=file_type)
        warnings: list[str] = []
        # the whole conversion to an XForm, so a form pyxform refuses is refused here too
        form = convert(data, warnings=warnings, file_type=file_type)._pyxform
    except PyXFormError as e:
        raise ReadError(str(e).strip()) from None
    except Exception as e:  # any reader failure means "not a form" to the operator
        raise ReadError(f"cannot read the file as an XLSForm ({type(e).__name__})") from None
    firsts = _header_rows(data)
    survey = _sheet("survey", definition.survey, definition.survey_header, firsts.get("survey", []))
    choices = _sheet(
        "choices", definition.choices, definition.choices_header, firsts.get("choices", [])
    )
    settings = dict((definition.settings or [{}])[0]) if definition.settings else {}
    return Book(form or {}, survey, choices, settings, warnings)


def element_rows(book: Book) -> dict[int, int]:
    """id(element of the pyxform form) -> its survey row. Elements pyxform adds itself (the
    text question of `or_other`, table-list headers) get the row of the element before."""
    names = [
        (n + 2, row.get(book.survey.columns.get("name", "name"), ""))
        for n, row in enumerate(book.survey.rows)
    ]
    found: dict[int, int] = {}
    cursor, last = 0, 2

    def walk(elements: list[dict[str, Any]]) -> None:
        nonlocal cursor, last
        for el in elements:
            name = str(el.get("name", ""))
            at = next((i for i in range(cursor, len(names)) if names[i][1] == name), None)
            if at is not None:
                cursor, last = at + 1, names[at][0]
            found[id(el)] = last
            walk(el.get("children", []))

    walk(book.form.get("children", []))
    return found


def choice_rows(book: Book) -> dict[tuple[str, int], int]:
    """(list name, position in the list) -> choices row."""
    sheet = book.choices
    list_col = sheet.columns.get("list_name", "list_name")
    found: dict[tuple[str, int], int] = {}
    counts: dict[str, int] = {}
    for n, row in enumerate(sheet.rows):
        name = row.get(list_col)
        if name:
            found[(name, counts.get(name, 0))] = n + 2
            counts[name] = counts.get(name, 0) + 1
    return found
