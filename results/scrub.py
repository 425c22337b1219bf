"""Free text leaves the system only scrubbed of contact details and after a GfS review."""

from __future__ import annotations

import re

PLACEHOLDER = "[entfernt]"
_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(
        r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:de|com|org|net|info|eu|io|me)\b\S*", re.I
    ),
    re.compile(r"(?<![\w@])@\w{2,}"),  # @handles (Telegram, Instagram)
    re.compile(r"(?:\+|\b00)?\d[\d ()/.-]{5,}\d"),  # phone numbers: 7+ digits with separators
    re.compile(r"\d{5,}"),  # long digit runs (ids, postcodes with street, card numbers)
]


# Likely names and street addresses: not removed (too many false alarms for a machine), but
# flagged for the reviewer, who approves or rejects the text.
_NAME_AFTER = re.compile(
    r"(?:ich hei(?:ß|ss)e|mein name ist|my name is|i am called|je m'appelle|benim ad[ıi]m"
    r"|ad[ıi]m|اسمي|نام من|меня зовут|мене звати|magacaygu waa|ناوم)\s*[:,-]?\s*\w+",
    re.IGNORECASE,
)
_NAME_PAIR = re.compile(r"\b[A-ZÄÖÜ][a-zäöüß]+[ -][A-ZÄÖÜ][a-zäöüß]{2,}\b")
_STREET = re.compile(
    r"\b[\w.-]*(?:stra(?:ß|ss)e|str\.|weg|platz|gasse|allee|ring|damm|ufer|street|road)"
    r"\s+\d{1,4}\s?[a-z]?\b",
    re.IGNORECASE,
)
FLAGS = (("name", _NAME_AFTER), ("name_pair", _NAME_PAIR), ("street", _STREET))


def flags(text: str) -> tuple[str, ...]:
    """What the reviewer should look at: a name after "ich heiße"/"my name is"/"اسمي"/
    "меня зовут" …, two capitalised words in a row (a first and last name?), a street with a
    house number."""
    return tuple(kind for kind, pattern in FLAGS if pattern.search(text))


def scrub(text: str) -> str:
    """Replace phone numbers, e-mail addresses, URLs, @handles and long digit runs."""
    for pattern in _PATTERNS:
        text = pattern.sub(PLACEHOLDER, text)
    return text
