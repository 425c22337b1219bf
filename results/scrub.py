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


def scrub(text: str) -> str:
    """Replace phone numbers, e-mail addresses, URLs, @handles and long digit runs."""
    for pattern in _PATTERNS:
        text = pattern.sub(PLACEHOLDER, text)
    return text
