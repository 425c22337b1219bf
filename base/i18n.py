"""gettext catalogs from locales/, fallback chain, rendering of engine messages.

Fallback: the person's language → the Bündnis default → German (the source language).
A missing translation is counted and logged by message context only, never its text.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

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
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate

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


def isolate(text: str) -> str:
    return f"{FSI}{text}{PDI}"


def render(label: Label, locale: str, fallback: str = SOURCE) -> str:
    """Translate a message and fill in its parameters; isolate left-to-right runs in RTL."""
    text = _render(label, locale, fallback)
    return isolate_ltr_runs(text) if is_rtl(locale) else text


def _render(label: Label, locale: str, fallback: str) -> str:
    if isinstance(label, str):
        return label
    if label.context == "@join":
        sep = label.params.get("sep", ", ")
        return sep.join(_render(i, locale, fallback) for i in label.params["items"])
    n = _count(label.params.get("n", 1))
    text = translate(locale, label.context, label.msgid, fallback, label.plural, n)
    if not label.params:
        return text
    values = {
        k: _render(v, locale, fallback) if isinstance(v, Msg) else str(v)
        for k, v in label.params.items()
    }
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        # A broken translation must not break the conversation: use the source text.
        log.warning("bad placeholders locale=%s context=%s", locale, label.context or "-")
        source = label.msgid if label.plural is None or n == 1 else label.plural
        return source.format(**values)


def _count(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 1


# A left-to-right run: starts with a Latin letter/digit (or / @ + for commands, handles,
# phone numbers), may contain spaces and punctuation, ends with a letter, digit or ")".
# Latin letters include the accented ones ("Düsseldorf", "Café"): a run must not break there.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LTR_RUN = re.compile(
    f"[/@+(]?[{_LATIN}0-9][{_LATIN}0-9 .,:;/@+\\-_()'&]*[{_LATIN}0-9)]|[{_LATIN}0-9]"
)
_ISOLATED = re.compile(f"{FSI}[^{PDI}]*{PDI}")


def isolate_ltr_runs(text: str) -> str:
    """Wrap every left-to-right run (names, numbers, addresses, URLs, commands) in U+2068…U+2069
    so it keeps its order inside right-to-left text. Already isolated pieces stay as they are."""
    out, pos = [], 0
    for m in _ISOLATED.finditer(text):
        out.append(_LTR_RUN.sub(lambda r: isolate(r.group(0)), text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_LTR_RUN.sub(lambda r: isolate(r.group(0)), text[pos:]))
    return "".join(out)


def bare_ltr(text: str) -> list[str]:
    """Left-to-right characters outside isolates (what tests look for in RTL output)."""
    outside = _ISOLATED.sub("", text)
    return [ch for ch in outside if ch.isascii() and ch.isalnum()]
