"""All flows of a directory, loaded and validated once."""

from __future__ import annotations

from pathlib import Path

from dialogs.buttons import Op, encode
from dialogs.loader import FlowError, Problem, load_flows
from dialogs.model import Flow

__all__ = ["FlowError", "check_buttons", "load_registry"]


def check_buttons(flow: Flow) -> list[Problem]:
    """Every button must fit into Telegram's 64 bytes of callback data."""
    problems = []
    for item in flow.items:
        for choice in item.choices:
            try:
                encode(Op.TOGGLE, flow.version, item.id, choice.code)
            except ValueError:
                problems.append(
                    Problem(
                        flow.path, item.line, item.id, "item id + answer code too long for a button"
                    )
                )
    return problems


def load_registry(directory: Path) -> dict[str, Flow]:
    flows = load_flows(directory)
    problems = [p for flow in flows.values() for p in check_buttons(flow)]
    if problems:
        raise FlowError(problems)
    return flows
