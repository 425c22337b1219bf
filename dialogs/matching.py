"""Typed text -> answer code, with rapidfuzz. Below the threshold we ask, never guess."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from base.normalize import normalize
from dialogs.model import Item

SURE = 90.0  # score at or above: take the answer
MAYBE = 65.0  # score at or above: ask "did you mean …?"


@dataclass(frozen=True)
class Match:
    code: str | None
    score: float

    @property
    def sure(self) -> bool:
        return self.code is not None and self.score >= SURE


def _by_number(item: Item, typed: str) -> str | None:
    """People (and the console) may answer with the button's position: "2"."""
    # a few digits at most: int() refuses strings of thousands of digits
    if typed.isdecimal() and len(typed) <= 6 and 1 <= int(typed) <= len(item.choices):
        return item.choices[int(typed) - 1].code
    return None


def match_choice(item: Item, typed: str, terms: dict[str, list[str]]) -> Match:
    typed = normalize(typed)
    code = _by_number(item, typed)
    if code is not None:
        return Match(code, 100.0)
    candidates = [(t, c) for c, ts in terms.items() for t in ts if t]
    exact = [c for t, c in candidates if t == typed]
    if exact:
        return Match(exact[0], 100.0)
    if not candidates:
        return Match(None, 0.0)
    terms_only = [t for t, _ in candidates]
    # Sure only when the whole typed text is close to a whole term (a typo, not a fragment).
    close = process.extractOne(typed, terms_only, scorer=fuzz.ratio)
    if close is not None and close[1] >= SURE and len(typed) >= 3:
        return Match(candidates[close[2]][1], close[1])
    # Fragments and word-order variants only earn a "did you mean …?".
    loose = process.extractOne(typed, terms_only, scorer=fuzz.WRatio)
    if loose is None or loose[1] < MAYBE:
        return Match(None, 0.0 if loose is None else loose[1])
    return Match(candidates[loose[2]][1], min(loose[1], SURE - 1))


def match_many(item: Item, typed: str, terms: dict[str, list[str]]) -> list[str] | None:
    """A comma/space separated list for a multiple choice; None unless every piece is sure."""
    pieces = [p for p in typed.replace(";", ",").replace(" und ", ",").split(",") if p.strip()]
    if len(pieces) == 1 and " " in pieces[0] and all(w.isdecimal() for w in pieces[0].split()):
        pieces = pieces[0].split()
    codes: list[str] = []
    for piece in pieces:
        m = match_choice(item, piece, terms)
        if not m.sure or m.code is None:
            return None
        if m.code not in codes:
            codes.append(m.code)
    return [c.code for c in item.choices if c.code in codes] or None
