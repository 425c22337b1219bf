"""Right-to-left text: Unicode isolates around left-to-right pieces, lists in the locale's style.

A value filled into a message is isolated as a whole when it is filled in; the literal text of
a translation gets its left-to-right runs (names, numbers, §-references, times, URLs,
commands) isolated before the values go in — never the finished text, so a bracket or a dash
of the translation is never cut off from its partner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from babel.lists import format_list

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate

# Latin letters include the accented ones ("Düsseldorf", "Café"): a run must not break there.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
# A left-to-right run starts with a Latin letter or digit, optionally after "(", "/", "@",
# "+" or "§" (brackets, commands, handles, phone numbers, paragraphs), may contain spaces,
# punctuation, dashes and brackets (times "Mo–Fr 8:00–12:00", URLs), and ends with a letter,
# digit, ")" or "/". Brackets inside must pair up; see `_balanced`.
_SLOT = 0xE000  # placeholders of a translation while its runs are found (private use)
_SLOTS = re.compile("[\ue000-\ue0ff]")
_WORD = f"{_LATIN}0-9\ue000-\ue0ff"
_LTR_RUN = re.compile(
    f"(?:[(/@+]|§\\s?)*[{_WORD}]"
    f"(?:[{_WORD} \u00a0.,:;/@+\\-\u2010-\u2015_()'&§?=%#~*]*[{_WORD})/])?"
)
_LATIN_OR_DIGIT = re.compile(f"[{_LATIN}0-9]")
_LTR_SIGN = re.compile("[§/@+]")  # a paragraph, a command, a handle, a phone number
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Strong right-to-left letters: Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms.
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")

# CLDR has no list patterns for Sorani; it writes lists like its neighbours, with "،".
_LIST_PATTERNS = {"ckb": ("{0} و {1}", "{0}، {1}")}  # (last pair, every other pair)


def isolate(text: str) -> str:
    """`text` in one isolate (left as it is when it is one isolate already, or empty); each
    line its own, as an isolate ends with its paragraph."""
    if "\n" in text:
        return "\n".join(isolate(line) for line in text.split("\n"))
    if not text or (text[0] == FSI and _closes_at_end(text)):
        return text
    return f"{FSI}{text}{PDI}"


def _closes_at_end(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == FSI) - (ch == PDI)
        if depth == 0:
            return i == len(text) - 1
    return False


def _pieces(text: str) -> list[tuple[bool, str]]:
    """`text` cut into pieces outside isolates (False) and whole, possibly nested, isolates
    (True)."""
    out: list[tuple[bool, str]] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == FSI:
            if depth == 0 and i > start:
                out.append((False, text[start:i]))
                start = i
            depth += 1
        elif ch == PDI and depth:
            depth -= 1
            if depth == 0:
                out.append((True, text[start : i + 1]))
                start = i + 1
    if start < len(text):
        out.append((depth > 0, text[start:]))
    return out


def outside(text: str) -> str:
    """What of `text` is not inside an isolate."""
    return "".join(piece for isolated, piece in _pieces(text) if not isolated)


def has_rtl(text: str) -> bool:
    """Whether `text` has a right-to-left letter outside isolates."""
    return _RTL_LETTER.search(outside(text)) is not None


def isolate_ltr_runs(text: str) -> str:
    """Wrap every left-to-right run of `text` in U+2068…U+2069 so it keeps its order inside
    right-to-left text. Already isolated pieces stay as they are."""
    return "".join(piece if done else _runs(piece) for done, piece in _pieces(text))


def _runs(text: str) -> str:
    return _LTR_RUN.sub(lambda m: _balanced(m.group(0)), text)


def _run(run: str) -> str:
    """A run in one isolate, unless it is only placeholders and punctuation (their values are
    isolated; the punctuation between them goes right to left)."""
    return isolate(run) if _LATIN_OR_DIGIT.search(run) or _LTR_SIGN.search(run) else run


def _balanced(run: str) -> str:
    """An isolated run whose brackets pair up; a bracket without its partner in the run stays
    outside the isolate (its partner is in the surrounding text) and splits the run."""
    open_at: list[int] = []
    lonely: list[int] = []
    for i, ch in enumerate(run):
        if ch == "(":
            open_at.append(i)
        elif ch == ")":
            (open_at.pop() if open_at else lonely.append(i))
    cuts = sorted(lonely + open_at)
    if not cuts:
        return _run(run)
    out, pos = [], 0
    for cut in cuts:
        out += [_runs(run[pos:cut]), run[cut]]
        pos = cut + 1
    out.append(_runs(run[pos:]))
    return "".join(out)


@lru_cache(maxsize=8192)  # translations are a finite set; each is prepared once
def isolate_template(text: str) -> str:
    """A translation ready for right-to-left output: its own left-to-right runs isolated, its
    `{placeholders}` left for their values (isolated when they are filled in) — unless a
    placeholder belongs to a run ("/start {code}", "§ {paragraph}"), then the run with the
    placeholder is one isolate. A text without any right-to-left letter (not yet translated)
    is isolated as a whole."""
    literal = _PLACEHOLDER.sub("", text)
    if not has_rtl(literal) and _LATIN_OR_DIGIT.search(literal):
        return isolate(text)
    # Placeholders stand in as private-use characters, which count as letters of a run.
    slots = _PLACEHOLDER.findall(text)
    marked = _PLACEHOLDER.sub(lambda m: chr(_SLOT + slots.index(m.group(0))), text)
    done = isolate_ltr_runs(marked)
    return re.sub(
        f"[{chr(_SLOT)}-{chr(_SLOT + 255)}]", lambda m: slots[ord(m.group(0)) - _SLOT], done
    )


def shown(text: str) -> str:
    """Text that is no translation (a name, what someone typed, an offer's text) ready for
    right-to-left output: its left-to-right runs isolated, or all of it when it has no
    right-to-left letter."""
    if has_rtl(text):
        return isolate_ltr_runs(text)
    return isolate(text) if _LATIN_OR_DIGIT.search(outside(text)) else text


def isolate_value(text: str) -> str:
    """A value filled into right-to-left text: ready for it (`shown`), then in one isolate."""
    return isolate(shown(text))


def join_list(items: Sequence[str], locale: str) -> str:
    """Items as a list in the locale's style ("A, B und C", "A، B و C")."""
    if len(items) < 2:
        return "".join(items)
    if locale in _LIST_PATTERNS:
        last, other = _LIST_PATTERNS[locale]
        head = items[0]
        for item in items[1:-1]:
            head = other.format(head, item)
        return last.format(head, items[-1])
    try:
        return format_list(list(items), "standard", locale)
    except (ValueError, LookupError):
        return format_list(list(items), "standard", "de")


def bare_ltr(text: str) -> list[str]:
    """Left-to-right characters outside isolates (what tests look for in RTL output)."""
    return [ch for ch in outside(text) if ch.isascii() and ch.isalnum()]
