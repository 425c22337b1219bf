"""Texts of an XLSForm for a chat: the form's languages mapped to Wegweiser's locales, ODK's
markdown turned into plain text (what a messenger shows), `${q}` turned into a placeholder
that shows the earlier answer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from babel import Locale, UnknownLocaleError

REF = re.compile(r"\$\{\s*([^}\s]*)\s*\}")
_LANGUAGE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)\)\s*$")
DEFAULT = "default"  # pyxform's key for columns without a language (`label`)
GERMAN = "de"
# ISO 639-2/3 codes and everyday names Babel does not know for the locales we have
_ALPHA3 = {
    "deu": "de", "ger": "de", "eng": "en", "ara": "ar", "fas": "fa", "per": "fa",
    "prs": "fa_AF", "pus": "ps", "pbt": "ps", "kmr": "ku", "kur": "ku", "tir": "ti",
    "som": "so", "ukr": "uk", "rus": "ru", "tur": "tr", "fra": "fr", "fre": "fr", "urd": "ur",
}  # fmt: skip
_NAMES = {
    "farsi": "fa", "dari": "fa_AF", "sorani": "ckb", "kurmanji": "ku", "kurdish (sorani)": "ckb",
    "kurdish (kurmanji)": "ku", "pushto": "ps", "tigrigna": "ti", "francais": "fr",
}  # fmt: skip


def _names(locale: str) -> set[str]:
    try:
        loc = Locale.parse(locale)
    except (ValueError, UnknownLocaleError):
        return set()
    found = {(loc.get_display_name(x) or "").lower() for x in ("en", "de", locale)}
    if "_" not in locale:  # "Persian" is fa, not fa_AF
        found |= {(loc.get_language_name(x) or "").lower() for x in ("en", "de", locale)}
    return found - {""}


def locale_of(language: str, locales: Sequence[str]) -> str | None:
    """`English (en)`, `Arabic (ar)`, `français`, `Dari (prs)`, `ar` -> a locale of `locales`."""
    m = _LANGUAGE.match(language)
    code, name = (m.group("code"), m.group("name")) if m else ("", language)
    wanted = [code.replace("-", "_").lower(), _ALPHA3.get(code.lower(), "").lower()]
    wanted.append(language.strip().replace("-", "_").lower())  # a bare code as the name
    for loc in locales:
        if loc.lower() in wanted:
            return loc
    name = name.strip().lower()
    if name in _NAMES and _NAMES[name] in locales:
        return _NAMES[name]
    return next((loc for loc in locales if name in _names(loc)), None)


@dataclass
class Languages:
    source: str  # the form's language whose texts become the flow's source texts
    source_locale: str | None  # its locale (None: a language we do not have)
    locales: dict[str, str] = field(default_factory=dict)  # other languages -> locale
    unknown: list[str] = field(default_factory=list)  # languages with no locale of ours


def _keys(form: Any, found: dict[str, None]) -> None:
    """Every language key of label/hint/message dictionaries, in column order."""
    if isinstance(form, dict):
        for key, value in form.items():
            if key in ("label", "hint", "jr:constraintMsg", "jr:requiredMsg"):
                if isinstance(value, dict):
                    found.update(dict.fromkeys(value))
                elif isinstance(value, str):
                    found[DEFAULT] = None
            else:
                _keys(value, found)
    elif isinstance(form, list):
        for value in form:
            _keys(value, found)


def languages(
    form: dict[str, Any], default_language: str, plain_label: bool, locales: Sequence[str]
) -> Languages:
    """German if the form has it, else the form's default language, else the plain `label`
    column, else the first language column."""
    keys: dict[str, None] = {}
    _keys(form.get("children", []), keys)
    _keys(form.get("choices", {}), keys)
    named = [k for k in keys if k != DEFAULT]
    german = next((k for k in named if locale_of(k, locales) == GERMAN), None)
    if german is not None:
        source = german
    elif default_language in named:
        source = default_language
    elif plain_label or not named:
        source = DEFAULT
    else:
        source = named[0]
    result = Languages(source, locale_of(source, locales) if source != DEFAULT else None)
    for key in named:
        if key == source:
            continue
        loc = locale_of(key, locales)
        if loc is None:
            result.unknown.append(key)
        elif loc != result.source_locale:
            result.locales[key] = loc
    return result


def texts(value: Any) -> dict[str, str]:
    """A pyxform text (a string, or a dictionary by language) as {language: text}."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float)}
    if isinstance(value, str | int | float):
        return {DEFAULT: str(value)}
    return {}


def pick(value: Any, lang: Languages) -> str:
    """The text in the source language, else the unnamed column, else any language."""
    found = texts(value)
    for key in (lang.source, DEFAULT):
        if found.get(key, "").strip():
            return found[key]
    return next((t for t in found.values() if t.strip() and t.strip() != "-"), "")


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_MARKS = (
    (re.compile(r"^\s{0,3}#{1,6}\s+", re.M), ""),  # headings
    (re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)"), r"\1 (\2)"),  # links: text (address)
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"\1"),
    (re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"), r"\1"),
    (re.compile(r"(?<![\w*\\])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w\\])_(?=[^\s_])(.+?)(?<=[^\s_\\])_(?!\w)"), r"\1"),
    (re.compile(r"\\([\\*_#\[\]()>`-])"), r"\1"),  # escaped characters
)


def plain(text: str) -> str:
    """ODK's markdown and HTML spans as a messenger shows plain text."""
    out = _TAG.sub("", text)
    for pattern, repl in _MARKS:
        out = pattern.sub(repl, out)
    out = html.unescape(out).replace("\u00a0", " ")
    return "\n".join(line.rstrip() for line in out.strip().splitlines())


def flow_text(text: str, rename: Callable[[str], str]) -> str:
    """Plain text with `${q}` as the placeholder `{id}` (shows q's answer); literal braces
    become parentheses, so no text is mistaken for a placeholder."""
    names: list[str] = []

    def keep(m: re.Match[str]) -> str:  # markdown must not touch the names
        names.append(rename(m.group(1)))
        return f"\x00{len(names) - 1}\x01"

    body = plain(REF.sub(keep, text)).replace("{", "(").replace("}", ")")
    return re.sub("\x00(\\d+)\x01", lambda m: "{" + names[int(m.group(1))] + "}", body)


def references(text: str) -> set[str]:
    return {m.group(1) for m in REF.finditer(text)}


def translations(value: Any, lang: Languages, rename: Callable[[str], str]) -> Mapping[str, str]:
    """{locale: text} for every mapped language with a text ("-" is pyxform's filler)."""
    found = texts(value)
    out: dict[str, str] = {}
    for key, loc in lang.locales.items():
        text = found.get(key, "").strip()
        if text and text != "-":
            out[loc] = flow_text(text, rename)
    return out
