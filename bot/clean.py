"""Inbound text made safe to store and to show again, before anything else sees it.

Every channel can deliver what no database or spreadsheet accepts: NUL and other control
characters (PostgreSQL refuses NUL in text, XLSX refuses most C0 controls), lone UTF-16
surrogates (a JSON body may carry "\\ud800"; UTF-8 cannot encode them) and explicit bidi
embeddings/overrides/isolates (U+202A…U+202E, U+2066…U+2069), which would reorder the text
around them wherever the answer is shown later. Marks people really type — left-to-right and
right-to-left marks, zero-width (non-)joiners used in Persian and in emoji — are kept.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dialogs.io import Command, Event, Press, Text

# C0 controls except tab and line feed, DEL, C1 controls, bidi embeddings/overrides/isolates,
# and the byte order mark (a zero-width no-break space nobody types on purpose).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_text(text: str) -> str:
    """`text` without unsafe characters; a lone surrogate becomes U+FFFD."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _UNSAFE.sub("", text)


def clean_event(event: Event) -> Event:
    match event:
        case Text(text=text):
            return replace(event, text=clean_text(text))
        case Command(arg=arg):
            return replace(event, name=clean_text(event.name), arg=clean_text(arg))
        case Press(data=data):
            return replace(event, data=clean_text(data))
    return event
