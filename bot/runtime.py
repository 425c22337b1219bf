"""The conversation runtime: one inbound message → one transaction → replies in the outbox.

Per conversation, messages are handled one at a time: an in-process lock per pseudonym, plus
the row lock taken on arrival on PostgreSQL (several workers; bot/arrival.py) or a single
writer on SQLite. The new
state, the effects and the rendered replies are committed together; sending happens after the
commit, from the outbox, so a crash re-sends rather than loses a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, delete, insert, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import flood, paging
from bot.arrival import arrive, buendnis_locale
from bot.clean import clean_event
from bot.effects import Handlers
from bot.languages import locales_for
from bot.locks import KeyedLocks
from bot.messages import CM
from bot.render import render_reply
from dialogs.effects import Completed, DataWanted, Effect, Forget, InvitationsSet, StartOver
from dialogs.engine import Result, in_progress, step
from dialogs.io import Command, Event, Msg, Reply, Resumed, State
from dialogs.lexicon import Lexicon
from dialogs.messages import M
from dialogs.model import Flow
from dialogs.safety import is_danger
from store.addresses import AddressBox
from store.holding import Held, Holding, held_in, hold
from store.models import (
    Buendnis,
    Conversation,
    EntryPoint,
    OutboxMessage,
    utcnow,
)
from store.turn import Turn

log = logging.getLogger(__name__)


# Core: no unit of work for rows this process never reads again
OUTBOX_INSERT = insert(cast(Table, OutboxMessage.__table__))
MAX_ROUNDS = 8  # effects waited for within one step (a flow waits for one at a time)

# Before a flow is shown: e.g. the Gemeinden of the person's Bündnis as choices.
Preparer = Callable[[AsyncSession, Conversation, Flow], Awaitable[Flow]]
# On /start: None when the person may start, else what to tell them (e.g. a closed wave).
StartCheck = Callable[
    [AsyncSession, Conversation, bytes, Mapping[str, Flow]], Awaitable[Msg | None]
]


def pseudonym(secret: bytes, channel: str, user_id: str) -> str:
    """HMAC(secret, channel:user_id): the only key under which a person's state is kept."""
    return hmac.new(secret, f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Inbound:
    channel: str  # telegram | web | console
    user_id: str  # raw messenger id: used for the pseudonym, never stored
    address: str  # where replies go (chat id)
    event: Event
    key: str | None = None  # idempotency key (e.g. Telegram update_id)
    flow: str | None = None  # flow to run when none is running (console --flow)
    language: str | None = None  # the device's language tag (Telegram, Accept-Language)


@dataclass(frozen=True)
class Handled:
    conversation_id: int | None
    replies: int
    duplicate: bool = False
    dropped: bool = False  # flood control: counted and ignored
    locale: str | None = None  # the person's language after this message
    out: tuple[Reply, ...] = ()  # what was said (already in the outbox)


class Runtime:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        flows: Mapping[str, Flow],
        lexicon: Lexicon,
        *,
        secret: bytes,
        default_flow: str,
        default_locale: str = "de",
        max_text_length: int = 1000,
        flood_max_updates: int = 20,
        flood_window_seconds: float = 10.0,
        handlers: Handlers | None = None,
        preparers: Sequence[Preparer] = (),
        start_checks: Sequence[StartCheck] = (),
        on_entry: Callable[[int], Held] | None = None,
        holding: Holding | None = None,
    ) -> None:
        self.holding = holding  # what handlers hold back from the person's transaction
        self.handlers = handlers or Handlers()
        # What to hold when a deep link is used: an anonymous scan count of the entry point.
        self.on_entry = on_entry
        self.preparers = tuple(preparers)
        self.start_checks = tuple(start_checks)
        self.sessions = sessions
        self.flows = flows
        self.lexicon = lexicon
        self.secret = secret
        self.addresses = AddressBox(secret)  # addresses are kept sealed (store.addresses)
        self.default_flow = default_flow
        self.default_locale = default_locale
        self.max_text_length = max_text_length
        self.flood_max_updates = flood_max_updates
        self.flood_window_seconds = flood_window_seconds
        self._locks = KeyedLocks()
        self._single_writer = asyncio.Lock() if self._is_sqlite else None
        self.outbox_ready = asyncio.Event()

    @property
    def single_writer(self) -> asyncio.Lock | None:
        """On SQLite, the lock every writer of this process takes (None on PostgreSQL)."""
        return self._single_writer

    @property
    def _is_sqlite(self) -> bool:
        return self.sessions.kw["bind"].dialect.name == "sqlite"

    # ------------------------------------------------------------------ locking
    @contextlib.asynccontextmanager
    async def _serialised(self, key: str) -> AsyncIterator[None]:
        async with self._locks.hold(key):
            if self._single_writer is None:
                yield
            else:
                async with self._single_writer:
                    yield

    # ------------------------------------------------------------------ handling
    async def handle(self, msg: Inbound) -> Handled:
        msg = replace(msg, event=clean_event(msg.event))  # storable and displayable text only
        pn = pseudonym(self.secret, msg.channel, msg.user_id)
        async with self._serialised(pn):
            try:
                return await self._handle(msg, pn)
            except DBAPIError as e:
                if not e.connection_invalidated:
                    raise
                # A connection the database dropped (restart, failover): the pool has been
                # invalidated; the transaction never committed, so it is run once more.
                log.warning("database connection lost: the message is handled again")
                return await self._handle(msg, pn)

    async def _handle(self, msg: Inbound, pn: str) -> Handled:
        async with self.sessions() as s, s.begin():
            arrival = await arrive(
                s,
                pseudonym=pn,
                channel=msg.channel,
                address=self.addresses.seal(msg.address),  # only a sender opens it
                key=msg.key,
                now=utcnow(),
                window=self.flood_window_seconds,
            )
            conv = arrival.conversation
            if arrival.duplicate:
                log.info("duplicate inbound ignored channel=%s", msg.channel)
                return Handled(conv.id, 0, duplicate=True)
            if msg.key is not None:
                verdict = flood.verdict(arrival.recent, msg.channel, limit=self.flood_max_updates)
                if verdict is flood.Verdict.DROP:
                    return Handled(conv.id, 0, dropped=True, locale=conv.locale)
                if verdict is flood.Verdict.WARN:
                    slow_down = Reply(parts=(CM.SLOW_DOWN,))
                    await self._enqueue(s, conv, [slow_down], arrival.fallback_locale)
                    self.outbox_ready.set()
                    return Handled(conv.id, 1, dropped=True, locale=conv.locale)
            attributed = conv.buendnis_id
            replies = await self._step(s, conv, msg)
            fallback = arrival.fallback_locale
            if conv.buendnis_id != attributed:  # a start code attributed it just now
                fallback = await buendnis_locale(s, conv.buendnis_id)
            await self._enqueue(s, conv, replies, fallback)
            count = len(replies)
        self._hand_over(s)  # committed: only now may the held items be written, later
        self.outbox_ready.set()
        log.info("handled channel=%s event=%s replies=%d", msg.channel, _kind(msg.event), count)
        return Handled(conv.id, count, locale=conv.locale, out=tuple(replies))

    def _hand_over(self, s: AsyncSession) -> None:
        held = held_in(s)
        if held and self.holding is None:
            log.error("held items dropped: no holding area n=%d", len(held))
        elif held and self.holding is not None:
            self.holding.add(held)

    async def _step(self, s: AsyncSession, conv: Conversation, msg: Inbound) -> list[Reply]:
        event = msg.event
        text = getattr(event, "text", None)
        state = State.from_json(conv.state)
        if isinstance(text, str) and len(text) > self.max_text_length and not is_danger(text):
            refusal = Reply(parts=(M.MESSAGE_TOO_LONG.with_(max=self.max_text_length),))
            return [refusal]  # a long message that speaks of danger still gets the help
        if state.locale is None and conv.locale:
            state.locale = conv.locale
        if msg.language is not None:
            self._device_language(state, msg.language)
            conv.locale = conv.locale or state.locale  # a refusal before the flow: theirs too
        flow = self._flow_for(conv, state, msg, restarting=False)
        restarting = isinstance(event, Command) and event.name in ("start", "restart")
        if restarting and not in_progress(flow, state):
            return await self._start(s, conv, state, msg, getattr(event, "arg", ""))
        flow = await self._prepare(s, conv, flow)
        paged = paging.page(state, event, flow, self.lexicon)
        if paged is not None:
            return paged
        result = step(flow, state, event, self.lexicon)
        return await self._settle(s, conv, msg, flow, result, paging.hints(event, state))

    def _device_language(self, state: State, tag: str) -> None:
        """The device's language: first in the picker, and the person's language until they
        choose one (Persian asks Farsi or Dari once; a language we lack: the default)."""
        known = [code for code, _ in self.lexicon.languages]
        state.phone = list(locales_for(tag, known))
        if state.locale is None and len(state.phone) < 2:
            state.locale = state.phone[0] if state.phone else self.default_locale
            state.locale_guessed = True

    async def _start(
        self,
        s: AsyncSession,
        conv: Conversation,
        state: State,
        msg: Inbound,
        code: str,
        flow_id: str | None = None,
    ) -> list[Reply]:
        """A fresh start: attribution of a deep link, the start checks, then the flow (`flow_id`:
        one the person chose at the end of another, which is theirs from now on)."""
        await self._attribute(s, conv, code)
        if flow_id is not None:
            conv.entry_flow = flow_id
        for check in self.start_checks:
            refusal = await check(s, conv, self.secret, self.flows)
            if refusal is not None:
                return [Reply(parts=(refusal,))]
        chosen = self.flows.get(flow_id or "") or self._flow_for(conv, state, msg, restarting=True)
        flow = await self._prepare(s, conv, chosen)
        result = step(flow, state, Command("start", code), self.lexicon)
        return await self._settle(s, conv, msg, flow, result)

    async def _prepare(self, s: AsyncSession, conv: Conversation, flow: Flow) -> Flow:
        for prepare in self.preparers:
            flow = await prepare(s, conv, flow)
        return flow

    async def _settle(
        self,
        s: AsyncSession,
        conv: Conversation,
        msg: Inbound,
        flow: Flow,
        result: Result,
        hints: paging.Hints = None,
    ) -> list[Reply]:
        """Apply the step's effects (feeding waited-for results back), then keep the state."""
        turn = Turn(s, conv, self.secret)
        replies = paging.shown(result.replies, hints)
        for _ in range(MAX_ROUNDS):
            applied = await self.handlers.apply(turn, result.effects)
            replies += applied.replies
            restart = await self._conversation_effects(turn, result.effects, applied.data)
            if inspect(conv).deleted or inspect(conv).detached:
                return replies  # /delete: nothing of the conversation is kept
            if restart is not None:
                flow_id = restart.flow if restart.flow in self.flows else None
                started = await self._start(s, conv, result.state, msg, restart.code, flow_id)
                return replies + started
            if result.state.waiting is None:
                break
            result = step(flow, result.state, Resumed(applied.data), self.lexicon)
            replies += result.replies
        else:
            log.error("effects still waited for after %d rounds", MAX_ROUNDS)
            result.state.waiting = None
        conv.state = result.state.to_json()
        conv.locale = result.state.locale
        return replies

    async def _conversation_effects(
        self, turn: Turn, effects: Sequence[Effect], data: dict[str, Any]
    ) -> StartOver | None:
        """The effects on the conversation row itself (after the domain handlers ran)."""
        conv, s = turn.conversation, turn.session
        restart = None
        for effect in effects:
            if isinstance(effect, InvitationsSet):
                conv.invitations = effect.on
            elif isinstance(effect, DataWanted):
                data["source"] = await self._source(s, conv)
                data["invitations"] = conv.invitations
            elif isinstance(effect, Completed):
                await forget_delivered(s, conv)  # they may repeat answers that are gone now
            elif isinstance(effect, Forget):
                # referrals were withdrawn by their handler; keys and unsent replies go by cascade
                await s.execute(delete(Conversation).where(Conversation.id == conv.id))
                s.expunge(conv)
                log.info("conversation deleted on request")
            elif isinstance(effect, StartOver):
                restart = effect
        return restart

    async def _source(self, s: AsyncSession, conv: Conversation) -> str:
        name = None
        if conv.buendnis_id is not None:
            name = await s.scalar(select(Buendnis.name).where(Buendnis.id == conv.buendnis_id))
        return ", ".join(p for p in (name, conv.source) if p)

    def _flow_for(self, conv: Conversation, state: State, msg: Inbound, restarting: bool) -> Flow:
        wanted = msg.flow or conv.entry_flow
        flow_id = (wanted if restarting or state.flow_id is None else state.flow_id) or wanted
        flow = self.flows.get(flow_id or "") or self.flows.get(self.default_flow)
        if flow is None:
            raise LookupError(f"flow {self.default_flow!r} is not loaded")
        return flow

    async def _attribute(self, s: AsyncSession, conv: Conversation, code: str) -> None:
        """`/start <code>`: attribute the conversation to a Bündnis and a source."""
        code = code.strip()[:64]
        if not code:
            return
        entry = await s.scalar(select(EntryPoint).where(EntryPoint.code == code))
        if entry is None:
            log.info("unknown start code ignored")
            return
        conv.buendnis_id, conv.source = entry.buendnis_id, entry.source
        conv.entry_flow = entry.flow_id
        if self.on_entry is not None:  # written with the step's other held items, if it commits
            hold(s, self.on_entry(entry.id))
        conv.wave_id = entry.wave_id  # a survey wave's own code, else None

    async def _enqueue(
        self, s: AsyncSession, conv: Conversation, replies: Sequence[Reply], fallback: str | None
    ) -> None:
        """The replies into the outbox, as one statement; they may go as one message (turn)."""
        if not replies:
            return
        fallback = fallback or self.default_locale
        locale = conv.locale or fallback
        gone = inspect(conv).detached  # deleted on request: a goodbye row, removed once sent
        turn = secrets.token_hex(4)
        rows = [
            {
                "conversation_id": None if gone else conv.id,
                "channel": conv.channel,
                "address": conv.address,
                "payload": render_reply(reply, locale, fallback) | {"turn": turn},
            }
            for reply in replies
        ]
        await s.execute(OUTBOX_INSERT, rows)

    async def state_of(self, channel: str, user_id: str) -> dict[str, Any] | None:
        pn = pseudonym(self.secret, channel, user_id)
        async with self.sessions() as s:
            conv = await s.scalar(select(Conversation).where(Conversation.pseudonym == pn))
            return None if conv is None else dict(conv.state)


def _kind(event: Event) -> str:
    return type(event).__name__.lower()


async def forget_delivered(s: AsyncSession, conv: Conversation) -> None:
    """Delivered replies may repeat answers (consent screen, /mydata, summaries): drop them
    once the answers themselves are gone. Pending replies stay, so nothing unseen is lost."""
    await s.execute(
        delete(OutboxMessage).where(
            OutboxMessage.conversation_id == conv.id, OutboxMessage.status != "pending"
        )
    )
