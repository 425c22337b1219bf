"""Putting a question on screen: text, hints, buttons, the earlier answer marked.

Everyday answers come first; the controls (done, skip, keep, back, end) follow in a fixed order
so that a thumb learns where they are (see `dialogs.buttons.CONTROLS`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dialogs.buttons import Op, encode
from dialogs.care_messages import HM
from dialogs.io import Button, Msg, Reply
from dialogs.messages import M
from dialogs.model import Flow, Item
from dialogs.run import Run

KEEP_LABEL_CHARS = 24  # a kept typed answer is shown on its button, shortened


def fmt(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def ask(run: Run, item: Item, lead: tuple[Msg, ...] = ()) -> None:
    """The question `item`, with its earlier answer (after "back") marked as the default."""
    flow, state = run.flow, run.state
    v = flow.version
    ctx = flow.context(item.id)
    default = run.default(item)
    parts: list[Msg] = [*lead, run.text(item)]
    if item.hint:
        parts.append(run.message(item, item.hint))
    buttons: list[Button] = []
    controls: list[Button] = []
    if item.kind in ("single", "yesno", "consent"):
        for c in item.choices:
            op = Op.END if c.confirm else Op.ANSWER
            button = Button(Msg(c.label, ctx), encode(op, v, item.id, c.code), c.code == default)
            (controls if c.confirm else buttons).append(button)
    elif item.kind == "multi":
        chosen = set(state.toggles)
        buttons = [
            Button(Msg(c.label, ctx), encode(Op.TOGGLE, v, item.id, c.code), c.code in chosen)
            for c in item.choices
        ]
        parts.append(M.MULTI_HINT)
        controls.append(Button(M.DONE, encode(Op.DONE, v, item.id, "")))
    elif item.kind == "number":
        parts.append(number_hint(item))
    elif item.kind == "text" and item.format is None:
        parts.append(M.TEXT_HINT.with_(max=item.max_length or 500))
    if item.kind in ("number", "text") and default is not None:
        shown = fmt(default) if isinstance(default, int | float) else str(default)
        if len(shown) > KEEP_LABEL_CHARS:
            shown = shown[: KEEP_LABEL_CHARS - 1] + "…"
        if item.id in state.defaults:  # the person's own earlier answer, not the item's default
            parts.append(M.EARLIER_ANSWER.with_(answer=shown))
        controls.append(Button(M.KEEP.with_(answer=shown), encode(Op.KEEP, v, item.id, "")))
    if not run.required(item):
        controls.append(Button(M.SKIP, encode(Op.SKIP, v, item.id, "")))
    if state.history:
        controls.append(Button(M.BACK, encode(Op.BACK, v, item.id, "")))
    controls.extend(care_controls(run))
    ordered = buttons + sorted(controls, key=lambda b: _control_rank(b.data))
    run.replies.append(Reply(parts=tuple(parts), buttons=tuple(ordered), ask=item.id))


def care_controls(run: Run) -> tuple[Button, ...]:
    """While help after a danger message is on screen: a pause (when there is a question) and
    the urgent contact (when a Servicestelle is known and the person is not under 16)."""
    care = run.state.care
    if not care:
        return ()
    out = []
    if run.current() is not None:
        out.append(Button(HM.PAUSE, encode(Op.CARE, "", "care", "pause")))
    if care.get("stelle") and care.get("age") != "u16" and not care.get("sent"):
        out.append(Button(HM.URGENT, encode(Op.CARE, "", "care", "urgent")))
    return tuple(out)


def not_understood(run: Run) -> Msg:
    """After help in danger, text that answers nothing is not refused: a kind word instead."""
    return HM.LISTEN if run.state.care else M.NOT_UNDERSTOOD


def number_hint(item: Item, too: tuple[Msg, Msg, Msg] | None = None) -> Msg:
    """ "A number from min to max", or the one bound there is; `too` gives the messages for
    (both bounds, only a lowest, only a highest) instead."""
    both, low, high = too or (M.NUMBER_HINT, M.NUMBER_HINT_FROM, M.NUMBER_HINT_UP_TO)
    if item.min is not None and item.max is not None:
        return both.with_(min=fmt(item.min), max=fmt(item.max))
    if item.min is not None:
        return low.with_(min=fmt(item.min))
    if item.max is not None:
        return high.with_(max=fmt(item.max))
    return M.NUMBER_HINT_ANY


def _control_rank(data: str) -> int:
    order = (Op.DONE.value, Op.KEEP.value, Op.SKIP.value, Op.BACK.value, Op.END.value)
    head = data.split(":", 1)[0]
    return order.index(head) if head in order else len(order)


def show_info(run: Run, item: Item) -> None:
    run.replies.append(Reply(parts=(run.text(item),)))


def language_picker(run: Run) -> None:
    """Every language on one screen: the device's first, then the one in use, then the rest
    (the channel shows the question in the first languages offered, too)."""
    names = dict(run.ctx.languages)
    first = [c for c in (*run.state.phone, run.state.locale) if c in names]
    order = dict.fromkeys([*first, *names])
    buttons = tuple(
        Button(label=names[code], data=encode(Op.LANGUAGE, "", "", code)) for code in order
    )
    run.replies.append(Reply(parts=(M.CHOOSE_LANGUAGE,), buttons=buttons, ask="@language"))


CHANGE_LANGUAGE_DATA = encode(Op.LANGUAGE, "", "", "")  # no code: show the picker


def offer_language_change(run: Run) -> None:
    """A "change language" button on the question just asked (or the last message)."""
    button = Button(Msg.join(["🌐", M.CHANGE_LANGUAGE], " "), CHANGE_LANGUAGE_DATA)
    asking = [n for n, r in enumerate(run.replies) if r.ask is not None]
    n = asking[-1] if asking else len(run.replies) - 1
    if n >= 0:
        reply = run.replies[n]
        run.replies[n] = replace(reply, buttons=(*reply.buttons, button))


def confirm_question(what: str, question: Msg, yes: Msg, no: Msg) -> Reply:
    kind = what.split(":", 1)[0]
    return Reply(
        parts=(question,),
        buttons=(
            Button(yes, encode(Op.CONFIRM, "", kind, "yes")),
            Button(no, encode(Op.CONFIRM, "", kind, "no")),
        ),
        ask="@confirm",
    )


def shown_answer(flow: Flow, item: Item, value: Any) -> Msg | str:
    """An answer as the person saw it: choice labels (translatable) or what they typed."""
    ctx = flow.context(item.id)
    if value is None:
        return M.SKIPPED
    if isinstance(value, list):
        return Msg.join([Msg(c.label, ctx) for c in item.choices if c.code in value])
    if item.choices:
        choice = item.choice(str(value))
        return Msg(choice.label, ctx) if choice else str(value)
    return fmt(value) if isinstance(value, float | int) else str(value)


def answer_line(flow: Flow, item: Item, value: object) -> Msg:
    """ "Question – answer" in the person's language (summaries, /mydata)."""
    question = Msg(item.field or item.text, flow.context(item.id))
    return M.SUMMARY_LINE.with_(question=question, answer=shown_answer(flow, item, value))
