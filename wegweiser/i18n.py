"""gettext catalogs from locales/, fallback chain, rendering of engine messages.

Fallback: the person's language → the Bündnis default → German (the source language).
A missing translation is counted and logged by message context only, never its text.
"""

from __future__ import annotations

import logging
from collections import Counter
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

from dialogs.io import Label, Msg

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SOURCE = "de"
RTL = frozenset({"ar", "fa", "fa_AF", "ps", "ckb", "ur"})
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate

missing_translations: Counter[str] = Counter()


def available_locales() -> list[str]:
    found = {p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return [SOURCE, *sorted(found - {SOURCE})]


@lru_cache(maxsize=64)
def catalog(locale: str) -> NullTranslations:
    if locale == SOURCE:
        return NullTranslations()
    t = Translations.load(str(LOCALES_DIR), [locale], DOMAIN)
    return t if isinstance(t, Translations) else NullTranslations()


def native_name(locale: str) -> str:
    try:
        name = Locale.parse(locale).get_display_name(locale) or locale
    except (ValueError, LookupError):
        return locale
    return name[:1].upper() + name[1:]


def languages() -> list[tuple[str, str]]:
    return [(code, native_name(code)) for code in available_locales()]


def translate(locale: str, context: str | None, msgid: str, fallback: str = SOURCE) -> str:
    """Look the message up along the fallback chain; German source text is the last resort."""
    if not msgid:
        return msgid
    for loc in dict.fromkeys((locale, fallback)):
        if loc == SOURCE:
            break
        cat = catalog(loc)
        found = cat.pgettext(context, msgid) if context else cat.gettext(msgid)
        if found != msgid:
            return found
        missing_translations[loc] += 1
        log.info("missing translation locale=%s context=%s", loc, context or "-")
    return msgid


def is_rtl(locale: str | None) -> bool:
    return locale in RTL


def isolate(text: str) -> str:
    return f"{FSI}{text}{PDI}"


def render(label: Label, locale: str, fallback: str = SOURCE) -> str:
    """Translate a message and fill its parameters (themselves translated, or isolated in RTL)."""
    if isinstance(label, str):
        return isolate(label) if is_rtl(locale) and _has_ltr(label) else label
    if label.context == "@join":
        sep = label.params.get("sep", ", ")
        return sep.join(render(i, locale, fallback) for i in label.params["items"])
    text = translate(locale, label.context, label.msgid, fallback)
    if not label.params:
        return text
    values = {k: _param(v, locale, fallback) for k, v in label.params.items()}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        # A broken translation must not break the conversation: use the source text.
        log.warning("bad placeholders locale=%s context=%s", locale, label.context or "-")
        return label.msgid.format(**values)


def _param(value: object, locale: str, fallback: str) -> str:
    if isinstance(value, Msg):
        return render(value, locale, fallback)
    text = str(value)
    return isolate(text) if is_rtl(locale) and _has_ltr(text) else text


def _has_ltr(text: str) -> bool:
    """Latin letters or digits: the pieces that need isolating inside right-to-left text."""
    return any(ch.isascii() and ch.isalnum() for ch in text)
