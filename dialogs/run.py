"""One step in the making: the flow, the state being changed, and what has been said and asked.

The engine's modules (engine, asking, typed, listing, personal) all work on a `Run`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field, replace
from typing import Any

from dialogs.actions import ACTIONS
from dialogs.effects import Effect, Profile
from dialogs.expr import evaluate
from dialogs.io import Context, Msg, Reply, State
from dialogs.model import QUESTION_KINDS, Flow, Item


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
        item = None if item_id is None else self.flow.item(item_id)
        return None if item is None else self.shown(item)

    def shown(self, item: Item) -> Item:
        """The item as it is asked now: a choice_filter leaves only the choices it lets through."""
        if item.choice_filter is None:
            return item
        answers, test = self.state.answers, item.choice_filter
        visible = tuple(c for c in item.choices if evaluate(test, answers, columns=c.columns()))
        return replace(item, choices=visible)

    def required(self, item: Item) -> bool:
        if item.required_if is not None:
            return evaluate(item.required_if, self.state.answers)
        return item.required

    def default(self, item: Item) -> Any:
        """The answer offered before one is typed or pressed: the person's earlier answer (after
        going back), else the item's default."""
        if item.id in self.state.defaults:
            return self.state.defaults[item.id]
        if isinstance(item.default, tuple):
            return list(item.default)
        return item.default

    def text(self, item: Item) -> Msg:
        """An item's text in the person's language, placeholders filled from action results
        and earlier answers."""
        return self.message(item, item.text)

    def message(self, item: Item, text: str | None, fallback: Msg | None = None) -> Msg:
        """One of an item's own texts (question, hint, messages), or `fallback` without one."""
        if not text and fallback is not None:
            return fallback
        return Msg(text or "", self.flow.context(item.id), self.placeholders(text or ""))

    def placeholders(self, text: str = "") -> dict[str, Any]:
        """Values texts may use: the keys of every action answered so far, and the answers of
        the items `text` names (`{item}`; empty while unanswered, as in ODK)."""
        values: dict[str, Any] = {}
        if "{" in text:
            for _, name, _, _ in string.Formatter().parse(text):
                ref = self.flow.item(name) if name else None
                if name and ref is not None and ref.kind in QUESTION_KINDS:
                    values[name] = self._shown_answer(ref)
        for item_id in self.state.history:
            item = self.flow.item(item_id)
            found = self.state.data.get(item_id)
            if item is None or item.action is None or not isinstance(found, dict):
                continue
            for key in ACTIONS[item.action].keys:
                if key in found and isinstance(found[key], str | int):
                    values[key] = found[key]
        return values

    def _shown_answer(self, item: Item) -> Msg | str:
        value = self.state.answers.get(item.id)
        ctx = self.flow.context(item.id)
        if value is None:
            return ""
        if isinstance(value, list):
            return Msg.join([Msg(c.label, ctx) for c in item.choices if c.code in value])
        if item.choices and (choice := item.choice(str(value))) is not None:
            return Msg(choice.label, ctx)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

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
