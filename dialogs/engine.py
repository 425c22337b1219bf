"""The flow engine: a pure function from (flow, state, input) to (state, replies, effects).

No I/O, no clock, no randomness: the runtime loads the state, calls `step`, and stores the
new state and the effects in one transaction before anything is sent.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from dialogs.buttons import Op, Pressed, encode, parse
from dialogs.expr import evaluate
from dialogs.io import (
    Button,
    Command,
    Completed,
    Context,
    Effect,
    Event,
    Msg,
    Press,
    Reply,
    State,
    Text,
    Unsupported,
)
from dialogs.matching import match_choice, match_many
from dialogs.messages import M
from dialogs.model import Flow, Item
from dialogs.normalize import normalize, parse_number

SKIP_WORDS = frozenset({"-", "skip", "uberspringen", "weiter", "keine angabe"})


@dataclass
class Result:
    state: State
    replies: list[Reply]
    effects: list[Effect]


def step(flow: Flow, state: State, event: Event, ctx: Context) -> Result:
    """Compute the reaction to one input. Never raises for any input."""
    run = _Run(flow, copy.deepcopy(state), ctx)
    run.handle(event)
    return Result(run.state, run.replies, run.effects)


class _Run:
    def __init__(self, flow: Flow, state: State, ctx: Context) -> None:
        self.flow, self.state, self.ctx = flow, state, ctx
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []

    # ------------------------------------------------------------------ dispatch
    def handle(self, event: Event) -> None:
        if self.state.flow_version not in (None, self.flow.version):
            self._migrate()
        match event:
            case Command(name="start" | "restart"):
                if self.state.locale is None:
                    self._language_picker()
                else:
                    self._start()
            case Command(name="language"):
                self._language_picker()
            case Command(name="resume"):
                self._reask()
            case Command(name="help"):
                self.say(M.HELP)
                self._reask()
            case Command():
                self.say(M.UNKNOWN_COMMAND)
                self._reask()
            case Press(data=data):
                self._press(parse(data))
            case Text(text=text):
                self._text(text)
            case Unsupported():
                self.say(M.UNSUPPORTED)
                self._reask()

    # ------------------------------------------------------------------ helpers
    def say(self, msg: Msg) -> None:
        self.replies.append(Reply(parts=(msg,)))

    def _current(self) -> Item | None:
        item_id = self.state.item
        return None if item_id is None else self.flow.item(item_id)

    def _language_picker(self) -> None:
        buttons = tuple(
            Button(label=name, data=encode(Op.LANGUAGE, "", "", code))
            for code, name in self.ctx.languages
        )
        self.replies.append(Reply(parts=(M.CHOOSE_LANGUAGE,), buttons=buttons, ask="@language"))

    def _start(self) -> None:
        self.state.flow_id, self.state.flow_version = self.flow.id, self.flow.version
        self.state.answers, self.state.toggles = {}, []
        self.state.suggestion, self.state.finished = None, False
        self._advance_from(self.flow.items[0] if self.flow.items else None)

    def _reask(self) -> None:
        item = self._current()
        if item is not None:
            self._ask(item)
        elif self.state.finished:
            self.say(M.FINISHED)
        elif self.state.locale is None:
            self._language_picker()
        else:
            self.say(M.START_HINT)

    def _migrate(self) -> None:
        """The flow changed under a running conversation: keep what still fits, tell the person."""
        kept = {}
        for item_id, value in self.state.answers.items():
            item = self.flow.item(item_id)
            if item is not None and _valid_answer(item, value):
                kept[item_id] = value
        self.state.answers, self.state.toggles, self.state.suggestion = kept, [], None
        self.state.flow_version = self.flow.version
        current = self._current()
        self.say(M.FLOW_CHANGED)
        if self.state.finished:
            return
        self.state.item = None
        if current is None:
            self._advance_from(self.flow.items[0] if self.flow.items else None, quiet=True)
        else:
            self.state.item = current.id

    # ------------------------------------------------------------------ asking
    def _ask(self, item: Item) -> None:
        v = self.flow.version
        ctx = self.flow.context(item.id)
        parts: list[Msg] = [Msg(item.text, ctx)]
        buttons: list[Button] = []
        if item.kind in ("single", "yesno", "consent"):
            buttons = [
                Button(Msg(c.label, ctx), encode(Op.ANSWER, v, item.id, c.code))
                for c in item.choices
            ]
        elif item.kind == "multi":
            chosen = set(self.state.toggles)
            buttons = [
                Button(Msg(c.label, ctx), encode(Op.TOGGLE, v, item.id, c.code), c.code in chosen)
                for c in item.choices
            ]
            parts.append(M.MULTI_HINT)
            buttons.append(Button(M.DONE, encode(Op.DONE, v, item.id, "")))
        elif item.kind == "number":
            parts.append(M.NUMBER_HINT.with_(min=_fmt(item.min), max=_fmt(item.max)))
        elif item.kind == "text":
            parts.append(M.TEXT_HINT.with_(max=item.max_length or 500))
        if not item.required and item.kind != "info":
            buttons.append(Button(M.SKIP, encode(Op.SKIP, v, item.id, "")))
        self.replies.append(Reply(parts=tuple(parts), buttons=tuple(buttons), ask=item.id))

    def _advance_from(self, item: Item | None, quiet: bool = False) -> None:
        """Go to `item` or the first askable item after it; info items are shown on the way."""
        seen: set[str] = set()
        while item is not None and item.id not in seen:
            seen.add(item.id)
            if item.when is None or evaluate(item.when, self.state.answers):
                if item.kind != "info":
                    self.state.item = item.id
                    self._ask(item)
                    return
                if not quiet:
                    self.replies.append(Reply(parts=(Msg(item.text, self.flow.context(item.id)),)))
            item = self.flow.successor(item)
        self._finish()

    def _finish(self) -> None:
        self.state.item, self.state.finished = None, True
        self.state.toggles, self.state.suggestion = [], None
        answers = dict(self.state.answers)
        self.effects.append(Completed(self.flow.id, self.flow.version, answers))
        if self.flow.kind == "demo":
            self._summary(answers)
        self.say(M.THANKS)
        self.state.answers = {}  # in-progress answers leave the state with the Completed effect

    def _summary(self, answers: dict[str, object]) -> None:
        lines: list[Msg] = [M.SUMMARY]
        for item in self.flow.items:
            if item.id in answers and item.kind != "info":
                lines.append(answer_line(self.flow, item, answers[item.id]))
        self.replies.append(Reply(parts=(Msg.join(lines, "\n"),)))

    def _answer(self, item: Item, value: object) -> None:
        self.state.answers[item.id] = value
        self.state.toggles, self.state.suggestion = [], None
        self._advance_from(self.flow.successor(item))

    # ------------------------------------------------------------------ button presses
    def _press(self, p: Pressed | None) -> None:
        if p is None:
            self.say(M.STALE_BUTTON)
            self._reask()
            return
        if p.op is Op.LANGUAGE:
            if p.code not in dict(self.ctx.languages):
                self.say(M.STALE_BUTTON)
                self._reask()
                return
            first_choice = self.state.locale is None
            self.state.locale = p.code
            if first_choice or (self.state.item is None and not self.state.finished):
                self._start()
            else:
                self._reask()
            return
        item = self._current()
        if p.version != self.flow.version[: len(p.version)] or not p.version:
            self.say(M.FLOW_CHANGED)
            self._reask()
            return
        if item is None or p.item != item.id:
            self.say(M.ALREADY_ANSWERED)
            self._reask()
            return
        if p.op is Op.SHOW:
            self.state.suggestion = None
            self._ask(item)
            return
        if p.op is Op.SKIP:
            if item.required:
                self.say(M.REQUIRED)
                self._ask(item)
            else:
                self._answer(item, None)
            return
        if p.op is Op.DONE and item.kind == "multi":
            if not self.state.toggles and item.required:
                self.say(M.CHOOSE_AT_LEAST_ONE)
                self._ask(item)
            else:
                chosen = [c.code for c in item.choices if c.code in self.state.toggles]
                self._answer(item, chosen or None)
            return
        if item.choice(p.code) is None:
            self.say(M.STALE_BUTTON)
            self._ask(item)
            return
        if p.op is Op.TOGGLE and item.kind == "multi":
            toggles = self.state.toggles
            toggles.remove(p.code) if p.code in toggles else toggles.append(p.code)
            self._ask(item)
        elif p.op is Op.ANSWER and item.kind in ("single", "yesno", "consent"):
            self._answer(item, p.code)
        else:
            self.say(M.STALE_BUTTON)
            self._ask(item)

    # ------------------------------------------------------------------ typed text
    def _text(self, text: str) -> None:
        item = self._current()
        if item is None:
            if self.state.locale is None:
                self._language_picker()
            elif self.state.finished:
                self.say(M.FINISHED)
            else:
                self._start()
            return
        typed = normalize(text)
        if not typed:
            self.say(M.NOT_UNDERSTOOD)
            self._ask(item)
            return
        if not item.required and typed in SKIP_WORDS | self.ctx.skip_words(self.state.locale):
            self._answer(item, None)
            return
        if item.kind == "number":
            self._typed_number(item, text)
        elif item.kind == "text":
            self._typed_text(item, text)
        elif item.kind == "multi":
            codes = match_many(item, typed, self._terms(item))
            if codes:
                self._answer(item, codes)
            else:
                self.say(M.NOT_UNDERSTOOD)
                self._ask(item)
        else:
            self._typed_choice(item, typed)

    def _terms(self, item: Item) -> dict[str, list[str]]:
        return self.ctx.terms(self.flow, item, self.state.locale or "de")

    def _typed_choice(self, item: Item, typed: str) -> None:
        if self.state.suggestion is not None:
            yes_no = self.ctx.yes_no(typed, self.state.locale)
            if yes_no == "yes":
                self._answer(item, self.state.suggestion)
                return
            self.state.suggestion = None
            if yes_no == "no":
                self._ask(item)
                return
        match = match_choice(item, typed, self._terms(item))
        if match.sure:
            self._answer(item, match.code)
        elif match.code is not None:
            self.state.suggestion = match.code
            choice = item.choice(match.code)
            label = Msg(choice.label, self.flow.context(item.id)) if choice else match.code
            v = self.flow.version
            self.replies.append(
                Reply(
                    parts=(M.DID_YOU_MEAN.with_(answer=label),),
                    buttons=(
                        Button(label, encode(Op.ANSWER, v, item.id, match.code)),
                        Button(M.NO_OTHER, encode(Op.SHOW, v, item.id, "")),
                    ),
                    ask=item.id,
                )
            )
        else:
            self.say(M.NOT_UNDERSTOOD)
            self._ask(item)

    def _typed_number(self, item: Item, text: str) -> None:
        number = parse_number(text)
        finite = number is not None and math.isfinite(number)
        bounded = item.min is not None or item.max is not None
        if (
            number is None
            or (not finite and not bounded)  # too big for any float, and no range to name
            or (finite and item.integer and number != int(number))
        ):
            self.say(M.NOT_A_NUMBER)
            self._ask(item)
        elif (
            not finite
            or (item.min is not None and number < item.min)
            or (item.max is not None and number > item.max)
        ):
            self.say(M.OUT_OF_RANGE.with_(min=_fmt(item.min), max=_fmt(item.max)))
            self._ask(item)
        else:
            self._answer(item, int(number) if item.integer else number)

    def _typed_text(self, item: Item, text: str) -> None:
        limit = item.max_length or 500
        cleaned = " ".join(text.split())
        if len(cleaned) > limit:
            self.say(M.TEXT_TOO_LONG.with_(max=limit))
            self._ask(item)
        else:
            self._answer(item, cleaned)


def answer_line(flow: Flow, item: Item, value: object) -> Msg:
    """ "Question – answer" in the person's language (summaries, /mydata)."""
    ctx = flow.context(item.id)
    shown: Msg | str
    if value is None:
        shown = M.SKIPPED
    elif isinstance(value, list):
        shown = Msg.join([Msg(c.label, ctx) for c in item.choices if c.code in value])
    elif item.choices:
        choice = item.choice(str(value))
        shown = Msg(choice.label, ctx) if choice else str(value)
    else:
        shown = _fmt(value) if isinstance(value, float | int) else str(value)
    return M.SUMMARY_LINE.with_(question=Msg(item.text, ctx), answer=shown)


def _valid_answer(item: Item, value: object) -> bool:
    if value is None:
        return not item.required
    if item.kind in ("single", "yesno", "consent"):
        return isinstance(value, str) and item.choice(value) is not None
    if item.kind == "multi":
        return isinstance(value, list) and all(item.choice(str(c)) for c in value)
    if item.kind == "number":
        return isinstance(value, int | float) and not (
            (item.min is not None and value < item.min)
            or (item.max is not None and value > item.max)
        )
    return isinstance(value, str)


def _fmt(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
