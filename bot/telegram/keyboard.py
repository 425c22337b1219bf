"""Outbox payload buttons → Telegram inline keyboards (✓ for chosen toggles, pages)."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from dialogs.buttons import CONTROLS, Op, Pressed, encode, parse

PAGE_SIZE = 8  # choices per page; more than this get ‹ › buttons
CHECK = "✓ "
PREVIOUS, NEXT = "‹", "›"
LANGUAGE_ASK = "@language"


def markup(payload: dict[str, Any], page_size: int = PAGE_SIZE) -> InlineKeyboardMarkup | None:
    buttons = [b for b in payload.get("buttons") or [] if b.get("data") and b.get("label")]
    if not buttons:
        return None
    if payload.get("ask") == LANGUAGE_ASK:  # every language on one screen, two a row
        pairs = [buttons[n : n + 2] for n in range(0, len(buttons), 2)]
        return InlineKeyboardMarkup(inline_keyboard=[[_button(b) for b in p] for p in pairs])
    choices: list[dict[str, Any]] = []
    controls: list[dict[str, Any]] = []
    for b in buttons:
        # controls (done, skip, keep, back, end, change language) always visible, below
        (controls if _is_control(parse(b["data"])) else choices).append(b)
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


def _is_control(pressed: Pressed | None) -> bool:
    if pressed is None:
        return False
    return pressed.op in CONTROLS or (pressed.op is Op.LANGUAGE and not pressed.code)


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
