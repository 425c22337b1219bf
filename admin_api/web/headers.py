"""Security headers on every staff page and staff asset (a plain ASGI middleware, so even
error pages get them): no inline script, no framing, no caching of pages with personal data."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from admin_api.headers import adding

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
COMMON: dict[str, str] = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
PAGE_ONLY: dict[str, str] = {"cache-control": "no-store", "pragma": "no-cache"}
PAGES_PREFIX = "/staff"


def page_headers() -> dict[str, str]:
    """Everything a staff page carries (pages show personal data: never stored)."""
    return {**COMMON, **PAGE_ONLY}


ASSETS_PREFIX = "/static/staff"


class StaffHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        page = path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/")
        asset = path.startswith(ASSETS_PREFIX + "/")
        if not (page or asset):
            await self.app(scope, receive, send)
            return

        await self.app(scope, receive, adding(page_headers() if page else COMMON, send))
