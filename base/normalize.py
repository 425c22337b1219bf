"""Normalise typed answers before matching: digits, letter variants, diacritics, case, spaces."""

from __future__ import annotations

import re
import unicodedata

# Arabic-Indic (U+0660..) and Persian/Extended (U+06F0..) digits -> ASCII.
_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
# Arabic/Persian letter variants people type interchangeably.
_LETTERS = {
    ord("ي"): "ی",
    ord("ى"): "ی",
    ord("ك"): "ک",
    ord("ة"): "ه",
    ord("أ"): "ا",
    ord("إ"): "ا",
    ord("آ"): "ا",
    ord("ٱ"): "ا",
    ord("ـ"): None,  # tatweel
    ord("ё"): "е",
    ord("ß"): "ss",
    ord("ı"): "i",  # Turkish dotless i: people type either
}
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u00ad\ufeff]")
_SPACES = re.compile(r"\s+")
# German umlaut transliterations typed without the keyboard ("Muenster").
_TRANSLIT = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def western_digits(text: str) -> str:
    """Arabic-Indic and Persian digits as 0-9 ("٠١٥١" → "0151"), everything else as typed."""
    return text.translate(_DIGITS)


def canonical(text: str) -> str:
    """The one base form every matcher starts from (typed answers, offer search, Gemeinde
    names): compatibility forms, western digits, no invisible marks, casefolded, the letter
    variants people type interchangeably unified."""
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS)
    return _INVISIBLE.sub("", text).casefold().translate(_LETTERS)


def normalize(text: str) -> str:
    """A typed answer as matched: canonical, without diacritics, spaces collapsed."""
    text = canonical(text)
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip(" .!?,;:'\"")


def fold(text: str) -> str:
    """A looser key for matching names: normalised, umlaut transliterations folded."""
    text = normalize(text)
    for a, b in _TRANSLIT:
        text = text.replace(a, b)
    return text


_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def parse_number(text: str) -> float | None:
    """A number typed in any supported digit system ("١٩", "۱۹", "19", "19,5")."""
    t = normalize(text).replace("٫", ".").replace(" ", "")
    if not _NUMBER.match(t):
        return None
    return float(t.replace(",", "."))
