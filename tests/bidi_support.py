"""How a line of text looks on screen, by the Unicode Bidirectional Algorithm as python-bidi
implements it (the `unicode-bidi` crate), and what must hold for it to read right.

python-bidi reorders but does not mirror brackets (rule L4); a closing bracket shown in a
right-to-left run is drawn as an opening one. So the levels come from python-bidi, the line is
reordered by them (checked against python-bidi's own order) and mirrored here.
"""

from __future__ import annotations

import re
import unicodedata

from bidi import get_base_level, get_display
from bidi.mirror import MIRRORED

_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
# What must be read left to right in one piece: names, numbers, phone numbers ("+49 151 …"),
# times and days ("Mo–Fr 8:00–12:00"), §-references ("§ 24"), URLs, commands ("/start").
LATIN_RUN = re.compile(
    f"(?:§\\s?|[+/@])?[{_LATIN}0-9](?:[{_LATIN}0-9 .,:/@+\\-\u2013\u2014'&§?=%#~_]*[{_LATIN}0-9])?"
)
# Punctuation followed by a space ends a run: "Moers: Mo–Fr 8:00" is two pieces that may be
# laid out right to left, one after the other.
_RUN_END = re.compile(r"[.,:;!?]\s")
_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LEVEL = re.compile(r"Level\(\s*(\d+),?\s*\)")
_PAIRS = {")": "(", "]": "["}


def levels(line: str, base: str | None) -> list[int]:
    """The resolved embedding level of every character (python-bidi reports them per UTF-8
    byte)."""
    debug = str(get_display(line, base_dir=base, debug=True))
    section = debug.split("levels: [", 1)[1].split("]", 1)[0]
    per_byte = [int(x) for x in _LEVEL.findall(section)]
    out, pos = [], 0
    for ch in line:
        out.append(per_byte[pos])
        pos += len(ch.encode())
    assert pos == len(per_byte), "python-bidi's levels do not match the line"
    return out


def visual(line: str, base: str | None = None) -> str:
    """`line` as shown, left to right: reordered (rules L1, L2) and mirrored (L4), with the
    invisible direction marks removed."""
    lv = levels(line, base)
    paragraph = {"L": 0, "R": 1}.get(base or "", None)
    if paragraph is None:
        paragraph = get_base_level(line)
    # L1: trailing white space and isolate marks take the paragraph's level.
    end = len(line)
    while end and (line[end - 1].isspace() or _CONTROLS.match(line[end - 1])):
        end -= 1
        lv[end] = paragraph
    # L2: from the highest level down to the lowest odd one, reverse every run at or above it.
    order = list(range(len(line)))
    top = max(lv, default=0)
    lowest_odd = min((v for v in lv if v % 2), default=top + 1)
    for level in range(top, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if lv[order[i]] >= level:
                j = i
                while j < len(order) and lv[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    reordered = "".join(line[k] for k in order)
    assert reordered == get_display(line, base_dir=base), "reordering differs from python-bidi"
    shown = "".join(MIRRORED.get(line[k], line[k]) if lv[k] % 2 else line[k] for k in order)
    return _CONTROLS.sub("", shown)


def problems(line: str, base: str | None = None) -> list[str]:
    """What reads wrong in `line` on screen: brackets that do not pair up, Latin runs of the
    text that are not shown as one piece in their own order."""
    shown = visual(line, base)
    found = []
    stack: list[str] = []
    for ch in shown:
        if ch in "([":
            stack.append(ch)
        elif ch in _PAIRS and (not stack or stack.pop() != _PAIRS[ch]):
            found.append(f"bracket {ch!r} without its partner: {shown!r}")
            break
    if stack and not found:
        found.append(f"bracket {stack[-1]!r} without its partner: {shown!r}")
    logical = _CONTROLS.sub("", line)
    for run in (r for part in _RUN_END.split(logical) for r in LATIN_RUN.findall(part)):
        if run not in shown:
            found.append(f"{run!r} broken up: {shown!r}")
    return found


def lines_of(text: str) -> list[str]:
    """The paragraphs a channel lays out one by one."""
    return [line for line in text.split("\n") if line.strip()]


def has_rtl_letter(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)
