"""Moving through a flow: start, answer, go on, finish, go back, confirm before deleting.

`Moves` is the half of the engine that changes where the person is; `dialogs.engine` adds
what comes in (commands, presses, typed text, results from the world) and calls these.
"""

from __future__ import annotations

from typing import Any

from dialogs import care
from dialogs.asking import (
    answer_line,
    ask,
    confirm_question,
    language_picker,
    offer_language_change,
    show_info,
)
from dialogs.buttons import Op, encode, parse
from dialogs.consent import action_outcome, consent_screen, enter_action
from dialogs.effects import Answer, Completed, Forget, InvitationsSet, StartOver
from dialogs.expr import evaluate
from dialogs.io import Button, Event, Msg, Press, Reply, State, Text
from dialogs.listing import enter_offers
from dialogs.messages import PM, M
from dialogs.model import QUESTION_KINDS, Flow, Item
from dialogs.run import Run

_MISSING = object()


def in_progress(flow: Flow, state: State) -> bool:
    """Would starting over lose answers? (Then /start asks first.)"""
    return state.flow_id == flow.id and bool(state.answers) and not state.finished


class Moves:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.flow, self.state = run.flow, run.state

    # ------------------------------------------------------------------ moving through the flow
    def _start(self) -> None:
        st = self.state
        guessed = st.locale_guessed
        self.run.state = self.state = st = State(locale=st.locale, phone=st.phone)
        st.flow_id, st.flow_version = self.flow.id, self.flow.version
        self._advance_from(self.flow.items[0] if self.flow.items else None)
        if guessed:  # greeted in the device's language: one tap to another
            offer_language_change(self.run)

    def _start_command(self, code: str) -> None:
        if self.state.locale is None:
            language_picker(self.run)
        elif in_progress(self.flow, self.state):
            self._confirm(f"restart:{code}")
        else:
            self._start()

    def _other_flow(self, quiet: bool = False) -> None:
        """The state belongs to another flow (not loaded any more, or left by a start link of
        this one): start this one; `quiet` for a start, else the person is told."""
        if not quiet:
            self.run.say(M.FLOW_CHANGED)
        st = self.state
        self.run.state = self.state = State(locale=st.locale, phone=st.phone)

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
                elif (shown := self.run.shown(item)).choices or not item.choices:
                    self.state.item = item.id
                    self._preset(shown)
                    self._ask(shown)
                    return
                # a choice_filter that lets no choice through: nothing to ask (ODK: no answer)
            item = self.flow.successor(item)
        self._finish()

    def _preset(self, item: Item) -> None:
        """On entering a multiple choice: its default (or earlier answer) ticked. Only then —
        a person who unticks everything must not get the default back."""
        if item.kind == "multi":
            default = self.run.default(item)
            offered = {c.code for c in item.choices}
            chosen = default if isinstance(default, list) else []
            self.state.toggles = [c for c in chosen if c in offered]

    def _ask(self, item: Item) -> None:
        if item.kind == "consent" and item.recipient:
            consent_screen(self.run, item)
        else:
            ask(self.run, item)

    def _answer(self, item: Item, value: object) -> None:
        st = self.state
        if value is not None and item.constraint is not None:
            if not evaluate(item.constraint, {**st.answers, item.id: value}, current=value):
                self.run.say(self.run.message(item, item.constraint_message, M.CONSTRAINT))
                st.suggestion = None  # a multiple choice keeps its toggles to be changed
                self._ask(item)
                return
        earlier = st.defaults.pop(item.id, _MISSING)
        if earlier is not _MISSING and earlier != value:
            for dependent in self.flow.dependents(item.id):  # their answers no longer fit
                st.defaults.pop(dependent, None)
        st.answers[item.id] = value
        st.history.append(item.id)
        st.toggles, st.suggestion = [], None
        st.care = None  # they went on: the help has done its part
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
            if flow.next_flow is not None:  # no dead end: a way on to help
                self.run.replies.append(
                    Reply(parts=(M.NEXT_FLOW,), buttons=self._go_buttons(), ask="@next")
                )
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
            self.finished_note()
        elif st.locale is None:
            language_picker(self.run)
        else:
            self.run.say(M.START_HINT)

    def _go_buttons(self) -> tuple[Button, ...]:
        """After the end: the flow this one leads to, else this one again."""
        target = self.flow.next_flow or self.flow.id
        label = M.NEXT_FLOW_YES if self.flow.next_flow else M.START_AGAIN
        return (Button(label, encode(Op.GO, "", "", target)),)

    def finished_note(self) -> None:
        self.run.replies.append(Reply(parts=(M.FINISHED,), buttons=self._go_buttons(), ask="@next"))

    def _go(self, code: str) -> None:
        """A flow started from the end of this one (its next_flow, or itself again)."""
        if self.run.current() is not None or code not in (self.flow.next_flow, self.flow.id):
            self.run.say(M.STALE_BUTTON)
            self._reask()
            return
        self.run.state = self.state = State(locale=self.state.locale)
        self.run.effects.append(StartOver("", flow=code))

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
                if item.asks:
                    self._preset(item)
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
        if kind in care.CONFIRMS:
            if not care.confirmed(self.run, kind, answer == "yes"):
                self._reask_quietly()
        elif answer == "no":
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

    def _reask_quietly(self) -> None:
        """After an interruption: the open question again, but no "you are done" note."""
        if self.run.current() is not None:
            self._reask()


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
