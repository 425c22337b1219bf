"""What goes into and out of the engine: state, events, replies, effects, context."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from base.translatable import Label, Msg
from dialogs.model import Flow, Item

# ---------------------------------------------------------------- state


@dataclass
class State:
    """Conversation state, stored as JSON in the conversation row."""

    locale: str | None = None
    flow_id: str | None = None
    flow_version: str | None = None
    item: str | None = None  # the question waiting for an answer
    answers: dict[str, Any] = field(default_factory=dict)  # in progress only
    toggles: list[str] = field(default_factory=list)  # multiple choice being composed
    suggestion: str | None = None  # "did you mean …?" code waiting for a yes
    finished: bool = False
    history: list[str] = field(default_factory=list)  # answered items, in order (for "back")
    defaults: dict[str, Any] = field(default_factory=dict)  # answers the person went back over
    data: dict[str, Any] = field(default_factory=dict)  # results of actions and lists, by item
    page: int = 0  # offers list: the need area on screen
    confirm: str | None = None  # waits for a second "yes": restart[:code] | delete | end:item:code
    waiting: str | None = None  # item waiting for its effect's result (within one step)
    thread: int | None = None  # referral the next typed text goes to (reply to a Servicestelle)
    # After a danger message, until the person goes on: the categories, the age group and the
    # local contacts of the help shown (dialogs/care.py). Never the message itself.
    care: dict[str, Any] | None = None
    # The languages the person's device says it speaks (Telegram's language_code, a browser's
    # Accept-Language), ours only: the picker shows them first. `locale_guessed`: the locale
    # came from the device, so the greeting offers a one-tap change.
    phone: list[str] = field(default_factory=list)
    locale_guessed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {name: _copied(getattr(self, name)) for name in _STATE_ORDER}

    def copy(self) -> State:
        """A deep copy (the state holds JSON data only), cheaper than `copy.deepcopy`."""
        return State(**self.to_json())

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> State:
        return cls(**{k: v for k, v in (data or {}).items() if k in _STATE_FIELDS})


_STATE_ORDER = tuple(f.name for f in dataclasses.fields(State))
_STATE_FIELDS = frozenset(_STATE_ORDER)


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value  # str, int, float, bool, None — and tuples of them, which are immutable


# ---------------------------------------------------------------- events (inputs)


@dataclass(frozen=True)
class Command:
    name: str  # without the slash, lower case
    arg: str = ""


@dataclass(frozen=True)
class Press:
    data: str  # button data as sent by the channel; may be stale or forged


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Unsupported:
    kind: str  # sticker, photo, voice, …


@dataclass(frozen=True)
class Resumed:
    """What the handlers of the effect the engine waits for (`State.waiting`) found out."""

    data: Mapping[str, Any] = field(default_factory=dict)


Event = Command | Press | Text | Unsupported | Resumed

# ---------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Button:
    label: Label
    data: str
    selected: bool = False


@dataclass(frozen=True)
class Reply:
    parts: tuple[Msg, ...]  # shown as paragraphs of one message
    buttons: tuple[Button, ...] = ()
    ask: str | None = None  # item id when this reply asks a question


# ---------------------------------------------------------------- context


class Context(Protocol):
    """What the engine needs to know about languages; pure lookups only."""

    @property
    def languages(self) -> Sequence[tuple[str, str]]:
        """(locale code, native name) of every language on offer."""
        ...

    def terms(self, flow: Flow, item: Item, locale: str) -> dict[str, list[str]]:
        """Normalised typed forms per answer code (labels and synonyms)."""
        ...

    def yes_no(self, typed: str, locale: str | None) -> str | None: ...

    def skip_words(self, locale: str | None) -> frozenset[str]: ...

    def back_words(self, locale: str | None) -> frozenset[str]: ...


Translate = Callable[[str, str | None, str], str]  # (locale, context, msgid) -> text
