"""The FastAPI application served by `wegweiser serve`.

Routers live in `admin_api/routers/`, one module per resource, all under `/api/v1` and all
built from the dependencies in `admin_api/deps.py`. To add one (e.g. referrals), write the
module and append it to `ROUTERS`.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Scope

from admin_api import errors, web
from admin_api.deps import AuthConfig
from admin_api.headers import ApiHeaders
from admin_api.limits import BodyLimit, RequestPace
from admin_api.metrics import Metrics, MetricsMiddleware
from admin_api.routers import (
    audit_log,
    auth,
    buendnisse,
    offer_files,
    offer_texts,
    offers,
    places,
    referrals,
    results,
    surveys,
    users,
)
from admin_api.web.errors import refusal_page
from base.ratelimit import RateLimit
from base.settings import Settings
from entries.points import Links
from offers.file_service import import_limit
from store.db import sessions as session_factory
from surveys.service import SurveyConfig

API_PREFIX = "/api/v1"
ROUTERS: list[APIRouter] = [
    auth.router,
    buendnisse.router,
    users.router,
    places.router,
    offer_texts.router,
    offer_files.router,  # before offers: /offers/export is no offer id
    offers.router,
    referrals.router,
    surveys.router,
    results.router,
    audit_log.router,
]

DESCRIPTION = """
Admin API of Wegweiser for operators (`admin`), the coordinating office of a Bündnis (`gfs`)
and Servicestellen (`servicestelle`).

**Authentication**: `Authorization: Bearer <token>` (API tokens, created with
`wegweiser users token EMAIL` or `POST /api/v1/users/{id}/tokens`), or the session cookie from
`POST /api/v1/auth/login` — then every POST/PATCH/PUT/DELETE must carry the CSRF token from the
login answer in `X-CSRF-Token`.

**Scope**: an object of another Bündnis or Servicestelle answers 404, like a missing one.

**Errors**: every failure has the shape `{"error": {"code", "message", "field"}}`.
"""


def auth_config_from(settings: Settings) -> AuthConfig:
    return AuthConfig(
        cookie_secure=settings.secure_cookies,
        session_hours=settings.session_hours,
        max_failures=settings.login_max_failures,
        lock_minutes=settings.login_lock_minutes,
        pace_per_credential=settings.pace_per_credential,
        pace_per_address=settings.pace_per_address,
    )


def create_app(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession] | None = None,
    auth_config: AuthConfig | None = None,
    surveys: SurveyConfig | None = None,
    links: Links | None = None,
    metrics_token: str = "",
    metrics_here: bool = True,
) -> FastAPI:
    """`surveys`: flows, secret and default locale for the survey wave endpoints (`wegweiser
    serve` passes its own; without, no flow is known and invitations are refused). `links`:
    the bot's username and the public address, for the links and posters of entry points.
    `/metrics` needs `metrics_token` when one is given; `metrics_here=False` leaves it out
    (served on an address of its own from `app.state.metrics.app()`)."""
    config = auth_config or AuthConfig()
    app = FastAPI(title="Wegweiser admin API", version="1", description=DESCRIPTION)
    app.state.engine = engine
    app.state.sessions = sessions or session_factory(engine)
    app.state.auth_config = config
    app.state.surveys = surveys or SurveyConfig()
    app.state.links = links or Links()
    # Failed logins per client address (the per-account lock is in the database).
    app.state.ip_throttle = RateLimit(
        "login-failures", config.ip_max_failures, config.lock_minutes * 60.0
    )
    app.state.import_limit = import_limit()
    metrics = Metrics()
    app.state.metrics = metrics
    errors.install(app)
    # Innermost of the middlewares (none of them reads a body), outside every route; the pace
    # outside it: a request past the pace is refused before its body is read.
    app.add_middleware(BodyLimit, page_refusal=refusal_page)
    app.add_middleware(
        RequestPace,
        per_credential=config.pace_per_credential,
        per_address=config.pace_per_address,
        hold_seconds=config.pace_hold_seconds,
        page_refusal=refusal_page,
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(ApiHeaders)

    # PostgreSQL answers outside a transaction in one round trip instead of three (BEGIN,
    # SELECT, ROLLBACK); SQLite opens none for a SELECT, and switching its mode would cost two
    # hops to its thread
    outside_transaction = engine.dialect.name == "postgresql"

    @app.get("/health", tags=["operations"], summary="Liveness and database reachability")
    async def health() -> dict[str, str]:
        try:
            async with engine.connect() as conn:
                if outside_transaction:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("SELECT 1"))
        except Exception:  # reported, not raised: this endpoint exists to say "down"
            return {"status": "degraded", "database": "unreachable"}
        return {"status": "ok", "database": "ok"}

    if metrics_here:
        render = metrics.guarded(metrics_token) if metrics_token else metrics.render
        app.add_route("/metrics", render, include_in_schema=False)

    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    web.install(app)  # staff pages under /staff
    render_openapi_once(app)
    return app


def render_openapi_once(app: FastAPI) -> None:
    """FastAPI serialises the whole schema (170 KB) again at every request for /openapi.json:
    7 ms of the event loop for anyone, without credentials. Rendered once (per root path)."""
    index, original = next(
        (i, r)
        for i, r in enumerate(app.router.routes)
        if isinstance(r, Route) and r.path == app.openapi_url
    )
    rendered: dict[str, bytes] = {}

    async def openapi(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        if root not in rendered:
            rendered[root] = bytes((await original.endpoint(request)).body)
        return Response(rendered[root], media_type="application/json")

    app.router.routes[index] = Route(original.path, openapi, include_in_schema=False)


async def build_route_tables(app: FastAPI) -> None:
    """FastAPI builds a router's table of routes at the first request that reaches it: 60-130
    ms on the event loop, in the middle of serving (every other request waits). A request for
    a path no route has walks every router once; call this after the last router is mounted."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "method": "GET",
        "scheme": "http",
        "path": "/\x00",  # no route has this path
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "server": None,
        "client": None,
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def discard(message: Message) -> None:
        return None  # the answer (404) is not wanted

    await app.router(scope, receive, discard)
