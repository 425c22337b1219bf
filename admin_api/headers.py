"""Headers on every answer outside the staff pages (those get theirs from `web/headers.py`):
JSON with personal data must never be stored by a browser or proxy, nor sniffed as another
type. A plain ASGI middleware, so error answers get them too."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_HEADERS: dict[str, str] = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


class ApiHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        staff = path == "/staff" or path.startswith(("/staff/", "/static/staff/"))
        if scope["type"] != "http" or staff:
            await self.app(scope, receive, send)
            return

        await self.app(scope, receive, adding(API_HEADERS, send))


def adding(wanted: dict[str, str], send: Send) -> Send:
    """`send`, with the `wanted` headers added to the answer where it does not set them."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {k.decode("latin-1").lower() for k, _ in headers}
            for name, value in wanted.items():
                if name not in present:
                    headers.append((name.encode("latin-1"), value.encode("latin-1")))
            message["headers"] = headers
        await send(message)

    return send_with_headers
