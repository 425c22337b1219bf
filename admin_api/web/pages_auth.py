"""Login, logout, start page and page language. Login checks and sessions are the same as
the JSON API's (`admin_api/sessions.py`): same throttling, same lockout, same audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from admin_api.deps import SESSION_COOKIE, DbSession, session_of
from admin_api.security import new_secret, same
from admin_api.sessions import (
    LoginRefused,
    check_login,
    clear_session_cookies,
    client_of,
    close_session,
    config_of,
    open_session,
    set_session_cookies,
    throttle_of,
)
from admin_api.web.errors import PageError
from admin_api.web.i18n import LANG_COOKIE, LOCALES, S_, gettext_for
from admin_api.web.session import (
    CSRF_FAILED,
    CSRF_FIELD,
    START,
    CheckedForm,
    Form,
    PageUser,
    safe_next,
)
from admin_api.web.templating import nav_for, redirect, render

router = APIRouter(prefix="/staff", include_in_schema=False)

# Before login there is no session: the login form is guarded by its own random cookie.
LOGIN_CSRF_COOKIE = "wegweiser_login_csrf"
WRONG = S_("E-Mail-Adresse oder Passwort ist falsch.")
# Said with every refusal (a locked account gets the same answer as a wrong password).
LOCK_HINT = S_(
    "Nach %(failures)s Fehlversuchen ist das Konto für %(minutes)s Minuten gesperrt, auch für "
    "das richtige Passwort."
)
THROTTLED = S_(
    "Zu viele fehlgeschlagene Anmeldungen von diesem Gerät. Bitte warten Sie %(minutes)s Minuten."
)
EMAIL_MISSING = S_("Bitte geben Sie Ihre E-Mail-Adresse ein.")
PASSWORD_MISSING = S_("Bitte geben Sie Ihr Passwort ein.")


def _login_page(
    request: Request,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_secret()
    response = render(
        request,
        "login.html",
        {
            "next": next_url,
            "email": email,
            "error": error,
            "errors": errors or {},
            "login_csrf": token,
        },
        status=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        secure=config_of(request).cookie_secure,
        samesite="strict",
        path="/staff/login",
    )
    return response


@router.get("/login")
async def login_form(
    request: Request, s: DbSession, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and await session_of(s, cookie) is not None:
        return redirect(safe_next(next))
    return _login_page(request, next_url=safe_next(next))


@router.post("/login")
async def login(request: Request, s: DbSession, form: Form) -> Response:
    next_url = safe_next(form.get("next"))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not same(form.get(CSRF_FIELD, ""), expected):
        raise PageError(403, CSRF_FAILED)
    email = form.get("email", "").strip()[:254]
    password = form.get("password", "")[:256]
    errors = {}
    if not email:
        errors["email"] = gettext_for(request, EMAIL_MISSING)
    if not password:
        errors["password"] = gettext_for(request, PASSWORD_MISSING)
    if errors:
        return _login_page(request, next_url=next_url, email=email, errors=errors, status=422)
    try:
        who = await check_login(
            s, config_of(request), throttle_of(request), client_of(request), email, password
        )
    except LoginRefused as refused:
        config = config_of(request)
        if refused.reason == "throttled":
            minutes = max(1, -(-(refused.retry_after or 60) // 60))
            error, status = gettext_for(request, THROTTLED, minutes=minutes), 429
        else:
            hint = gettext_for(
                request, LOCK_HINT, failures=config.max_failures, minutes=config.lock_minutes
            )
            error, status = f"{gettext_for(request, WRONG)} {hint}", 401
        response = _login_page(request, next_url=next_url, email=email, error=error, status=status)
        if refused.retry_after:
            response.headers["Retry-After"] = str(refused.retry_after)
        return response
    opened = await open_session(s, who, config_of(request))
    response = redirect(next_url)
    set_session_cookies(response, opened, config_of(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/staff/login")
    return response


@router.post("/logout")
async def logout(who: PageUser, s: DbSession, _form: CheckedForm) -> Response:
    await close_session(s, who)
    response = redirect("/staff/login")
    clear_session_cookies(response)
    return response


@router.get("/")
async def start(request: Request, who: PageUser) -> Response:
    """Each role starts on its first page; a role without pages sees a short welcome."""
    items = nav_for(who.role)
    if items:
        return redirect(items[0].href)
    return render(request, "start.html")


@router.get("")
async def start_without_slash() -> Response:
    return redirect(START)


@router.get("/sprache")
async def choose_language(
    request: Request,
    to: Annotated[str, Query(max_length=8)],
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Page language (German is the default); kept in a cookie, no account needed."""
    response = redirect(safe_next(next, login_ok=True))
    if to in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            to,
            max_age=365 * 86400,
            secure=config_of(request).cookie_secure,
            samesite="lax",
            path="/staff",
        )
    return response
