"""Engine replies → channel-neutral payloads in the person's language (stored in the outbox)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs.buttons import parse
from dialogs.io import Reply
from wegweiser.i18n import is_rtl, render


@dataclass(frozen=True)
class Shown(Reply):
    """A reply with presentation hints for channels (`replace`: re-renders the question on
    screen; `page`: which page of a long keyboard). Never produced by the engine."""

    hints: Mapping[str, Any] = field(default_factory=dict)


# The language picker asks in several languages at once: whoever opens it may read none of
# the language it is shown in yet.
PICKER_LOCALES = ("de", "en", "ar", "fa", "uk", "tr")


def _text(reply: Reply, locale: str, fallback: str) -> str:
    if reply.ask == "@language":  # first in the languages offered first (the device's)
        offered = [p.code for b in reply.buttons[:2] if (p := parse(b.data)) is not None]
        locales = (*offered, locale, *PICKER_LOCALES)
        lines = (render(p, loc, fallback) for loc in locales for p in reply.parts)
        return "\n".join(dict.fromkeys(lines))
    return "\n\n".join(render(part, locale, fallback) for part in reply.parts)


def render_reply(reply: Reply, locale: str, fallback: str = "de") -> dict[str, Any]:
    hints = dict(reply.hints) if isinstance(reply, Shown) else {}
    return hints | {
        "text": _text(reply, locale, fallback),
        "buttons": [
            {"label": render(b.label, locale, fallback), "data": b.data, "selected": b.selected}
            for b in reply.buttons
        ],
        "ask": reply.ask,
        "rtl": is_rtl(locale),
    }
