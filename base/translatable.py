"""Translatable messages: what every package hands to the renderer (`base.i18n.render`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Msg:
    """A translatable message: German msgid, optional gettext context, named parameters.

    Parameters may themselves be Msg (translated too) or plain strings (shown as they are).
    """

    msgid: str
    context: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None  # plural source form; the parameter `n` picks the form

    def with_(self, **params: Any) -> Msg:
        return replace(self, params={**self.params, **params})

    @staticmethod
    def join(items: Sequence[Msg | str], sep: str | None = None) -> Msg:
        """Items shown one after the other: with `sep` between them, or without it as a list
        in the person's language ("A, B und C", "A، B و C")."""
        if sep is None:
            return Msg("", "@list", {"items": tuple(items)})
        return Msg("", "@join", {"items": tuple(items), "sep": sep})


Label = Msg | str  # a plain str is shown untranslated (e.g. a language's own name)
