"""Channel-level events, handled around the pure engine by the runtime.

* `/mydata`, `/delete`, `/stop` and the data part of `/help`: about the person's stored
  conversation state, so they need the database row the engine never sees.
* Page presses of long keyboards (`Op.PAGE`): the same question again, shown at another page;
  the engine's answer logic is not involved.
* Presentation hints: a toggle of a multiple choice re-renders the question on screen
  (`replace`), so a channel that can edit messages does not send a new one.

Everything here runs inside the runtime's transaction for the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.intake import Intake
from bot.messages import CM
from bot.render import Shown
from dialogs.buttons import Op, parse
from dialogs.engine import answer_line, step
from dialogs.io import Command, Event, Msg, Press, Reply, State
from dialogs.lexicon import Lexicon
from dialogs.messages import M
from dialogs.model import Flow
from store.models import Buendnis, Conversation
from wegweiser.i18n import native_name

log = logging.getLogger(__name__)

DATA_COMMANDS = frozenset({"mydata", "delete", "stop"})


@dataclass(frozen=True)
class Before:
    """What the channel layer made of an event before the engine: replies, or nothing."""

    replies: list[Reply]


async def before_engine(
    s: AsyncSession,
    conv: Conversation,
    state: State,
    event: Event,
    flow: Flow,
    lexicon: Lexicon,
    intake: Intake | None = None,
) -> Before | None:
    """Handle channel-level events; None means: give the event to the engine."""
    if isinstance(event, Command) and event.name in DATA_COMMANDS:
        if event.name == "mydata":
            referral_part = await intake.mydata(s, conv, flow) if intake is not None else []
            return Before([await _mydata(s, conv, state, flow), *referral_part])
        if event.name == "stop":
            conv.invitations = False
            log.info("invitations stopped")
            return Before([Reply(parts=(CM.STOPPED,))])
        # delete: referrals withdrawn (their personal data deleted) first, then the whole
        # conversation (its keys and unsent replies go with it by cascade)
        if intake is not None:
            await intake.delete(s, conv)
        await s.execute(delete(Conversation).where(Conversation.id == conv.id))
        s.expunge(conv)
        log.info("conversation deleted on request")
        return Before([Reply(parts=(CM.DELETED,))])
    if isinstance(event, Press):
        pressed = parse(event.data)
        if pressed is not None and pressed.op is Op.PAGE:
            return Before(_page(state, pressed.item, pressed.code, flow, lexicon))
    return None


def after_engine(event: Event, before: State, replies: list[Reply]) -> list[Reply]:
    """Add presentation hints to the engine's replies (and the data commands to /help)."""
    if isinstance(event, Command) and event.name == "help":
        return [*replies[:1], Reply(parts=(CM.DATA_HELP,)), *replies[1:]]
    if isinstance(event, Press) and len(replies) == 1:
        pressed = parse(event.data)
        only = replies[0]
        if (
            pressed is not None
            and pressed.op is Op.TOGGLE
            and only.ask is not None
            and only.ask == before.item == pressed.item
        ):
            return [_shown(only, {"replace": True})]
    return replies


def _shown(reply: Reply, hints: Mapping[str, Any]) -> Shown:
    return Shown(parts=reply.parts, buttons=reply.buttons, ask=reply.ask, hints=dict(hints))


def _page(state: State, item: str, code: str, flow: Flow, lexicon: Lexicon) -> list[Reply]:
    """The question on screen again, at page `code`; a page of an old question is stale."""
    page = int(code) if code.isdecimal() else 0
    wanted = "@language" if item == "@language" else state.item
    again = Command("language") if item == "@language" else Command("resume")
    result = step(flow, state, again, lexicon)  # the state is not kept: paging changes nothing
    asks = [r for r in result.replies if r.ask is not None]
    if item and item == wanted and len(result.replies) == 1 and asks:
        return [_shown(asks[0], {"replace": True, "page": page})]
    return [Reply(parts=(M.ALREADY_ANSWERED,)), *result.replies]


async def _mydata(s: AsyncSession, conv: Conversation, state: State, flow: Flow) -> Reply:
    lines: list[Msg | str] = [CM.MYDATA_INTRO]
    locale = state.locale or conv.locale
    lines.append(
        CM.MYDATA_LANGUAGE.with_(language=native_name(locale)) if locale else CM.MYDATA_NO_LANGUAGE
    )
    running = flow if state.flow_id in (None, flow.id) else None
    item = running.item(state.item) if running is not None and state.item else None
    if item is not None and running is not None:
        question = Msg(item.text, running.context(item.id))
        lines.append(CM.MYDATA_QUESTION.with_(question=question))
    else:
        lines.append(CM.MYDATA_NO_QUESTION)
    answers = [
        _answer_line(running, item_id, value)
        for item_id, value in state.answers.items()
        if running is not None and running.item(item_id) is not None
    ]
    lines.extend([CM.MYDATA_ANSWERS, *answers] if answers else [CM.MYDATA_NO_ANSWERS])
    if conv.buendnis_id is not None or conv.source:
        name = await s.scalar(select(Buendnis.name).where(Buendnis.id == conv.buendnis_id))
        where = ", ".join(p for p in (name, conv.source) if p)
        lines.append(CM.MYDATA_SOURCE.with_(source=where))
    else:
        lines.append(CM.MYDATA_NO_SOURCE)
    lines.append(CM.MYDATA_INVITATIONS_ON if conv.invitations else CM.MYDATA_INVITATIONS_OFF)
    lines.extend([CM.MYDATA_ANONYMOUS, CM.MYDATA_HOW_TO_DELETE])
    return Reply(parts=(Msg.join(lines, "\n"),))


def _answer_line(flow: Flow | None, item_id: str, value: object) -> Msg:
    assert flow is not None
    item = flow.item(item_id)
    assert item is not None
    return answer_line(flow, item, value)
