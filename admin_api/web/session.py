"""Who is looking at a staff page: the session cookie only (no bearer tokens here).

`PageUser` is the logged-in principal or a 303 to the login; `page_role(...)` narrows it to
roles (others get the German 403 page); `check_csrf` guards every POST form: the hidden
`csrf_token` field must equal the token of the session (or, on the login form, of the login
cookie), else 403 and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from access.scope import Principal, Role
from admin_api.deps import SESSION_COOKIE, DbSession, session_of
from admin_api.security import same
from admin_api.web.errors import PAGE_PREFIX, LoginRequired, PageError
from admin_api.web.i18n import S_

START = PAGE_PREFIX + "/"
MAX_FORM_FIELDS = 200
CSRF_FIELD = "csrf_token"
CSRF_FAILED = S_(
    "Das Formular ist abgelaufen oder ungültig. Bitte laden Sie die Seite neu und "
    "versuchen Sie es noch einmal."
)


def safe_next(value: str | None, *, login_ok: bool = False) -> str:
    """A same-site staff path to go to after login; anything else becomes the start page.
    (The login page itself only where it cannot loop, e.g. after choosing the language.)"""
    if not value or len(value) > 500 or "\\" in value or any(ord(c) < 32 for c in value):
        return START
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return START
    if not (parts.path == PAGE_PREFIX or parts.path.startswith(START)):
        return START
    if parts.path.startswith(PAGE_PREFIX + "/login") and not login_ok:
        return START
    return value


@dataclass(frozen=True)
class PageSession:
    principal: Principal
    csrf_token: str


async def page_user(request: Request, s: DbSession) -> Principal:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    found = await session_of(s, cookie) if cookie else None
    if found is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(safe_next(here if request.method == "GET" else None))
    who, csrf = found
    request.state.page_session = PageSession(who, csrf)
    return who


PageUser = Annotated[Principal, Depends(page_user)]


def page_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the logged-in user if their role is one of `roles`, else the 403 page."""
    allowed = frozenset(roles)

    async def dependency(who: PageUser) -> Principal:
        if who.role not in allowed:
            raise PageError(403)
        return who

    return dependency


# The two kinds of page: the GfS' (catalogue, waves, results) and a Servicestelle's referrals.
Coordinator = Annotated[Principal, Depends(page_role("admin", "gfs"))]
Counsellor = Annotated[Principal, Depends(page_role("servicestelle", "admin"))]


async def form_of(request: Request) -> dict[str, str]:
    """The url-encoded form of a POST (the only kind the pages send); last value wins. The
    body is already bounded (`admin_api.limits`); python-multipart parses it."""
    cached: dict[str, str] | None = getattr(request.state, "form", None)
    if cached is not None:
        return cached
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        if await request.body():
            raise PageError(415)
        form: dict[str, str] = {}
    else:
        try:
            parsed = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
        except HTTPException:
            raise PageError(400) from None
        form = {k: v for k, v in parsed.multi_items() if isinstance(v, str)}
    request.state.form = form
    return form


Form = Annotated[dict[str, str], Depends(form_of)]


async def check_csrf(request: Request, who: PageUser, form: Form) -> dict[str, str]:
    """The form of a logged-in POST, if its `csrf_token` is the session's; else 403."""
    session: PageSession = request.state.page_session
    if not same(form.get(CSRF_FIELD, ""), session.csrf_token):
        raise PageError(403, CSRF_FAILED)
    return form


CheckedForm = Annotated[dict[str, str], Depends(check_csrf)]
