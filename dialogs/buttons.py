"""Button data: `op:version:item:code`, short enough for Telegram's 64-byte callback data."""

from __future__ import annotations

import enum
from dataclasses import dataclass

MAX_BYTES = 64
VERSION_CHARS = 8  # a prefix of the flow version is enough to spot a stale button


class Op(enum.Enum):
    ANSWER = "a"
    TOGGLE = "t"
    DONE = "d"
    SKIP = "s"
    SHOW = "w"  # "no, show me the choices again"
    LANGUAGE = "l"
    PAGE = "p"  # another page of a long keyboard (handled by the channel layer, not the engine)
    # After an Erstberatung (bot/intake.py), handled before the engine; version is empty:
    OFFERS = "n"  # item: page (need-area index); show that page of offers
    OFFER = "o"  # item: page; code: offer id; show the offer's details
    REFER = "r"  # item: step (ask | via | consent | finish); code: the choice
    REPLY = "y"  # code: referral id; the next text goes to that referral's thread


@dataclass(frozen=True)
class Pressed:
    op: Op
    version: str
    item: str
    code: str


def encode(op: Op, version: str, item: str, code: str) -> str:
    data = f"{op.value}:{version[:VERSION_CHARS]}:{item}:{code}"
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
