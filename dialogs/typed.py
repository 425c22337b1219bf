"""Typed answers to the question on screen: choices by (fuzzy) label, numbers, free text,
phone numbers and e-mail addresses. Never a silent guess: unsure matches are asked back."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from base.normalize import normalize, parse_number, western_digits
from dialogs.asking import ask, not_understood, number_hint
from dialogs.buttons import Op, encode
from dialogs.intake_messages import IM
from dialogs.io import Button, Msg, Reply
from dialogs.matching import match_choice, match_many
from dialogs.messages import M
from dialogs.model import Item
from dialogs.run import Run

SKIP_WORDS = frozenset({"-", "skip", "uberspringen", "weiter", "keine angabe"})
PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{4,28}[0-9]$")
# What a right-to-left keyboard adds around digits: direction marks (kept elsewhere, they
# matter in Persian words) and the Arabic thousands separator and comma.
_PHONE_MARKS = str.maketrans(
    {"\u200e": "", "\u200f": "", "\u061c": "", "\u066c": " ", "\u060c": " "}
)


def phone_number(text: str) -> str:
    """A typed phone number with Western digits ("٠١٥١ ٢٣٤٥٦٧٨" → "0151 2345678")."""
    return " ".join(western_digits(text).translate(_PHONE_MARKS).split())


EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")

Answer = Callable[[Item, object], None]


def typed(run: Run, item: Item, text: str, answer: Answer) -> None:
    """`answer(item, value)` when the text answers `item`; otherwise say why and ask again."""
    words = normalize(text)
    if not words:
        run.say(not_understood(run))
        ask(run, item)
        return
    if not run.required(item) and words in SKIP_WORDS | run.ctx.skip_words(run.state.locale):
        answer(item, None)
    elif item.kind == "number":
        _number(run, item, text, answer)
    elif item.kind == "text":
        _text(run, item, text, answer)
    elif item.kind == "multi":
        codes = match_many(item, words, _terms(run, item))
        if codes:
            answer(item, codes)
        else:
            run.say(not_understood(run))
            ask(run, item)
    elif item.kind == "offers":
        run.say(IM.CONTACT_BUTTONS if run.state.care is None else not_understood(run))
    else:
        _choice(run, item, words, answer)


def _terms(run: Run, item: Item) -> dict[str, list[str]]:
    return run.ctx.terms(run.flow, item, run.state.locale or "de")


def _choice(run: Run, item: Item, words: str, answer: Answer) -> None:
    state = run.state
    if state.suggestion is not None:
        yes_no = run.ctx.yes_no(words, state.locale)
        if yes_no == "yes":
            answer(item, state.suggestion)
            return
        state.suggestion = None
        if yes_no == "no":
            ask(run, item)
            return
    match = match_choice(item, words, _terms(run, item))
    if match.sure:
        answer(item, match.code)
    elif match.code is not None:
        state.suggestion = match.code
        choice = item.choice(match.code)
        label = Msg(choice.label, run.flow.context(item.id)) if choice else match.code
        v = run.flow.version
        op = Op.END if choice is not None and choice.confirm else Op.ANSWER
        run.replies.append(
            Reply(
                parts=(M.DID_YOU_MEAN.with_(answer=label),),
                buttons=(
                    Button(label, encode(op, v, item.id, match.code)),
                    Button(M.NO_OTHER, encode(Op.SHOW, v, item.id, "")),
                ),
                ask=item.id,
            )
        )
    else:
        run.say(not_understood(run))
        ask(run, item)


def _number(run: Run, item: Item, text: str, answer: Answer) -> None:
    number = parse_number(text)
    finite = number is not None and math.isfinite(number)
    bounded = item.min is not None or item.max is not None
    if (
        number is None
        or (not finite and not bounded)  # too big for any float, and no range to name
        or (finite and item.integer and number != int(number))
    ):
        run.say(not_understood(run) if number is None and run.state.care else M.NOT_A_NUMBER)
        ask(run, item)
    elif (
        not finite
        or (item.min is not None and number < item.min)
        or (item.max is not None and number > item.max)
    ):
        run.say(number_hint(item, (M.OUT_OF_RANGE, M.TOO_SMALL, M.TOO_BIG)))
        ask(run, item)
    else:
        answer(item, int(number) if item.integer else number)


def _text(run: Run, item: Item, text: str, answer: Answer) -> None:
    limit = item.max_length or 500
    cleaned = " ".join(text.split())
    if len(cleaned) > limit:
        run.say(M.TEXT_TOO_LONG.with_(max=limit))
        ask(run, item)
    elif item.format == "phone":
        phone = phone_number(cleaned)
        if PHONE.match(phone) and sum(ch.isdigit() for ch in phone) >= 6:
            answer(item, phone)
        else:
            run.say(IM.BAD_PHONE)
            ask(run, item)
    elif item.format == "email":
        if len(cleaned) <= 200 and EMAIL.match(cleaned):
            answer(item, cleaned)
        else:
            run.say(IM.BAD_EMAIL)
            ask(run, item)
    else:
        answer(item, cleaned)
