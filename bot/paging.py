"""Presentation around the engine: pages of long keyboards, and questions shown again in place.

* A page press (`Op.PAGE`) shows the question on screen again at another page; the engine's
  answer logic is not involved and the state does not change.
* A toggle of a multiple choice re-renders the question on screen (`replace`), so a channel
  that can edit messages edits instead of sending a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.render import Shown
from dialogs.buttons import Op, parse
from dialogs.engine import step
from dialogs.io import Command, Event, Press, Reply, State
from dialogs.lexicon import Lexicon
from dialogs.messages import M
from dialogs.model import Flow

Hints = str | None  # the item whose toggle is being pressed (its question is replaced)


def page(state: State, event: Event, flow: Flow, lexicon: Lexicon) -> list[Reply] | None:
    """The question on screen again, at the pressed page; None when `event` is no page press."""
    pressed = parse(event.data) if isinstance(event, Press) else None
    if pressed is None or pressed.op is not Op.PAGE:
        return None
    number = int(pressed.code) if pressed.code.isdecimal() and len(pressed.code) < 4 else 0
    wanted = "@language" if pressed.item == "@language" else state.item
    again = Command("language") if pressed.item == "@language" else Command("resume")
    result = step(flow, state, again, lexicon)  # the state is not kept: paging changes nothing
    asks = [r for r in result.replies if r.ask is not None]
    if pressed.item and pressed.item == wanted and len(result.replies) == 1 and asks:
        return [_shown(asks[0], {"replace": True, "page": number})]
    return [Reply(parts=(M.ALREADY_ANSWERED,)), *result.replies]


def hints(event: Event, before: State) -> Hints:
    pressed = parse(event.data) if isinstance(event, Press) else None
    if pressed is not None and pressed.op is Op.TOGGLE and pressed.item == before.item:
        return pressed.item
    return None


def shown(replies: list[Reply], toggled: Hints) -> list[Reply]:
    """A toggle's single reply re-renders its question in place."""
    if toggled is not None and len(replies) == 1 and replies[0].ask == toggled:
        return [_shown(replies[0], {"replace": True})]
    return list(replies)


def _shown(reply: Reply, hints: Mapping[str, Any]) -> Shown:
    return Shown(parts=reply.parts, buttons=reply.buttons, ask=reply.ask, hints=dict(hints))
