"""Engine replies → channel-neutral payloads in the person's language (stored in the outbox)."""

from __future__ import annotations

from typing import Any

from dialogs.io import Reply
from wegweiser.i18n import is_rtl, render


def render_reply(reply: Reply, locale: str, fallback: str = "de") -> dict[str, Any]:
    return {
        "text": "\n\n".join(render(part, locale, fallback) for part in reply.parts),
        "buttons": [
            {"label": render(b.label, locale, fallback), "data": b.data, "selected": b.selected}
            for b in reply.buttons
        ],
        "ask": reply.ask,
        "rtl": is_rtl(locale),
    }
