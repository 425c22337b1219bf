"""One conversation step's transaction, as effect handlers see it.

The runtime opens the transaction, locks the conversation row, runs the engine and hands
every effect with a `Turn` to the handlers registered for it (in the domain packages). What a
handler writes commits together with the new conversation state — or not at all. What must
not share the person's transaction (survey responses, markers, anonymous counts) a handler
hands to `hold`: it reaches the holding area (store/holding.py) only after the commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from store.holding import Held, hold
from store.models import Conversation


@dataclass
class Turn:
    session: AsyncSession
    conversation: Conversation
    secret: bytes  # for keys derived per purpose (participation markers)

    def hold(self, item: Held) -> None:
        """Write this later, outside the person's transaction (dropped if the step fails)."""
        hold(self.session, item)


# A handler: (turn, effect) -> dialogs.effects.Handled or None. Typed loosely here so that
# store does not import dialogs; the domain modules type their own handlers precisely.
Handler = Callable[[Turn, Any], Awaitable[Any]]
