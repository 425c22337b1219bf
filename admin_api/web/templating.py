"""Rendering staff pages: one Jinja2 environment (autoescaped, gettext domain `staff`),
navigation per role, `render` and `redirect`.

Navigation is a plain list per role; a new page adds its item with `NAV[role].append(...)`
(or an entry below). The first item is the role's start page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from access.scope import Role
from admin_api.web.headers import page_headers
from admin_api.web.i18n import LOCALES, S_, locale_of, translations

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LOCAL_TIME = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class NavItem:
    label: str  # marked with S_, translated when rendered
    href: str
    section: str  # pages pass `section` to mark the current item


NAV: dict[Role, list[NavItem]] = {
    "servicestelle": [NavItem(S_("Verweise"), "/staff/referrals", "referrals")],
    "gfs": [
        NavItem(S_("Angebote"), "/staff/offers", "offers"),
        NavItem(S_("Befragungswellen"), "/staff/waves", "waves"),
        NavItem(S_("Angebotslücken"), "/staff/gaps", "gaps"),
        NavItem(S_("Startcodes und Plakate"), "/staff/entries", "entries"),
    ],
    "admin": [
        NavItem(S_("Verweise"), "/staff/referrals", "referrals"),
        NavItem(S_("Angebote"), "/staff/offers", "offers"),
        NavItem(S_("Befragungswellen"), "/staff/waves", "waves"),
        NavItem(S_("Angebotslücken"), "/staff/gaps", "gaps"),
        NavItem(S_("Startcodes und Plakate"), "/staff/entries", "entries"),
    ],
}


def nav_for(role: str) -> list[NavItem]:
    return list(NAV.get(role, []))  # type: ignore[call-overload]


def local_time(value: dt.datetime | None, with_time: bool = True) -> str:
    """A stored UTC time as German local time (`06.12.2026, 14:05`)."""
    if value is None:
        return ""
    aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    local = aware.astimezone(LOCAL_TIME)
    return local.strftime("%d.%m.%Y, %H:%M" if with_time else "%d.%m.%Y")


env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True),
    extensions=["jinja2.ext.i18n"],
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["local_time"] = local_time


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """The page `template` in the page language, with navigation and the CSRF token of the
    logged-in user (if any)."""
    locale = locale_of(request)
    session = getattr(request.state, "page_session", None)
    who = session.principal if session else None
    values: dict[str, Any] = {
        "request": request,
        "lang": locale,
        "languages": LOCALES,
        "user": who,
        "nav": nav_for(who.role) if who else [],
        "section": "",
        "csrf_token": session.csrf_token if session else "",
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    values.update(context or {})
    # Rendering is synchronous, so installing this request's language cannot leak into another.
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    html = env.get_template(template).render(values)
    # Also set here: a 500 page is sent from outside the middleware that adds them.
    return HTMLResponse(html, status_code=status, headers=page_headers())


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a form POST the browser GETs the result."""
    return RedirectResponse(url, status_code=303)
