"""Every request is bounded before anything else runs: how often a caller may ask
(`RequestPace`), and how large its body may be (`BodyLimit`).

`RequestPace` counts the requests to the API and the staff pages per credential (API token or
session cookie) and per client address, before routing, authentication or the database: each
authenticated answer costs the event loop 1-2 ms, so a caller sending requests in a loop, with a
valid token or made-up ones, would otherwise take that time from everyone (bench/hostile.py).
Past the pace: 429 with Retry-After, after holding the request for up to `hold_seconds`
(nginx's `limit_req` delays the excess likewise): a client sending one request after another
as fast as the answers come would otherwise get a refusal every millisecond and keep the event
loop half busy with them; held, it asks once a second. At most `HOLD_PER_ADDRESS` requests of
one address are held at once; more are refused at once. The web chat has limits of its own
(per conversation and address), the Telegram webhook is Telegram's, /health and /metrics are
not counted.

`BodyLimit` is a plain ASGI middleware: a declared `Content-Length` above the route's limit is
refused at once; otherwise the body is read here, counted while it streams in, and refused as
soon as it passes the limit. Only a body that fits reaches the application, so no parser,
no authentication and no handler ever sees (or waits for) an oversized body. The answer is the
API's JSON error, or the HTML error page under `/staff`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import Callable

from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_api.deps import SESSION_COOKIE, bearer_token
from admin_api.errors import error_json
from base.ratelimit import RateLimit, whole_seconds

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
PACED_PREFIXES = ("/api/", "/staff")
PACE_SECONDS = 10
HOLD_PER_ADDRESS = 16


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

    def _refusal(
        self, scope: Scope, status: int, limit: int, why: str = "invalid Content-Length"
    ) -> Response:
        if status == 413:
            return refusal(scope, status, api_too_large(limit), self.page_refusal)
        invalid = error_json(400, "bad_request", why, None)
        return refusal(scope, status, invalid, self.page_refusal)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope.get("path", ""))
        headers = scope.get("headers", [])
        declared = [v for k, v in headers if k.lower() == b"content-length"]
        if declared and any(k.lower() == b"transfer-encoding" for k, _ in headers):
            # which one frames the body? A proxy in front may have read it the other way
            # (request smuggling): refused and the connection closed (RFC 9112, 6.3)
            why = "both Content-Length and Transfer-Encoding"
            await self._refusal(scope, 400, limit, why)(scope, receive, send)
            return
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


def refusal(
    scope: Scope, status: int, api_answer: Response, page_refusal: PageRefusal | None
) -> Response:
    """`api_answer`, or the staff error page for a page; closing the connection: the body
    the client may still be sending is not wanted (nor read, nor parsed)."""
    path: str = scope.get("path", "")
    is_page = path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/")
    answer = page_refusal(scope, status) if is_page and page_refusal else api_answer
    answer.headers["connection"] = "close"
    return answer


class RequestPace:
    """At most `per_credential` requests per API token or session, and `per_address` per
    client address, in any `PACE_SECONDS`, to the API and the staff pages."""

    def __init__(
        self,
        app: ASGIApp,
        per_credential: int,
        per_address: int,
        page_refusal: PageRefusal | None = None,
        hold_seconds: float = 1.0,
    ) -> None:
        self.app = app
        self.credentials = RateLimit("pace-credential", per_credential, PACE_SECONDS)
        self.addresses = RateLimit("pace-address", per_address, PACE_SECONDS)
        self.page_refusal = page_refusal
        self.hold_seconds = hold_seconds
        self.held: Counter[str] = Counter()  # requests held now, per address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(PACED_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else ""
        wait = self.addresses.hit(address)
        credential = _credential(scope)
        if not wait and credential:
            wait = self.credentials.hit(credential)
        if wait:
            seconds = str(whole_seconds(wait - await self._hold(address, wait)))
            slow_down = error_json(429, "too_many_requests", "too many requests; slow down", None)
            answer = refusal(scope, 429, slow_down, self.page_refusal)
            answer.headers["retry-after"] = seconds  # on the API's answer and the page alike
            if not _has_body(scope):  # nothing unread: the line can stay open
                del answer.headers["connection"]
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _hold(self, address: str, wait: float) -> float:
        """Hold a request past the pace for up to `hold_seconds`; the seconds held."""
        if self.held[address] >= HOLD_PER_ADDRESS:
            return 0.0  # a client asking in parallel: refused at once
        self.held[address] += 1
        seconds = min(wait, self.hold_seconds)
        try:
            await asyncio.sleep(seconds)
            return seconds
        finally:
            self.held[address] -= 1
            if not self.held[address]:
                del self.held[address]  # no address is kept once its requests are answered


def _credential(scope: Scope) -> str:
    """The SHA-256 of the bearer token or session cookie that authentication will read, ''
    for none (the secret itself is not kept as a key)."""
    headers = scope.get("headers", [])
    auth = next((v for k, v in headers if k == b"authorization"), None)
    if auth is not None:  # read as Starlette reads it: the first one, latin-1
        token = bearer_token(auth.decode("latin-1"))
        return hashlib.sha256(token.encode()).hexdigest() if token else ""
    cookies = next((v for k, v in headers if k == b"cookie"), None)
    session = cookie_parser(cookies.decode("latin-1")).get(SESSION_COOKIE) if cookies else None
    return hashlib.sha256(session.encode()).hexdigest() if session else ""


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


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
