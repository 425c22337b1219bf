"""Cells a spreadsheet program opens safely: formula injection and control characters."""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters no XLSX cell may hold (openpyxl refuses the whole workbook).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: Any) -> Any:
    """A text cell starting with = + - @ is kept as text ("'=…"), and control characters a
    spreadsheet cannot hold are dropped; other values pass unchanged."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    return "'" + value if value.startswith(FORMULA_START) else value


def unneutralise(text: str) -> str:
    """Undo the protection when a sheet comes back: "'=x" -> "=x"."""
    if len(text) >= 2 and text[0] == "'" and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text
