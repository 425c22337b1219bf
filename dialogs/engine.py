"""The flow engine: a pure function from (flow, state, input) to (state, replies, effects).

No I/O, no clock, no randomness: the runtime loads the state, calls `step`, hands the effects
to their handlers, feeds back what a waited-for effect found out (`Resumed`), and stores the
new state and the replies in one transaction before anything is sent. Every dialog — surveys,
the Erstberatung with its offers, consent and referral, the demo, imported XLSForms — runs
here; nothing about a conversation is decided anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from base.normalize import normalize
from dialogs import care
from dialogs.asking import answer_line, language_picker
from dialogs.buttons import Op, Pressed, parse
from dialogs.care_messages import HM
from dialogs.consent import consent_screen
from dialogs.effects import Effect, InvitationsSet, StatusWanted
from dialogs.intake_messages import IM
from dialogs.io import Command, Context, Event, Press, Reply, Resumed, State, Text, Unsupported
from dialogs.listing import (
    enter_offers,
    offer_details,
    offers_count,
    offers_found,
    offers_page,
    open_offer,
)
from dialogs.messages import PM, M
from dialogs.model import Flow, Item
from dialogs.moves import Moves, in_progress
from dialogs.personal import (
    ask_data,
    data_shown,
    open_thread,
    reply_sent,
    reply_typed,
    status_shown,
    thread_opened,
)
from dialogs.run import Run
from dialogs.safety import Detection, detect
from dialogs.typed import typed

__all__ = ["Result", "answer_line", "in_progress", "step"]


@dataclass
class Result:
    state: State
    replies: list[Reply]
    effects: list[Effect]


def step(flow: Flow, state: State, event: Event, ctx: Context) -> Result:
    """Compute the reaction to one input. Never raises for any input."""
    run = Run(flow, state.copy(), ctx)
    _Engine(run).handle(event)
    return Result(run.state, run.replies, run.effects)


class _Engine(Moves):
    """What comes in: commands, presses, typed text, and results from the world."""

    # ------------------------------------------------------------------ dispatch
    def handle(self, event: Event) -> None:
        st = self.state
        if isinstance(event, Resumed):
            self._resumed(event.data)
            return
        st.waiting = None  # a result that never came: the item is entered again when shown
        if st.flow_id not in (None, self.flow.id):
            # a start link of another flow is a fresh start, not a change of the questions
            fresh = isinstance(event, Command) and event.name in ("start", "restart")
            self._other_flow(quiet=fresh)
        elif st.flow_version not in (None, self.flow.version):
            self._migrate()
        typed = event.text if isinstance(event, Text) else None
        found = detect(typed) if typed is not None else None
        if found is not None and typed is not None:  # first: never an answer, never kept
            self._danger(found, typed)
            return
        if st.confirm is not None and self._confirmed(event):
            return
        st.confirm = None
        if st.thread is not None:
            if isinstance(event, Text):
                reply_typed(self.run, event.text)
                return
            st.thread = None  # anything else closes the reply
        if st.care is not None and st.care.pop("paused", False) and isinstance(event, Text):
            self.run.say(HM.BACK_AGAIN)  # what they write now is not the answer to it
            self._reask()
            return
        match event:
            case Command(name="start" | "restart", arg=arg):
                self._start_command(arg)
            case Command(name="language"):
                language_picker(self.run)
            case Command(name="resume"):
                self._reask()
            case Command(name="help"):
                self.run.say(M.HELP)
                self.run.say(PM.DATA_HELP)
                self._reask()
            case Command(name="back"):
                self._back()
            case Command(name="mydata"):
                ask_data(self.run)
            case Command(name="delete"):
                self._confirm("delete")
            case Command(name="stop"):
                self.run.effects.append(InvitationsSet(False))
                self.run.say(PM.STOPPED)
                self._reask_quietly()
            case Command():
                self.run.say(M.UNKNOWN_COMMAND)
                self._reask()
            case Press(data=data):
                self._press(parse(data))
            case Text(text=text):
                self._text(text)
            case Unsupported():
                self.run.say(M.UNSUPPORTED)
                self._reask()

    # ------------------------------------------------------------------ results from the world
    def _resumed(self, data: Any) -> None:
        st = self.state
        what, st.waiting = st.waiting or "", None
        kind, _, rest = what.partition(":")
        item = self.flow.item(rest.split(":", 1)[0])
        if kind == "care" and rest == "send":
            care.sent(self.run, data)
            self._reask_quietly()
        elif kind == "care":
            care.helped(self.run, data)
            self._after_help()
        elif kind == "mydata":
            data_shown(self.run, data)
            self._reask_quietly()
        elif kind == "thread" and rest.isdecimal():
            if not thread_opened(self.run, int(rest), data):
                self._reask()
        elif kind == "reply":
            reply_sent(self.run, data)
            if st.care is not None and st.care.get("pending"):
                care.wanted(self.run)  # the reply spoke of danger: now the help
            else:
                self._reask_quietly()
        elif kind == "status":
            if not status_shown(self.run, data):
                self.finished_note()
        elif kind == "list" and item is not None:
            offers_found(self.run, item, data)
        elif kind == "open" and item is not None:
            offer_details(self.run, item, int(rest.split(":", 1)[1]), data)
        elif kind == "action" and item is not None:
            self._acted(item, dict(data))
        else:
            self._reask()

    # ------------------------------------------------------------------ presses
    def _press(self, p: Pressed | None) -> None:
        run, st = self.run, self.state
        if p is None or p.op is Op.CONFIRM:
            run.say(M.STALE_BUTTON)
            self._reask()
            return
        if p.op is Op.LANGUAGE:
            self._language(p.code)
            return
        if p.op is Op.REPLY:
            if not open_thread(run, p.code):
                self._reask_quietly()
            return
        if p.op is Op.GO:
            self._go(p.code)
            return
        if p.op is Op.CARE:
            self._care_press(p.code)
            return
        item = run.current()
        if p.version != self.flow.version[: len(p.version)] or not p.version:
            run.say(M.FLOW_CHANGED)
            self._reask()
            return
        if item is None or p.item != item.id:
            run.say(M.ALREADY_ANSWERED)
            self._reask()
            return
        if p.op is Op.BACK:
            self._back()
        elif item.kind == "offers":
            self._list_press(item, p)
        elif p.op is Op.MORE and item.kind == "consent" and item.recipient:
            consent_screen(run, item, full=True)
        elif p.op is Op.SHOW:
            st.suggestion = None
            self._ask(item)
        elif p.op is Op.KEEP and (kept := run.default(item)) is not None:
            self._answer(item, kept)
        elif p.op is Op.SKIP:
            if run.required(item):
                run.say(run.message(item, item.required_message, M.REQUIRED))
                self._ask(item)
            else:
                self._answer(item, None)
        elif p.op is Op.DONE and item.kind == "multi":
            chosen = [c.code for c in item.choices if c.code in st.toggles]
            if not chosen and run.required(item):
                run.say(run.message(item, item.required_message, M.CHOOSE_AT_LEAST_ONE))
                self._ask(item)
            else:
                self._answer(item, chosen or None)
        elif (choice := item.choice(p.code)) is None:
            run.say(M.STALE_BUTTON)
            self._ask(item)
        elif p.op is Op.TOGGLE and item.kind == "multi":
            toggles, code = st.toggles, choice.code
            toggles.remove(code) if code in toggles else toggles.append(code)
            self._ask(item)
        elif p.op in (Op.ANSWER, Op.END) and item.kind in ("single", "yesno", "consent"):
            if choice.confirm:
                self._confirm(f"end:{item.id}:{choice.code}")
            else:
                self._answer(item, choice.code)
        else:
            run.say(M.STALE_BUTTON)
            self._ask(item)

    def _list_press(self, item: Item, p: Pressed) -> None:
        if p.op is Op.DONE:
            self._answer(item, offers_count(self.run, item))
        elif p.op is Op.AREA and p.code.isdecimal() and len(p.code) < 4:
            offers_page(self.run, item, int(p.code))
        elif p.op is Op.OPEN:
            open_offer(self.run, item, p.code)
        else:
            self.run.say(M.STALE_BUTTON)
            offers_page(self.run, item, self.state.page)

    def _language(self, code: str) -> None:
        st = self.state
        if not code:  # "change language" under a greeting
            language_picker(self.run)
            return
        if code not in dict(self.run.ctx.languages):
            self.run.say(M.STALE_BUTTON)
            self._reask()
            return
        first_choice = st.locale is None
        st.locale = code
        item = self.run.current()
        if first_choice or (item is None and not st.finished):
            self._start()
        elif item is not None and item.kind == "offers":
            enter_offers(self.run, item, fresh=True)  # titles in the new language
        else:
            self._reask()

    # ------------------------------------------------------------------ danger and help
    def _danger(self, found: Detection, text: str) -> None:
        st = self.state
        st.confirm = None
        if st.thread is not None:  # the reply goes to the Servicestelle as written, then help
            care.start(self.run, found, after_reply=True)
            reply_typed(self.run, text, urgent=found.category)
            return
        care.start(self.run, found)

    def _after_help(self) -> None:
        st = self.state
        if self.run.current() is not None:
            self._reask()
        elif st.care is not None and st.care.get("guessed"):  # the language was a guess
            language_picker(self.run)

    def _care_press(self, code: str) -> None:
        if self.state.care is None or code not in ("pause", "urgent"):
            self.run.say(M.STALE_BUTTON)
            self._reask()
        elif code == "pause":
            care.pause(self.run)
        elif not care.urgent(self.run):
            self._reask_quietly()

    # ------------------------------------------------------------------ typed text
    def _text(self, text: str) -> None:
        st = self.state
        item = self.run.current()
        if item is None and st.care is not None:
            care.listen(self.run)
            return
        if item is None:
            if st.locale is None:
                language_picker(self.run)
            elif st.finished:  # "wann meldet ihr euch?": how far their referral is
                self.run.wait("status", StatusWanted())
            else:
                self._start()
            return
        if normalize(text) in self.run.ctx.back_words(st.locale):
            self._back()
            return
        if item.kind == "offers":
            self.run.say(IM.CONTACT_BUTTONS if st.care is None else HM.LISTEN)
            offers_page(self.run, item, st.page)
            return
        choice_confirm = item.kind in ("single", "yesno", "consent")
        typed(self.run, item, text, self._typed_answer if choice_confirm else self._answer)

    def _typed_answer(self, item: Item, value: object) -> None:
        choice = item.choice(str(value)) if value is not None else None
        if choice is not None and choice.confirm:
            self._confirm(f"end:{item.id}:{choice.code}")
        else:
            self._answer(item, value)
