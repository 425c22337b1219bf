"""Every request body is bounded by its route before anything else runs.

`BodyLimit` is a plain ASGI middleware: a declared `Content-Length` above the route's limit is
refused at once; otherwise the body is read here, counted while it streams in, and refused as
soon as it passes the limit. Only a body that fits reaches the application, so no parser,
no authentication and no handler ever sees (or waits for) an oversized body. The answer is the
API's JSON error, or the HTML error page under `/staff`.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_api.errors import error_json

KIB = 1024
JSON_LIMIT = 64 * KIB  # every JSON or form body: the largest real one is a few KiB
MAX_UPLOAD = 5 * 1024 * KIB  # a CSV/XLSX catalogue
FORM_OVERHEAD = 64 * KIB  # multipart boundaries, part headers and the small fields
TELEGRAM_LIMIT = 1024 * KIB  # an update with a long message, its reply and entities
# (path, limit): exact paths of the uploads, prefixes ending in "/".
ROUTE_LIMITS: tuple[tuple[str, int], ...] = (
    ("/api/v1/offers/import", MAX_UPLOAD),
    ("/staff/offers/import", MAX_UPLOAD + FORM_OVERHEAD),
    ("/telegram/", TELEGRAM_LIMIT),
)
PAGES_PREFIX = "/staff"


def limit_for(path: str) -> int:
    """The largest body the route at `path` accepts, in bytes."""
    for route, limit in ROUTE_LIMITS:
        if path == route or (route.endswith("/") and path.startswith(route)):
            return limit
    return JSON_LIMIT


def api_too_large(limit: int) -> Response:
    return error_json(413, "payload_too_large", f"request body larger than {limit} bytes", "body")


PageRefusal = Callable[[Scope, int], Response]


class BodyLimit:
    """`page_refusal(scope, status)` renders the staff error page (the API's JSON otherwise)."""

    def __init__(self, app: ASGIApp, page_refusal: PageRefusal | None = None) -> None:
        self.app = app
        self.page_refusal = page_refusal

    def _refusal(self, scope: Scope, status: int, limit: int) -> Response:
        path: str = scope.get("path", "")
        is_page = path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/")
        if is_page and self.page_refusal is not None:
            answer = self.page_refusal(scope, status)
        elif status == 413:
            answer = api_too_large(limit)
        else:
            answer = error_json(400, "bad_request", "invalid Content-Length", None)
        # The rest of the body is not wanted: the server closes the connection instead of
        # reading (and parsing) what the client still sends.
        answer.headers["connection"] = "close"
        return answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""))
        declared = [v for k, v in scope.get("headers", []) if k.lower() == b"content-length"]
        if declared:
            value = declared[0].strip()
            if not value.isdigit() or len(declared) > 1:
                await self._refusal(scope, 400, limit)(scope, receive, send)
                return
            if int(value) > limit:
                await self._refusal(scope, 413, limit)(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left; nothing to answer
            body: bytes = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._refusal(scope, 413, limit)(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read above as one message; later calls (disconnect) go to the server."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
