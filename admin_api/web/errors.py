"""German HTML error pages for `/staff/…`; the JSON API keeps its `{"error": …}` shape.

The handlers of `admin_api/errors.py` stay in place: each is wrapped so that a request for a
staff page gets a page and every other request the JSON answer it always got.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from access.errors import Refused, TooMany
from admin_api.errors import ApiError, refused_status
from admin_api.web.i18n import S_
from base.ratelimit import whole_seconds

log = logging.getLogger(__name__)
PAGE_PREFIX = "/staff"

MESSAGES: dict[int, str] = {
    400: S_("Die Anfrage war fehlerhaft."),
    403: S_("Sie haben keinen Zugriff auf diese Seite."),
    404: S_("Diese Seite gibt es nicht, oder sie gehört nicht zu Ihrem Bereich."),
    405: S_("Diese Aktion ist hier nicht möglich."),
    409: S_("Die Daten wurden inzwischen geändert. Bitte laden Sie die Seite neu."),
    413: S_("Die Eingabe ist zu lang."),
    415: S_("Dieses Formular kann nicht verarbeitet werden."),
    422: S_("Die Eingabe ist ungültig. Bitte prüfen Sie das Formular."),
    429: S_("Zu viele Versuche. Bitte warten Sie einen Moment."),
    500: S_("Ein Fehler ist aufgetreten. Ihre Eingabe wurde nicht gespeichert."),
    503: S_(
        "Die Datenbank ist gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal."
    ),
}
TITLES: dict[int, str] = {
    403: S_("Kein Zugriff"),
    404: S_("Nicht gefunden"),
    422: S_("Ungültige Eingabe"),
    500: S_("Fehler"),
}


class PageError(Exception):
    """Raised by a page: answered with the German error page (`message` marked with S_)."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message or MESSAGES.get(status, MESSAGES[500]))
        self.status = status
        self.message = message or MESSAGES.get(status, MESSAGES[500])


class LoginRequired(Exception):
    """No valid session: the page answers 303 to the login with `next`."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == PAGE_PREFIX or path.startswith(PAGE_PREFIX + "/")


def error_page(request: Request, status: int, message: str | None = None) -> Response:
    from admin_api.web.templating import render  # templating imports this module

    title = TITLES.get(status if status in TITLES else (500 if status >= 500 else 422))
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "message": message or MESSAGES.get(status)},
        status=status,
    )


def refusal_page(scope: Scope, status: int) -> Response:
    """The error page for a request refused before it reached a page (body too large)."""
    return error_page(Request(scope), status)


Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def _status_of(exc: Exception) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    if isinstance(exc, Refused):
        return refused_status(exc)
    if isinstance(exc, RequestValidationError):
        return 422
    if isinstance(exc, StarletteHTTPException):
        return exc.status_code
    if isinstance(exc, IntegrityError):
        return 409
    if isinstance(exc, DBAPIError):
        return 503
    return 500


def _either(api_handler: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            answer = api_handler(request, exc)
            return await answer if isinstance(answer, Awaitable) else answer
        status = _status_of(exc)
        if status >= 500:
            log.error("staff page error: %s", type(exc).__name__)
        page = error_page(request, status)
        if isinstance(exc, TooMany):
            page.headers["retry-after"] = str(whole_seconds(exc.retry_after))
        return page

    return handler


def install(app: FastAPI) -> None:
    """Call after `admin_api.errors.install`: wraps its handlers."""
    from admin_api.web.templating import redirect

    for exc_class in (
        ApiError,
        Refused,
        RequestValidationError,
        StarletteHTTPException,
        IntegrityError,
        DBAPIError,
        Exception,
    ):
        app.add_exception_handler(exc_class, _either(app.exception_handlers[exc_class]))

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return error_page(request, exc.status, exc.message)

    async def login_required(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        from urllib.parse import quote

        return redirect(f"{PAGE_PREFIX}/login?next={quote(exc.next_url, safe='/')}")

    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(LoginRequired, login_required)
