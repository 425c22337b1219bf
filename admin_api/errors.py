"""One error shape for every 4xx and 5xx: `{"error": {"code", "message", "field"}}`.

Domain services raise `access.errors.Refused` (not found, invalid, conflict, forbidden),
answered here with its status; routers raise `ApiError` for what only HTTP knows. FastAPI's
own errors (validation, unknown route, wrong method) and database constraint violations are
turned into the same shape, and anything unexpected becomes a generic 500 that names no internals.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from access.errors import Conflict, Forbidden, Invalid, NotFound, Refused, TooMany
from admin_api.headers import API_HEADERS
from base.ratelimit import whole_seconds

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    code: str = Field(description="stable, machine-readable reason", examples=["not_found"])
    message: str = Field(description="for people (English)", examples=["no such offer"])
    field: str | None = Field(
        default=None, description="the offending input, dotted (e.g. `access.duldung`)"
    )


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers


# What a domain service's refusal answers over HTTP.
REFUSED_STATUS: dict[type[Refused], int] = {
    NotFound: 404,
    Invalid: 422,
    Conflict: 409,
    Forbidden: 403,
    TooMany: 429,
}


def refused_status(exc: Refused) -> int:
    return next((v for k, v in REFUSED_STATUS.items() if isinstance(exc, k)), 422)


_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


def error_json(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    # also here: a 500 is answered from outside the middleware that adds them
    return JSONResponse(body, status_code=status, headers={**API_HEADERS, **(headers or {})})


def _example(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {
        "model": ErrorResponse,
        "content": {
            "application/json": {
                "example": {"error": {"code": code, "message": message, "field": field}}
            }
        },
    }


# Documented on every router so clients (and schemathesis) know the shape of each failure.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "not logged in", **_example("unauthenticated", "login required")},
    403: {
        "description": "role not allowed, or CSRF token missing",
        **_example("forbidden", "this role may not do that"),
    },
    404: {"description": "no such object in your scope", **_example("not_found", "no such offer")},
    409: {"description": "conflict", **_example("conflict", "code already in use", "code")},
    422: {
        "description": "invalid input",
        **_example("validation_error", "Field required", "title"),
    },
    429: {"description": "too many requests", **_example("too_many_requests", "try later")},
}


def _field(loc: tuple[Any, ...] | list[Any]) -> str | None:
    parts = [str(p) for p in loc if p != "[key]"]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or None


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI description declares for `path` (empty: not described)."""
    index: list[tuple[re.Pattern[str], list[str]]] | None = getattr(app.state, "allow", None)
    if index is None:
        index = []
        for template, operations in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            methods = sorted(m.upper() for m in operations if m.upper() in _METHODS)
            index.append((re.compile(f"^{pattern}$"), methods))
        app.state.allow = index
    return sorted({m for pattern, methods in index if pattern.match(path) for m in methods})


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_json(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        headers = None
        if isinstance(exc, TooMany):
            headers = {"Retry-After": str(whole_seconds(exc.retry_after))}
        return error_json(refused_status(exc), exc.code, exc.message, exc.field, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        message = str(first.get("msg", "invalid input"))
        if first.get("type") == "json_invalid":
            return error_json(422, "invalid_json", "request body is not valid JSON", None)
        if first.get("type") == "string_pattern_mismatch" and "\\x00" in str(
            first.get("ctx", {}).get("pattern", "")
        ):  # the text pattern of admin_api.schemas: say what it means
            message = "must not contain control characters (or only spaces)"
        return error_json(422, "validation_error", message, _field(first.get("loc", ())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        if status == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
            # FastAPI could not decode the body (not UTF-8, a number past Python's 4,300
            # digits, arrays nested thousands deep): as documented, a 422
            why = "request body is not valid JSON (UTF-8, numbers, nesting)"
            return error_json(422, "invalid_json", why, None)
        if status == 405:
            allowed = allowed_methods(request.app, request.url.path)
            if allowed:  # every method of the path, not only those of the first route found
                headers = {"Allow": ", ".join(allowed)}
                return error_json(405, "method_not_allowed", "method not allowed", None, headers)
        code = _CODES.get(status, "error" if status < 500 else "internal_error")
        try:
            default = HTTPStatus(status).phrase.lower()
        except ValueError:
            default = "error"
        message = exc.detail if isinstance(exc.detail, str) and status < 500 else default
        return error_json(status, code, message, None, getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A race past the routers' own checks (e.g. two creates with the same code).
        log.info("integrity error: %s", type(exc.orig).__name__)
        return error_json(409, "conflict", "conflicts with existing data", None)

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, exc: DBAPIError) -> JSONResponse:
        log.error("database error: %s", type(exc.orig).__name__)
        return error_json(503, "database_unavailable", "database error, try again later")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error: %s", type(exc).__name__)
        return error_json(500, "internal_error", "internal server error")
