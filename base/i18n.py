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

from base import rtl as rtl_text
from base.translatable import Label, Msg

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SOURCE = "de"
# The picker's order: German (source), then the target group's languages.
LOCALE_ORDER = (
    "de", "en", "ar", "fa", "fa_AF", "ps", "ku", "ckb", "ti", "so", "uk", "ru", "tr", "fr", "ur",
)  # fmt: skip
RTL = frozenset({"ar", "fa", "fa_AF", "ps", "ckb", "ur"})

missing_translations: Counter[str] = Counter()


def available_locales() -> list[str]:
    found = {p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    found.add(SOURCE)
    return [loc for loc in LOCALE_ORDER if loc in found] + sorted(found - set(LOCALE_ORDER))


@lru_cache(maxsize=64)
def catalog(locale: str) -> NullTranslations:
    if locale == SOURCE:
        return NullTranslations()
    t = Translations.load(str(LOCALES_DIR), [locale], DOMAIN)
    return t if isinstance(t, Translations) else NullTranslations()


# Names people recognise in the picker where CLDR's differ (Dari, Sorani).
NATIVE_NAMES = {"fa_AF": "دری", "ckb": "کوردی (سۆرانی)", "ku": "Kurdî (Kurmancî)"}


def native_name(locale: str) -> str:
    if locale in NATIVE_NAMES:
        return NATIVE_NAMES[locale]
    try:
        name = Locale.parse(locale).get_display_name(locale) or locale
    except (ValueError, LookupError):
        return locale
    return name[:1].upper() + name[1:]


def languages() -> list[tuple[str, str]]:
    return [(code, native_name(code)) for code in available_locales()]


def translate(
    locale: str,
    context: str | None,
    msgid: str,
    fallback: str = SOURCE,
    plural: str | None = None,
    n: int = 1,
) -> str:
    """Look the message up along the fallback chain; German source text is the last resort.
    With `plural`, the locale's plural rule picks the form for `n`."""
    if not msgid:
        return msgid
    source = msgid if plural is None or n == 1 else plural
    for loc in dict.fromkeys((locale, fallback)):
        if loc == SOURCE:
            break
        cat = catalog(loc)
        if plural is not None:
            found = str(cat.ngettext(msgid, plural, n))
        else:
            found = str(cat.pgettext(context, msgid) if context else cat.gettext(msgid))
        if found not in (msgid, plural):
            return found
        missing_translations[loc] += 1
        log.info("missing translation locale=%s context=%s", loc, context or "-")
    return source


def is_rtl(locale: str | None) -> bool:
    return locale in RTL


def render(label: Label, locale: str, fallback: str = SOURCE) -> str:
    """Translate a message and fill in its parameters. In right-to-left languages every value
    is isolated as it is filled in and the translation's own left-to-right runs before
    (`base/rtl.py`)."""
    rtl = is_rtl(locale)
    if isinstance(label, str):
        return rtl_text.shown(label) if rtl else label
    return _render(label, locale, fallback, rtl)


def _render(label: Msg, locale: str, fallback: str, rtl: bool) -> str:
    if label.context in ("@join", "@list"):
        items = [_value(i, locale, fallback, rtl) for i in label.params["items"]]
        if label.context == "@list":
            return rtl_text.join_list(items, locale)
        return str(label.params["sep"]).join(items)
    n = _count(label.params.get("n", 1))
    text = translate(locale, label.context, label.msgid, fallback, label.plural, n)
    if rtl:
        text = rtl_text.isolate_template(text)
    if not label.params:
        return text
    values = {k: _value(v, locale, fallback, rtl) for k, v in label.params.items()}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        # A broken translation must not break the conversation: use the source text.
        log.warning("bad placeholders locale=%s context=%s", locale, label.context or "-")
        source = label.msgid if label.plural is None or n == 1 else label.plural
        return (rtl_text.isolate(source) if rtl else source).format(**values)


def _value(value: object, locale: str, fallback: str, rtl: bool) -> str:
    if isinstance(value, Msg):
        shown = _render(value, locale, fallback, rtl)
        return rtl_text.isolate(shown) if rtl else shown
    return rtl_text.isolate_value(str(value)) if rtl else str(value)


def _count(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 1
