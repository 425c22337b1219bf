"""Typed-answer vocabulary per language, built from the translation catalogs."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from base.normalize import normalize
from dialogs.babel_flows import synonym_msgid
from dialogs.io import Translate
from dialogs.messages import M
from dialogs.model import Flow, Item


def _words(raw: str) -> list[str]:
    return [w for w in (normalize(p) for p in raw.split("|")) if w]


class Lexicon:
    """The engine's Context: languages on offer and what people may type for each answer."""

    def __init__(self, translate: Translate, languages: Sequence[tuple[str, str]]) -> None:
        self._tr = translate
        self.languages = tuple(languages)
        self.terms = lru_cache(maxsize=4096)(self._terms)
        self._word_cache: dict[tuple[str, str], frozenset[str]] = {}

    def _terms(self, flow: Flow, item: Item, locale: str) -> dict[str, list[str]]:
        ctx = flow.context(item.id)
        out: dict[str, list[str]] = {}
        for c in item.choices:
            forms = [self._tr(locale, ctx, c.label), c.label, *c.synonyms]
            if item.kind not in ("yesno", "consent"):  # those use the shared yes/no words
                typed = synonym_msgid(c.label, c.synonyms)
                forms.append(self._tr(locale, f"{ctx}:{c.code}", typed))
            words = [w for f in forms for w in _words(f)]
            out[c.code] = list(dict.fromkeys(words))
        if item.kind in ("yesno", "consent"):
            for code, msg in (("yes", M.YES_WORDS), ("no", M.NO_WORDS)):
                out.setdefault(code, []).extend(
                    self._word_set(msg.context or "", msg.msgid, locale)
                )
        return out

    def _word_set(self, ctx: str, msgid: str, locale: str | None) -> frozenset[str]:
        key = (ctx, locale or "de")
        if key not in self._word_cache:
            words = _words(msgid) + _words(self._tr(locale or "de", ctx, msgid))
            self._word_cache[key] = frozenset(words)
        return self._word_cache[key]

    def yes_no(self, typed: str, locale: str | None) -> str | None:
        typed = normalize(typed)
        for code, msg in (("yes", M.YES_WORDS), ("no", M.NO_WORDS)):
            if typed in self._word_set(msg.context or "", msg.msgid, locale):
                return code
        return None

    def skip_words(self, locale: str | None) -> frozenset[str]:
        return self._word_set(M.SKIP_WORDS.context or "", M.SKIP_WORDS.msgid, locale)

    def back_words(self, locale: str | None) -> frozenset[str]:
        """German and English always work too: people switch to them when stuck."""
        words = self._word_set(M.BACK_WORDS.context or "", M.BACK_WORDS.msgid, locale)
        return words | self._word_set(M.BACK_WORDS.context or "", M.BACK_WORDS.msgid, "en")


def untranslated(_locale: str, _ctx: str | None, msgid: str) -> str:
    return msgid


GERMAN_ONLY = Lexicon(untranslated, [("de", "Deutsch")])
