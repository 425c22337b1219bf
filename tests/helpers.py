"""Small helpers shared by tests."""

from __future__ import annotations

from pathlib import Path

from base.i18n import render
from dialogs.io import Reply
from dialogs.loader import load_flow
from dialogs.model import Flow

FLOWS = Path(__file__).resolve().parent.parent / "dialogs" / "flows"


def demo_flow() -> Flow:
    return load_flow(FLOWS / "demo.yaml")


def text_of(replies: list[Reply], locale: str = "de") -> str:
    return "\n".join(render(p, locale) for r in replies for p in r.parts)


def last_ask(replies: list[Reply]) -> Reply:
    asks = [r for r in replies if r.ask]
    assert asks, "no question asked"
    return asks[-1]
