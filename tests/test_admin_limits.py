"""Request bodies are bounded by route before parsing and authentication (`admin_api.limits`)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from admin_api.limits import JSON_LIMIT, MAX_UPLOAD, limit_for
from tests.admin_seed import Api

CHUNK = 16 * 1024


@dataclass
class Sent:
    """A raw ASGI call: what was answered, and how much of the body the server pulled."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    pulled: int = 0


async def raw_post(
    app: object,
    path: str,
    chunks: int,
    *,
    declared: int | None = None,
    kind: str = "",
    extra: dict[str, str] | None = None,
) -> Sent:
    headers = [(b"host", b"testserver")]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    if kind:
        headers.append((b"content-type", kind.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    sent = Sent()

    async def receive() -> dict:
        if sent.pulled < chunks:
            sent.pulled += 1
            return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            sent.status = message["status"]
            sent.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            sent.body += message.get("body", b"")

    await app(scope, receive, send)  # type: ignore[operator]
    return sent


def _app(api: Api) -> object:
    return api.client._transport.app  # type: ignore[attr-defined]


def test_limits_by_route():
    assert limit_for("/api/v1/auth/login") == JSON_LIMIT == 64 * 1024
    assert limit_for("/api/v1/offers") == JSON_LIMIT
    assert limit_for("/api/v1/offers/import") == MAX_UPLOAD
    assert limit_for("/api/v1/offers/import/x") == JSON_LIMIT
    assert limit_for("/staff/offers/import") > MAX_UPLOAD
    assert limit_for("/staff/login") == JSON_LIMIT


async def test_a_declared_large_body_is_refused_unread_and_before_authentication(admin_api: Api):
    # 200 MB declared to an endpoint that needs credentials: 413, not 401, nothing read
    sent = await raw_post(_app(admin_api), "/api/v1/offers", 12_800, declared=200 * 2**20)
    assert sent.status == 413
    assert sent.pulled == 0
    error = json.loads(sent.body)["error"]
    assert error["code"] == "payload_too_large"
    assert error["field"] == "body"
    assert str(JSON_LIMIT) in error["message"]


async def test_a_streamed_body_is_cut_off_at_the_limit(admin_api: Api):
    # no Content-Length (chunked): counted while it streams, refused just past the limit
    sent = await raw_post(_app(admin_api), "/api/v1/auth/login", 12_800, kind="application/json")
    assert sent.status == 413
    assert sent.pulled == JSON_LIMIT // CHUNK + 1
    assert json.loads(sent.body)["error"]["code"] == "payload_too_large"
    # the import route takes up to its own limit, then refuses the same way
    sent = await raw_post(_app(admin_api), "/api/v1/offers/import", 12_800)
    assert sent.status == 413
    assert sent.pulled == MAX_UPLOAD // CHUNK + 1


async def test_a_body_within_the_limit_reaches_the_route(admin_api: Api):
    # within the limit: the route reads all of it (and finds no JSON in it)
    sent = await raw_post(_app(admin_api), "/api/v1/offers", 3, kind="application/json")
    assert sent.status == 422
    assert sent.pulled == 3
    assert json.loads(sent.body)["error"]["code"] == "invalid_json"
    r = await admin_api.client.post(
        "/api/v1/auth/login", json={"email": "x" * 70_000 + "@example.org", "password": "p"}
    )
    assert r.status_code == 413
    r = await admin_api.client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.org", "password": "p"}
    )
    assert r.status_code == 401


async def test_staff_pages_answer_with_the_html_error_page(admin_api: Api):
    sent = await raw_post(
        _app(admin_api),
        "/staff/login",
        100,
        declared=100 * CHUNK,
        kind="application/x-www-form-urlencoded",
    )
    assert sent.status == 413
    assert sent.pulled == 0
    assert sent.headers["content-type"].startswith("text/html")
    assert "Die Eingabe ist zu lang." in sent.body.decode()
    assert sent.headers["cache-control"] == "no-store"
    assert sent.headers["connection"] == "close"


async def test_an_invalid_content_length_is_refused(admin_api: Api):
    transport = httpx.ASGITransport(app=_app(admin_api))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post("/api/v1/auth/login", content=b"{}", headers={"content-length": "-1"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"


async def test_route_tables_are_built_before_the_first_request(
    admin_api: Api, monkeypatch: pytest.MonkeyPatch
):
    """`build_route_tables` does FastAPI's per-router work at start: the first request to a
    route then builds nothing on the event loop (it took 60-130 ms)."""
    from fastapi import routing

    from admin_api.app import build_route_tables

    app = _app(admin_api)
    await build_route_tables(app)  # type: ignore[arg-type]
    built: list[object] = []
    real = routing._EffectiveRouteContext.from_api_route

    def counting(*args: object, **kwargs: object) -> object:
        built.append(kwargs.get("original_route"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(routing._EffectiveRouteContext, "from_api_route", counting)
    for path in ("/api/v1/offers/import?format=csv", "/staff/login", "/api/v1/auth/login"):
        await admin_api.client.post(path, content=b"x")
    assert built == []


@pytest.fixture
async def paced(db_url: str):
    """The admin API with a short pace: 5 requests per credential, 12 per address, in 10 s;
    a request past it is refused at once (not held)."""
    from admin_api.deps import AuthConfig
    from tests.admin_seed import build, make_client, seed

    config = AuthConfig(pace_per_credential=5, pace_per_address=12, pace_hold_seconds=0)
    engine, app = build(db_url, config)
    factory = app.state.sessions  # type: ignore[attr-defined]
    data = await seed(factory)
    async with make_client(app) as client:
        yield Api(client, factory, data)
    await engine.dispose()  # type: ignore[attr-defined]


async def test_requests_past_the_pace_of_a_token_are_refused_before_anything_runs(paced: Api):
    api = paced
    for _ in range(5):
        assert (await api.client.get("/api/v1/offers", headers=api.auth("gfs"))).status_code == 200
    r = await api.client.get("/api/v1/offers", headers=api.auth("gfs"))
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(r.headers["retry-after"]) <= 10
    assert r.headers["cache-control"] == "no-store"
    assert "connection" not in r.headers  # no body left unread: the line stays usable
    # another credential has its own pace; /health is never paced
    assert (await api.client.get("/api/v1/offers", headers=api.auth("admin"))).status_code == 200
    assert (await api.client.get("/health")).status_code == 200
    # the body of a request past the pace is not read
    sent = await raw_post(
        _app(api), "/api/v1/offers", 100, kind="application/json", extra=api.auth("gfs")
    )
    assert sent.status == 429 and sent.pulled == 0


async def test_a_request_past_the_pace_is_held_then_refused(db_url: str):
    """Held for `pace_hold_seconds` before its 429, so a client asking in a loop asks once a
    second; meanwhile others are answered. Beyond the few held per address, at once."""
    from admin_api.deps import AuthConfig
    from admin_api.limits import HOLD_PER_ADDRESS
    from tests.admin_seed import build, make_client, seed

    config = AuthConfig(pace_per_credential=5, pace_per_address=1000, pace_hold_seconds=1.0)
    engine, app = build(db_url, config)
    data = await seed(app.state.sessions)  # type: ignore[attr-defined]
    async with make_client(app) as client:
        api = Api(client, app.state.sessions, data)  # type: ignore[attr-defined]
        for _ in range(5):
            assert (await client.get("/api/v1/offers", headers=api.auth("gfs"))).status_code == 200
        start = time.monotonic()
        held = [
            asyncio.create_task(client.get("/api/v1/offers", headers=api.auth("gfs")))
            for _ in range(HOLD_PER_ADDRESS + 3)
        ]
        done: set[asyncio.Task[httpx.Response]] = set()
        while len(done) < 3:
            finished, _ = await asyncio.wait(held, return_when=asyncio.FIRST_COMPLETED)
            done = set(finished)
        assert len(done) == 3  # the ones past the few held: refused at once
        assert (await client.get("/api/v1/offers", headers=api.auth("admin"))).status_code == 200
        assert (await client.get("/health")).status_code == 200
        assert all(not t.done() for t in held if t not in done)  # the others still held
        answers = await asyncio.gather(*held)
        assert time.monotonic() - start >= 1.0
        assert {r.status_code for r in answers} == {429}
        assert all(1 <= int(r.headers["retry-after"]) <= 10 for r in answers)
    await engine.dispose()  # type: ignore[attr-defined]


async def test_made_up_tokens_are_paced_by_address(paced: Api):
    """Each made-up token is a new credential: the address' pace holds them."""
    api = paced
    answers = [
        (await api.client.get("/api/v1/offers", headers={"Authorization": f"Bearer x{i}"}))
        for i in range(14)
    ]
    assert [r.status_code for r in answers] == [401] * 12 + [429] * 2


async def test_staff_pages_past_the_pace_get_the_error_page(paced: Api):
    api = paced
    statuses = [(await api.client.get("/staff/login")).status_code for _ in range(13)]
    assert statuses[:12] == [200] * 12 and statuses[12] == 429
    r = await api.client.get("/staff/login")
    assert r.status_code == 429 and "Zu viele Versuche" in r.text
    assert r.headers["content-type"].startswith("text/html")


async def test_a_body_framed_two_ways_is_refused(admin_api: Api):
    """Content-Length and Transfer-Encoding together (request smuggling through a proxy
    that reads the other one): 400 and the connection closed, the body unread."""
    sent = await raw_post(
        _app(admin_api),
        "/api/v1/auth/login",
        3,
        declared=5,
        kind="application/json",
        extra={"Transfer-Encoding": "chunked"},
    )
    assert sent.status == 400 and sent.pulled == 0
    assert json.loads(sent.body)["error"]["message"] == "both Content-Length and Transfer-Encoding"
    assert sent.headers["connection"] == "close"


async def test_the_pace_keys_on_the_token_authentication_reads(paced: Api):
    """Spellings of one token that authentication accepts alike (trailing white space of
    any kind) are one credential for the pace too."""
    api = paced
    token = api.seed.token["gfs"].encode()
    spellings = [token, token + b" ", token + b"\xa0", token + b"\x85", token + b"\t"]
    statuses = []
    for spelling in [*spellings, token + b"\xa0\xa0"]:
        headers = {"Authorization": b"Bearer " + spelling}
        statuses.append((await api.client.get("/api/v1/offers", headers=headers)).status_code)
    assert statuses == [200] * 5 + [429]


def test_no_route_nor_dependency_runs_in_a_thread_of_the_pool():
    """FastAPI and Starlette run a plain function (or a class) given as endpoint or dependency
    in a thread of their pool: one hop there and back per request, each waiting for the GIL
    while the event loop is busy, which under load is when it matters. All are coroutines."""
    import inspect

    from fastapi.dependencies.utils import get_dependant
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    from admin_api.app import create_app
    from store.db import make_engine

    app = create_app(make_engine("sqlite+aiosqlite://"))  # the API and the staff pages
    in_threads: list[str] = []

    def is_coroutine(call: Any) -> bool:  # as FastAPI decides it (an instance: its __call__)
        if not inspect.isroutine(call) and not inspect.isclass(call):
            call = getattr(call, "__call__", None)  # noqa: B004 - the method itself is wanted
        return inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)

    def walk(where: str, dependant: Any) -> None:
        if dependant.call is not None and not is_coroutine(dependant.call):
            in_threads.append(f"{where}: {dependant.call!r}")
        for sub in dependant.dependencies:
            walk(where, sub)

    def visit(routes: list[Any], depends: list[Any]) -> int:
        count = 0
        for route in routes:
            if hasattr(route, "original_router"):  # an included router
                router = route.original_router
                extra = [*route.include_context.dependencies, *router.dependencies]
                count += visit(router.routes, depends + extra)
                continue
            where = f"{sorted(getattr(route, 'methods', None) or [])} {route.path}"
            for depend in depends:
                walk(where, get_dependant(path=route.path, call=depend.dependency))
            if isinstance(route, APIRoute):
                walk(where, route.dependant)
            elif isinstance(route, Route) and inspect.isfunction(route.endpoint):
                if not is_coroutine(route.endpoint):
                    in_threads.append(f"{where}: {route.endpoint.__qualname__}")
            count += 1
        return count

    assert visit(list(app.routes), []) > 50
    assert in_threads == []


async def test_the_openapi_schema_is_rendered_once(admin_api: Api, monkeypatch):
    """Anyone may fetch /openapi.json; serialising 170 KB at each request took 7 ms."""
    app = _app(admin_api)
    calls = []
    real = app.openapi
    monkeypatch.setattr(app, "openapi", lambda: calls.append(1) or real())
    answers = [await admin_api.client.get("/openapi.json") for _ in range(3)]
    assert {r.status_code for r in answers} == {200}
    assert answers[0].headers["content-type"] == "application/json"
    assert answers[0].json() == real() and len({r.content for r in answers}) == 1
    assert len(calls) == 1
