"""The effect registry: which handlers apply which effect type.

Handlers live in the domain packages (offers, referrals, surveys, places); the composition
root (`wegweiser/services.py`) registers them here, so the runtime knows only the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dialogs.effects import Effect, Handled
from dialogs.io import Reply
from store.turn import Handler, Turn

log = logging.getLogger(__name__)


@dataclass
class Applied:
    """What the handlers of one step's effects gave back."""

    data: dict[str, Any] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)


class Handlers:
    def __init__(self, pairs: Iterable[tuple[type, Handler]] = ()) -> None:
        self._by_type: dict[type, list[Handler]] = {}
        for kind, handler in pairs:
            self.register(kind, handler)

    def register(self, kind: type, handler: Handler) -> None:
        self._by_type.setdefault(kind, []).append(handler)

    def kinds(self) -> Mapping[type, int]:
        return {kind: len(handlers) for kind, handlers in self._by_type.items()}

    async def apply(self, turn: Turn, effects: Iterable[Effect]) -> Applied:
        applied = Applied()
        for effect in effects:
            for handler in self._by_type.get(type(effect), []):
                result = await handler(turn, effect)
                if isinstance(result, Handled):
                    applied.data.update(result.data)
                    applied.replies.extend(result.replies)
        return applied
