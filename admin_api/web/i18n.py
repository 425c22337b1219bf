"""Texts of the staff pages: gettext domain `staff` (German source, `locales/<l>/LC_MESSAGES/
staff.po`). Templates mark texts with `{{ _("…") }}`; Python marks them with `S_("…")` and
translates them when a page is rendered. `make staff-messages` extracts and updates.
"""

from __future__ import annotations

import functools
from gettext import NullTranslations

from babel.support import Translations
from fastapi import Request

from base.i18n import LOCALES_DIR

DOMAIN = "staff"
SOURCE = "de"
LOCALES = ("de", "en")
LANG_COOKIE = "wegweiser_staff_lang"


def S_(message: str) -> str:
    """Marks a German page text for extraction; translated later by `gettext_for`."""
    return message


@functools.cache
def translations(locale: str) -> NullTranslations:
    if locale == SOURCE:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [locale], domain=DOMAIN)


def locale_of(request: Request) -> str:
    """German unless the person chose another page language (cookie)."""
    chosen = request.cookies.get(LANG_COOKIE, "")
    return chosen if chosen in LOCALES else SOURCE


def gettext_for(request: Request, message: str, **params: object) -> str:
    """`message` (marked with S_) in the page language, `%(name)s` placeholders filled."""
    text = translations(locale_of(request)).gettext(message)
    return text % params if params else text
