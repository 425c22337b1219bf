"""Engine replies → channel-neutral payloads in the person's language (stored in the outbox)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from base.i18n import is_rtl, render
from base.rtl import FSI, PDI, isolate
from dialogs.buttons import parse
from dialogs.io import Reply


@dataclass(frozen=True)
class Shown(Reply):
    """A reply with presentation hints for channels (`replace`: re-renders the question on
    screen; `page`: which page of a long keyboard). Never produced by the engine."""

    hints: Mapping[str, Any] = field(default_factory=dict)


# The language picker asks in several languages at once: whoever opens it may read none of
# the language it is shown in yet.
PICKER_LOCALES = ("de", "en", "ar", "fa", "uk", "tr")
MAX_LABEL = 30  # characters a phone shows on a button


def _text(reply: Reply, locale: str, fallback: str) -> str:
    if reply.ask == "@language":  # first in the languages offered first (the device's)
        offered = [p.code for b in reply.buttons[:2] if (p := parse(b.data)) is not None]
        locales = (*offered, locale, *PICKER_LOCALES)
        lines = (render(p, loc, fallback) for loc in locales for p in reply.parts)
        # Each line in its own direction, whichever direction the message is shown in.
        return "\n".join(isolate(line) for line in dict.fromkeys(lines))
    return "\n\n".join(render(part, locale, fallback) for part in reply.parts)


def render_reply(reply: Reply, locale: str, fallback: str = "de") -> dict[str, Any]:
    hints = dict(reply.hints) if isinstance(reply, Shown) else {}
    text = _text(reply, locale, fallback)
    buttons = [
        {"label": render(b.label, locale, fallback), "data": b.data, "selected": b.selected}
        for b in reply.buttons
    ]
    text, buttons = _fit_labels(text, buttons)
    return hints | {"text": text, "buttons": buttons, "ask": reply.ask, "rtl": is_rtl(locale)}


def _fit_labels(text: str, buttons: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """A phone cuts off a button's text after about 30 characters: a longer one gets a number
    and a shortened label, and its whole text goes in the message under the same number."""
    long = [n for n, b in enumerate(buttons, 1) if len(_bare(b["label"])) > MAX_LABEL]
    if not long:
        return text, buttons
    lines = []
    for n in long:
        b = buttons[n - 1]
        full = b["label"]
        if _bare(full) in _bare(text):  # already in the message (an offers list)
            b["label"] = _shorten(full, MAX_LABEL)
            continue
        lines.append(f"{n}. {full}")
        b["label"] = f"{n}. {_shorten(full, MAX_LABEL - len(str(n)) - 2)}"
    return "\n".join([text, "", *lines]) if lines else text, buttons


def _bare(label: str) -> str:
    return label.replace(FSI, "").replace(PDI, "")


def _shorten(label: str, size: int) -> str:
    """At most `size` visible characters, cut at a word where one is near, then "…"."""
    bare = _bare(label)
    if len(bare) <= size:
        return label
    cut = bare[: size - 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > size // 2 else cut
    return cut.rstrip(" ,;:–-") + "…"
