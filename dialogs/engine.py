"""The flow engine: a pure function from (flow, state, input) to (state, replies, effects).

No I/O, no clock, no randomness: the runtime loads the state, calls `step`, hands the effects
to their handlers, feeds back what a waited-for effect found out (`Resumed`), and stores the
new state and the replies in one transaction before anything is sent. Every dialog — surveys,
the Erstberatung with its offers, consent and referral, the demo, imported XLSForms — runs
here; nothing about a conversation is decided anywhere else.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from dialogs.asking import answer_line, ask, confirm_question, language_picker, show_info
from dialogs.buttons import Op, Pressed, parse
from dialogs.effects import (
    Answer,
    Completed,
    Effect,
    Forget,
    InvitationsSet,
    StartOver,
)
from dialogs.expr import evaluate
from dialogs.intake_messages import IM
from dialogs.io import Command, Context, Event, Msg, Press, Reply, Resumed, State, Text, Unsupported
from dialogs.listing import (
    action_outcome,
    consent_screen,
    enter_action,
    enter_offers,
    offer_details,
    offers_count,
    offers_found,
    offers_page,
    open_offer,
)
from dialogs.messages import PM, M
from dialogs.model import QUESTION_KINDS, Flow, Item
from dialogs.normalize import normalize
from dialogs.personal import (
    ask_data,
    data_shown,
    open_thread,
    reply_sent,
    reply_typed,
    thread_opened,
)
from dialogs.run import Run
from dialogs.safety import is_danger
from dialogs.typed import typed

__all__ = ["Result", "answer_line", "in_progress", "step"]

_MISSING = object()


@dataclass
class Result:
    state: State
    replies: list[Reply]
    effects: list[Effect]


def step(flow: Flow, state: State, event: Event, ctx: Context) -> Result:
    """Compute the reaction to one input. Never raises for any input."""
    run = Run(flow, copy.deepcopy(state), ctx)
    _Engine(run).handle(event)
    return Result(run.state, run.replies, run.effects)


def in_progress(flow: Flow, state: State) -> bool:
    """Would starting over lose answers? (Then /start asks first.)"""
    return state.flow_id == flow.id and bool(state.answers) and not state.finished


class _Engine:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.flow, self.state = run.flow, run.state

    # ------------------------------------------------------------------ dispatch
    def handle(self, event: Event) -> None:
        st = self.state
        if isinstance(event, Resumed):
            self._resumed(event.data)
            return
        st.waiting = None  # a result that never came: the item is entered again when shown
        if st.flow_id not in (None, self.flow.id):
            self._other_flow()
        elif st.flow_version not in (None, self.flow.version):
            self._migrate()
        if st.confirm is not None and self._confirmed(event):
            return
        st.confirm = None
        if st.thread is not None:
            if isinstance(event, Text):
                reply_typed(self.run, event.text)
                return
            st.thread = None  # anything else closes the reply
        if isinstance(event, Text) and is_danger(event.text):
            self.run.say(IM.SAFETY)
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

    # ------------------------------------------------------------------ moving through the flow
    def _start(self) -> None:
        st = self.state
        locale = st.locale
        self.run.state = self.state = st = State(locale=locale)
        st.flow_id, st.flow_version = self.flow.id, self.flow.version
        self._advance_from(self.flow.items[0] if self.flow.items else None)

    def _start_command(self, code: str) -> None:
        if self.state.locale is None:
            language_picker(self.run)
        elif in_progress(self.flow, self.state):
            self._confirm(f"restart:{code}")
        else:
            self._start()

    def _other_flow(self) -> None:
        """The state belongs to a flow that is not loaded any more: start this one."""
        self.run.say(M.FLOW_CHANGED)
        locale = self.state.locale
        self.run.state = self.state = State(locale=locale)

    def _migrate(self) -> None:
        """The flow changed under a running conversation: keep what still fits, tell the person."""
        st = self.state
        kept = {}
        for item_id, value in st.answers.items():
            item = self.flow.item(item_id)
            if item is not None and item.kind in QUESTION_KINDS and _valid_answer(item, value):
                kept[item_id] = value
        st.answers, st.toggles, st.suggestion, st.data = kept, [], None, {}
        st.history = [i for i in st.history if i in kept]
        st.defaults = {k: v for k, v in st.defaults.items() if self.flow.item(k) is not None}
        st.flow_version = self.flow.version
        current = self.run.current()
        self.run.say(M.FLOW_CHANGED)
        if st.finished:
            return
        st.item = None
        if current is None or not current.asks:  # from the top, earlier answers as defaults
            st.defaults.update(st.answers)
            st.answers, st.history = {}, []
            self._advance_from(self.flow.items[0] if self.flow.items else None, quiet=True)
        else:
            st.item = current.id

    def _advance_from(self, item: Item | None, quiet: bool = False) -> None:
        """Go to `item` or the first applicable one after it; info items are shown on the way."""
        seen: set[str] = set()
        while item is not None and item.id not in seen:
            seen.add(item.id)
            if item.when is None or evaluate(item.when, self.state.answers):
                if item.kind == "info":
                    if not quiet:
                        show_info(self.run, item)
                elif item.kind == "offers":
                    enter_offers(self.run, item)
                    return
                elif item.kind == "action":
                    if enter_action(self.run, item):
                        return
                    self._acted(item, {})
                    return
                else:
                    self.state.item = item.id
                    self._ask(item)
                    return
            item = self.flow.successor(item)
        self._finish()

    def _ask(self, item: Item) -> None:
        if item.kind == "multi" and not self.state.toggles:
            default = self.state.defaults.get(item.id)
            self.state.toggles = list(default) if isinstance(default, list) else []
        if item.kind == "consent" and item.recipient:
            consent_screen(self.run, item)
        else:
            ask(self.run, item)

    def _answer(self, item: Item, value: object) -> None:
        st = self.state
        earlier = st.defaults.pop(item.id, _MISSING)
        if earlier is not _MISSING and earlier != value:
            for dependent in self.flow.dependents(item.id):  # their answers no longer fit
                st.defaults.pop(dependent, None)
        st.answers[item.id] = value
        st.history.append(item.id)
        st.toggles, st.suggestion = [], None
        self._advance_from(self.flow.successor(item))

    def _acted(self, item: Item, data: dict[str, Any]) -> None:
        outcome, kept = action_outcome(item, data)
        self.state.data[item.id] = kept
        self._answer(item, outcome)

    def _finish(self) -> None:
        st, flow = self.state, self.flow
        st.item, st.finished = None, True
        answers: list[Answer] = []
        for item in flow.items:
            if item.id not in st.answers or item.kind not in QUESTION_KINDS:
                continue
            value = st.answers[item.id]
            if item.role == "invitation":  # a wish about this chat, not a survey answer
                if value in ("yes", "no"):
                    self.run.effects.append(InvitationsSet(value == "yes"))
                continue
            answers.append(Answer(item.id, item.kind, item.role, value))
        self.run.effects.append(Completed(flow.id, flow.version, flow.kind, tuple(answers)))
        if flow.kind == "demo":
            lines: list[Msg] = [M.SUMMARY]
            lines += [answer_line(flow, flow.items[flow.index[a.item]], a.value) for a in answers]
            self.run.replies.append(Reply(parts=(Msg.join(lines, "\n"),)))
        if flow.kind != "intake":
            self.run.say(M.THANKS)
        # in-progress answers leave the state with the Completed effect
        st.answers, st.history, st.defaults, st.data = {}, [], {}, {}
        st.toggles, st.suggestion, st.page = [], None, 0

    def _reask(self) -> None:
        st = self.state
        item = self.run.current()
        if item is not None:
            if item.kind == "offers":
                enter_offers(self.run, item)
            elif item.kind == "action":
                self._advance_from(item)
            else:
                self._ask(item)
        elif st.finished:
            self.run.say(M.FINISHED)
        elif st.locale is None:
            language_picker(self.run)
        else:
            self.run.say(M.START_HINT)

    # ------------------------------------------------------------------ back and confirmations
    def _back(self) -> None:
        st = self.state
        while st.history:
            item_id = st.history.pop()
            value = st.answers.pop(item_id, None)
            st.data.pop(item_id, None)
            item = self.flow.item(item_id)
            if item is not None and item.asks:
                if item.kind != "offers":
                    st.defaults[item_id] = value
                st.item, st.finished = item_id, False
                st.toggles, st.suggestion = [], None
                self._reask()
                return
        self.run.say(M.NO_BACK)
        self._reask()

    def _confirm(self, what: str) -> None:
        self.state.confirm = what
        kind = what.split(":", 1)[0]
        question, yes = {
            "restart": (M.CONFIRM_RESTART, M.RESTART_YES),
            "delete": (M.CONFIRM_DELETE, M.DELETE_YES),
            "end": (M.CONFIRM_END, M.END_YES),
        }[kind]
        self.run.replies.append(confirm_question(what, question, yes, M.CONFIRM_NO))

    def _confirmed(self, event: Event) -> bool:
        """A yes or no to the pending confirmation; False: the event is something else."""
        st = self.state
        what = st.confirm or ""
        kind = what.split(":", 1)[0]
        answer: str | None = None
        if isinstance(event, Press):
            pressed = parse(event.data)
            if pressed is not None and pressed.op is Op.CONFIRM and pressed.item == kind:
                answer = pressed.code
        elif isinstance(event, Text):
            answer = self.run.ctx.yes_no(event.text, st.locale)
        if answer not in ("yes", "no"):
            return False
        st.confirm = None
        if answer == "no":
            self.run.say(M.NOTHING_DELETED)
            self._reask_quietly()
        elif kind == "restart":
            locale = st.locale
            self.run.state = self.state = State(locale=locale)
            self.run.effects.append(StartOver(what.partition(":")[2]))
        elif kind == "delete":
            self.run.effects.append(Forget())
            self.run.say(PM.DELETED)
            self.run.state = self.state = State(locale=st.locale)
        else:  # end:<item>:<code>
            _, item_id, code = [*what.split(":", 2), "", ""][:3]
            item = self.run.current()
            if item is not None and item.id == item_id and item.choice(code) is not None:
                self._answer(item, code)
            else:
                self._reask()
        return True

    # ------------------------------------------------------------------ results from the world
    def _resumed(self, data: Any) -> None:
        st = self.state
        what, st.waiting = st.waiting or "", None
        kind, _, rest = what.partition(":")
        item = self.flow.item(rest.split(":", 1)[0])
        if kind == "mydata":
            data_shown(self.run, data)
            self._reask_quietly()
        elif kind == "thread" and rest.isdecimal():
            if not thread_opened(self.run, int(rest), data):
                self._reask()
        elif kind == "reply":
            reply_sent(self.run, data)
            self._reask_quietly()
        elif kind == "list" and item is not None:
            offers_found(self.run, item, data)
        elif kind == "open" and item is not None:
            offer_details(self.run, item, int(rest.split(":", 1)[1]), data)
        elif kind == "action" and item is not None:
            self._acted(item, dict(data))
        else:
            self._reask()

    def _reask_quietly(self) -> None:
        """After an interruption: the open question again, but no "you are done" note."""
        if self.run.current() is not None:
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
        elif p.op is Op.SHOW:
            st.suggestion = None
            self._ask(item)
        elif p.op is Op.KEEP and item.id in st.defaults:
            self._answer(item, st.defaults[item.id])
        elif p.op is Op.SKIP:
            if item.required:
                run.say(M.REQUIRED)
                self._ask(item)
            else:
                self._answer(item, None)
        elif p.op is Op.DONE and item.kind == "multi":
            if not st.toggles and item.required:
                run.say(M.CHOOSE_AT_LEAST_ONE)
                self._ask(item)
            else:
                chosen = [c.code for c in item.choices if c.code in st.toggles]
                self._answer(item, chosen or None)
        elif (choice := item.choice(p.code)) is None:
            run.say(M.STALE_BUTTON)
            self._ask(item)
        elif p.op is Op.TOGGLE and item.kind == "multi":
            toggles = st.toggles
            toggles.remove(p.code) if p.code in toggles else toggles.append(p.code)
            self._ask(item)
        elif p.op in (Op.ANSWER, Op.END) and item.kind in ("single", "yesno", "consent"):
            if choice.confirm:
                self._confirm(f"end:{item.id}:{choice.code}")
            else:
                self._answer(item, p.code)
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

    # ------------------------------------------------------------------ typed text
    def _text(self, text: str) -> None:
        st = self.state
        item = self.run.current()
        if item is None:
            if st.locale is None:
                language_picker(self.run)
            elif st.finished:
                self.run.say(M.FINISHED)
            else:
                self._start()
            return
        if normalize(text) in self.run.ctx.back_words(st.locale):
            self._back()
            return
        if item.kind == "offers":
            self.run.say(IM.CONTACT_BUTTONS)
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


def _valid_answer(item: Item, value: object) -> bool:
    if value is None:
        return not item.required
    if item.kind in ("single", "yesno", "consent"):
        return isinstance(value, str) and (
            item.source is not None or item.choice(value) is not None
        )
    if item.kind == "multi":
        return isinstance(value, list) and all(item.choice(str(c)) for c in value)
    if item.kind == "number":
        return isinstance(value, int | float) and not (
            (item.min is not None and value < item.min)
            or (item.max is not None and value > item.max)
        )
    return isinstance(value, str)
