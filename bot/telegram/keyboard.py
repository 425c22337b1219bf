"""Outbox payload buttons → Telegram inline keyboards (✓ for chosen toggles, pages)."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from dialogs.buttons import CONTROLS, Op, encode, parse

PAGE_SIZE = 8  # choices per page; more than this get ‹ › buttons
CHECK = "✓ "
PREVIOUS, NEXT = "‹", "›"


def markup(payload: dict[str, Any], page_size: int = PAGE_SIZE) -> InlineKeyboardMarkup | None:
    buttons = [b for b in payload.get("buttons") or [] if b.get("data") and b.get("label")]
    if not buttons:
        return None
    choices: list[dict[str, Any]] = []
    controls: list[dict[str, Any]] = []
    for b in buttons:
        pressed = parse(b["data"])
        # controls (done, skip, keep, back, end) always visible, below the choices
        (controls if pressed is not None and pressed.op in CONTROLS else choices).append(b)
    pages = max(1, -(-len(choices) // page_size))
    page = min(max(int(payload.get("page") or 0), 0), pages - 1)
    rows = [[_button(b)] for b in choices[page * page_size : (page + 1) * page_size]]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(_page_button(PREVIOUS, choices[0]["data"], page - 1))
        if page < pages - 1:
            nav.append(_page_button(NEXT, choices[0]["data"], page + 1))
        rows.append([b for b in nav if b is not None])
    rows.extend([_button(b)] for b in controls)
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def _button(b: dict[str, Any]) -> InlineKeyboardButton:
    label = f"{CHECK}{b['label']}" if b.get("selected") else str(b["label"])
    return InlineKeyboardButton(text=label, callback_data=b["data"])


def _page_button(label: str, sample: str, page: int) -> InlineKeyboardButton | None:
    pressed = parse(sample)
    if pressed is None:
        return None
    item = "@language" if pressed.op is Op.LANGUAGE else pressed.item
    try:
        data = encode(Op.PAGE, pressed.version, item, str(page))
    except ValueError:  # an item id at the 64-byte limit: no room for paging
        return None
    return InlineKeyboardButton(text=label, callback_data=data)
