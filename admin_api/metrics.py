"""Prometheus metrics: request counts and latency by route *template* and status.

Labels are the method, the route pattern (`/api/v1/offers/{offer_id}`, never the filled-in
path) and the status code, so no id, e-mail or other personal data reaches a label.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from admin_api.errors import error_json

UNMATCHED = "<unmatched>"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "wegweiser_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "wegweiser_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ["method", "route"],
            registry=self.registry,
        )

    def render(self, _request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    def guarded(self, token: str) -> Callable[[Request], Response]:
        """`render` for callers with `Authorization: Bearer <token>` only (else 401)."""
        expected = f"Bearer {token}".encode()

        def render(request: Request) -> Response:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return error_json(401, "unauthenticated", "metrics token required")
            return self.render(request)

        return render

    def app(self) -> Starlette:
        """/metrics alone, for an address of its own (`WEGWEISER_METRICS_ADDRESS`)."""
        return Starlette(routes=[Route("/metrics", self.render)])


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            # FastAPI ≥ 0.120 keeps the full template (with the router prefix) in the
            # effective route context; older versions copy it onto the route itself.
            fastapi_scope: Any = scope.get("fastapi")
            context: Any = (
                fastapi_scope.get("effective_route_context")
                if isinstance(fastapi_scope, dict)
                else None
            )
            route: Any = scope.get("route")
            template = getattr(context, "path", None) or getattr(route, "path", None) or UNMATCHED
            method = scope.get("method", "")
            if method not in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}:
                method = "other"
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)
