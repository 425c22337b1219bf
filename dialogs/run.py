"""One step in the making: the flow, the state being changed, and what has been said and asked.

The engine's modules (engine, asking, typed, listing, personal) all work on a `Run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialogs.actions import ACTIONS
from dialogs.effects import Effect, Profile
from dialogs.io import Context, Msg, Reply, State
from dialogs.model import Flow, Item


@dataclass
class Run:
    flow: Flow
    state: State
    ctx: Context
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    def say(self, *parts: Msg) -> None:
        self.replies.append(Reply(parts=tuple(parts)))

    def current(self) -> Item | None:
        item_id = self.state.item
        return None if item_id is None else self.flow.item(item_id)

    def text(self, item: Item) -> Msg:
        """An item's text in the person's language, placeholders filled from action results."""
        return Msg(item.text, self.flow.context(item.id), self.placeholders())

    def placeholders(self) -> dict[str, Any]:
        """Values later texts may use: the keys of every action answered so far."""
        values: dict[str, Any] = {}
        for item_id in self.state.history:
            item = self.flow.item(item_id)
            found = self.state.data.get(item_id)
            if item is None or item.action is None or not isinstance(found, dict):
                continue
            for key in ACTIONS[item.action].keys:
                if key in found and isinstance(found[key], str | int):
                    values[key] = found[key]
        return values

    def profile(self) -> Profile:
        """The answers code may read: by role, never by item id. Topics of every answered
        follow-up are collected into one list."""
        found: dict[str, Any] = {}
        topics: list[str] = []
        for it in self.flow.items:
            if it.role is None or it.id not in self.state.answers:
                continue
            value = self.state.answers[it.id]
            if it.role == "topic":
                if value is not None:
                    topics += [str(v) for v in value] if isinstance(value, list) else [str(value)]
            else:
                found[it.role] = value
        if topics:
            found["topic"] = topics
        return found

    def wait(self, what: str, effect: Effect) -> None:
        """Ask the world for something; the step goes on when `Resumed` arrives."""
        self.state.waiting = what
        self.effects.append(effect)

    def in_progress(self) -> bool:
        """Something the person would lose by starting over."""
        return bool(self.state.answers) and not self.state.finished
