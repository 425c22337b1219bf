"""The runtime's loop around the pure engine, without a database: effects that are waited for
get an empty answer (as when no handler knows more), a confirmed restart starts again."""

from __future__ import annotations

from dialogs.effects import StartOver
from dialogs.engine import Result, step
from dialogs.io import Command, Context, Event, Resumed, State
from dialogs.model import Flow

ROUNDS = 8


def drive(flow: Flow, state: State, event: Event, ctx: Context) -> Result:
    result = step(flow, state, event, ctx)
    replies, effects = list(result.replies), list(result.effects)
    for _ in range(ROUNDS):
        restart = next((e for e in result.effects if isinstance(e, StartOver)), None)
        if restart is not None:
            result = step(flow, result.state, Command("start", restart.code), ctx)
        elif result.state.waiting is not None:
            result = step(flow, result.state, Resumed({}), ctx)
        else:
            break
        replies += result.replies
        effects += result.effects
    return Result(result.state, replies, effects)
