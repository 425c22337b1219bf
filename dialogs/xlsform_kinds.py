"""What pyxform's question types become in a chat, and the numbers a constraint allows."""

from __future__ import annotations

from typing import Any

from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

from dialogs.model import Expr

MAX_CODE = 64  # the database keeps 64 characters
SOURCE_FILES = (".csv", ".xml", ".geojson")
# pyxform writes these English texts for `or_other`; a German flow shows German ones
GENERATED_DE = {"Specify other.": "Bitte nenne das Andere:", "Other": "Anderes"}
REFUSED = {
    "repeat": "repeats are not supported in a chat (every question is asked once)",
    "location": "locations are not asked in a chat",
    "media": "photos, audio, video and files are not asked in a chat",
    "date": "dates and times are not asked in a chat",
    "barcode": "barcodes are not scanned in a chat",
    "rank": "ranking is not supported in a chat",
    "file": "choices from a file are not supported",
}
_META = ("start-geopoint", "background-audio", "background-geopoint", "audit")
_CALC = ("calculate", "hidden", "xml-external", "csv-external")


def kind_of(el: dict[str, Any]) -> tuple[str, str | None]:
    """(flow kind | "group" | "optional" | "refused", the REFUSED key or optional reason)."""
    t = str(el.get("type", ""))
    if t == "group":
        return "group", None
    if t in ("repeat", "loop"):
        return "refused", "repeat"
    spec = QUESTION_TYPE_DICT.get(t, {})
    bind, control = spec.get("bind", {}), spec.get("control", {})
    if "jr:preload" in bind or t in _META:
        return "optional", "Wegweiser records no times, devices or locations"
    if t in _CALC:
        return "optional", "calculations are not shown in a chat"
    tag, data = control.get("tag"), bind.get("type")
    if t == "select one external" or str(el.get("itemset", "")).endswith(SOURCE_FILES):
        return "refused", "file"
    if tag in ("select1", "select"):
        return ("single" if tag == "select1" else "multi"), None
    if tag == "odk:rank":
        return "refused", "rank"
    if tag == "trigger":
        return "acknowledge", None
    if tag == "upload":
        return "refused", "media"
    if bind.get("readonly") == "true()" or el.get("bind", {}).get("readonly") == "true()":
        return "info", None  # a note, or a question shown but not answered
    if tag == "range" or data in ("int", "decimal"):
        return "number", None
    if data == "string":
        return "text", None
    if data in ("date", "dateTime", "time"):
        return "refused", "date"
    if data in ("geopoint", "geotrace", "geoshape"):
        return "refused", "location"
    if data == "barcode":
        return "refused", "barcode"
    return "refused", None


def bounds(expr: Expr, integer: bool) -> tuple[float | None, float | None, bool]:
    """Lowest and highest number a constraint allows, from its top-level `. >= n` parts;
    and whether those parts are all of it."""
    low = high = None
    whole = True
    parts: list[tuple] = []
    stack = [expr.tree[1]]
    while stack:
        t = stack.pop()
        if t[0] == "and":
            stack += [t[2], t[1]]
        else:
            parts.append(t)
    for t in parts:
        op, n = _bound(t)
        if op in (">=", ">") and n is not None and (op == ">=" or integer):
            value = n if op == ">=" else n + 1
            low = value if low is None else max(low, value)
        elif op in ("<=", "<") and n is not None and (op == "<=" or integer):
            value = n if op == "<=" else n - 1
            high = value if high is None else min(high, value)
        else:
            whole = False
    if integer and any(b is not None and not float(b).is_integer() for b in (low, high)):
        return None, None, False
    return low, high, whole


def _bound(t: tuple) -> tuple[str | None, float | None]:
    flip = {">=": "<=", "<=": ">=", ">": "<", "<": ">"}
    if t[0] == "cmp" and t[1] in flip:
        if t[2] == ("dot",) and t[3][0] == "num":
            return t[1], t[3][1]
        if t[3] == ("dot",) and t[2][0] == "num":
            return flip[t[1]], t[2][1]
    return None, None


def num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
