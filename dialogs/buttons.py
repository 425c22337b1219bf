"""Button data: `op:version:item:code`, short enough for Telegram's 64-byte callback data."""

from __future__ import annotations

import base64
import enum
import hashlib
from dataclasses import dataclass

MAX_BYTES = 64
VERSION_CHARS = 8  # a prefix of the flow version is enough to spot a stale button
DIGEST_MARK = "~"  # never part of an answer code


class Op(enum.Enum):
    ANSWER = "a"
    TOGGLE = "t"
    DONE = "d"  # multi: the choice is complete; offers list: go on
    SKIP = "s"
    SHOW = "w"  # "no, show me the choices again"
    KEEP = "k"  # keep the earlier answer (after going back)
    BACK = "b"  # one question back
    END = "e"  # a choice that ends the flow and discards answers (asked once more)
    CONFIRM = "c"  # item: what is confirmed (restart | delete | end); code: yes | no
    LANGUAGE = "l"
    PAGE = "p"  # another page of a long keyboard (handled by the channel layer, not the engine)
    AREA = "n"  # offers list: item: list item; code: need-area page to show
    OPEN = "o"  # offers list: item: list item; code: offer id whose details to show
    REPLY = "y"  # code: referral id; the next text goes to that referral's thread
    MORE = "m"  # consent screen: show every answer that would go (details behind "mehr")
    GO = "g"  # after the end: code: the flow to start (the flow's next_flow, or itself again)
    CARE = "h"  # after help in danger: item "care", code: pause | urgent


# Buttons that steer rather than answer: channels put them below the choices, always in the
# same order, never on a row with an everyday answer.
CONTROLS = (Op.DONE, Op.SKIP, Op.SHOW, Op.KEEP, Op.BACK, Op.END, Op.CARE)


@dataclass(frozen=True)
class Pressed:
    op: Op
    version: str
    item: str
    code: str


def digest(code: str) -> str:
    """A short stand-in for an answer code too long for a button (XLSForm choice names)."""
    raw = hashlib.sha256(code.encode()).digest()
    return DIGEST_MARK + base64.b32encode(raw).decode()[:7].lower()


def encode(op: Op, version: str, item: str, code: str) -> str:
    data = f"{op.value}:{version[:VERSION_CHARS]}:{item}:{code}"
    if len(data.encode()) > MAX_BYTES and code:
        data = f"{op.value}:{version[:VERSION_CHARS]}:{item}:{digest(code)}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"button data too long for item {item!r} code {code!r}")
    return data


def parse(data: str) -> Pressed | None:
    """None for anything malformed (forged, truncated, from another program)."""
    if not isinstance(data, str) or len(data.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) != 4:
        return None
    try:
        op = Op(parts[0])
    except ValueError:
        return None
    return Pressed(op, parts[1], parts[2], parts[3])
