"""Login, session cookie and CSRF, lockout, API token expiry and revocation, error shapes."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from admin_api.app import create_app
from admin_api.deps import AuthConfig
from admin_api.routers.auth import INVALID
from base.settings import Settings, SettingsError
from store.models import ApiToken, AuditEntry, Offer, StaffSession, StaffUser, utcnow
from tests.admin_seed import PASSWORD, Api, audit_entries, build, make_client, seed


def error_of(r) -> dict:
    body = r.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    return body["error"]


async def login(api: Api, name: str, password: str = PASSWORD):
    return await api.client.post(
        "/api/v1/auth/login", json={"email": api.seed.email[name], "password": password}
    )


async def test_login_sets_a_strict_httponly_cookie_and_returns_the_csrf_token(admin_api: Api):
    api = admin_api
    r = await login(api, "gfs")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["role"] == "gfs" and body["user"]["via"] == "session"
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("wegweiser_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
    assert "Secure" not in session  # not configured in tests
    csrf = next(c for c in cookies if c.startswith("wegweiser_csrf="))
    assert "HttpOnly" not in csrf and body["csrf_token"] in csrf
    # the cookie itself is not stored; only its hash
    value = session.split(";")[0].split("=", 1)[1]
    async with api.sessions() as s:
        stored = list(await s.scalars(select(StaffSession.token_hash)))
    assert value not in stored and len(stored) == 1
    me = await api.client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["user_id"] == api.seed.user["gfs"]


async def test_secure_cookie_when_configured(db_url):
    engine, app = build(db_url, AuthConfig(cookie_secure=True))
    data = await seed(app.state.sessions)
    async with make_client(app) as client:
        r = await client.post(
            "/api/v1/auth/login", json={"email": data.email["admin"], "password": PASSWORD}
        )
    await engine.dispose()
    assert all("Secure" in c for c in r.headers.get_list("set-cookie"))


async def test_cookie_requests_that_change_state_need_the_csrf_token(admin_api: Api):
    api = admin_api
    csrf = (await login(api, "gfs")).json()["csrf_token"]
    new = {"title": "Kurs", "provider": "VHS", "category": "Sprache"}
    r = await api.client.post("/api/v1/offers", json=new)
    assert r.status_code == 403 and error_of(r)["code"] == "csrf_failed"
    r = await api.client.post("/api/v1/offers", json=new, headers={"X-CSRF-Token": "x" * 43})
    assert r.status_code == 403 and error_of(r)["code"] == "csrf_failed"
    async with api.sessions() as s:
        titles = list(await s.scalars(select(Offer.title)))
    assert "Kurs" not in titles  # nothing written by the refused requests
    r = await api.client.post("/api/v1/offers", json=new, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    # reading needs no token; a bearer token needs none either
    assert (await api.client.get("/api/v1/offers")).status_code == 200
    api.client.cookies.clear()
    r = await api.client.post("/api/v1/offers", json=new, headers=api.auth("gfs"))
    assert r.status_code == 201


async def test_logout_ends_the_session(admin_api: Api):
    api = admin_api
    csrf = (await login(api, "servicestelle")).json()["csrf_token"]
    r = await api.client.post("/api/v1/auth/logout")
    assert r.status_code == 403  # logout changes state: CSRF applies
    r = await api.client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    async with api.sessions() as s:
        assert list(await s.scalars(select(StaffSession))) == []
    api.client.cookies.set("wegweiser_session", "old")
    r = await api.client.get("/api/v1/auth/me")
    assert r.status_code == 401


async def test_wrong_password_and_unknown_email_look_the_same(admin_api: Api):
    api = admin_api
    a = await login(api, "gfs", "wrong password!")
    b = await api.client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.org", "password": "whatever"}
    )
    assert a.status_code == b.status_code == 401
    assert (
        error_of(a)
        == error_of(b)
        == {
            "code": "invalid_credentials",
            "message": INVALID.message,
            "field": None,
        }
    )


async def test_five_failures_lock_the_account_for_a_while(admin_api: Api):
    api = admin_api
    for _ in range(5):
        assert (await login(api, "gfs", "not the password")).status_code == 401
    r = await login(api, "gfs")  # even the right password is refused now, like a wrong one
    assert r.status_code == 401
    assert error_of(r)["code"] == "invalid_credentials"
    assert "retry-after" not in r.headers
    async with api.sessions() as s:
        user = await s.get(StaffUser, api.seed.user["gfs"])
        assert user.locked_until is not None
        assert 14 * 60 <= (user.locked_until - utcnow()).total_seconds() <= 15 * 60
        locks = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "lock")))
        assert [e.object_id for e in locks] == [str(user.id)]
        # the lock runs out
        await s.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(locked_until=utcnow() - dt.timedelta(seconds=1))
        )
        await s.commit()
    r = await login(api, "gfs")
    assert r.status_code == 200
    async with api.sessions() as s:
        user = await s.get(StaffUser, api.seed.user["gfs"])
        assert user.failed_logins == 0 and user.locked_until is None
    # other accounts were never affected
    assert (await login(api, "admin")).status_code == 200


async def test_one_address_trying_many_accounts_is_throttled(db_url):
    engine, app = build(db_url, AuthConfig(ip_max_failures=3))
    data = await seed(app.state.sessions)
    async with make_client(app) as client:
        for i in range(3):
            r = await client.post(
                "/api/v1/auth/login", json={"email": f"x{i}@example.org", "password": "guess"}
            )
            assert r.status_code == 401
        r = await client.post(
            "/api/v1/auth/login", json={"email": data.email["admin"], "password": PASSWORD}
        )
    await engine.dispose()
    assert r.status_code == 429 and error_of(r)["code"] == "too_many_attempts"
    assert int(r.headers["Retry-After"]) > 0


async def test_disabled_account_cannot_log_in_or_use_tokens(admin_api: Api):
    api = admin_api
    r = await api.client.patch(
        f"/api/v1/users/{api.seed.user['gfs']}", json={"active": False}, headers=api.auth("admin")
    )
    assert r.status_code == 200
    assert (await login(api, "gfs")).status_code == 401
    r = await api.client.get("/api/v1/auth/me", headers=api.auth("gfs"))
    assert r.status_code == 401 and error_of(r)["message"] == "account disabled"


async def test_expired_revoked_and_unknown_tokens_are_refused(admin_api: Api):
    api = admin_api
    assert (await api.client.get("/api/v1/auth/me", headers=api.auth("gfs"))).status_code == 200
    async with api.sessions() as s:
        await s.execute(
            update(ApiToken)
            .where(ApiToken.id == api.seed.token_id["gfs"])
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        await s.commit()
    r = await api.client.get("/api/v1/auth/me", headers=api.auth("gfs"))
    assert r.status_code == 401 and error_of(r)["message"] == "API token expired"
    assert r.headers["WWW-Authenticate"] == "Bearer"

    r = await api.client.delete(
        f"/api/v1/tokens/{api.seed.token_id['servicestelle']}", headers=api.auth("admin")
    )
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    r = await api.client.get("/api/v1/offers", headers=api.auth("servicestelle"))
    assert r.status_code == 401 and error_of(r)["message"] == "API token revoked"

    for header in ("Bearer wgw_nonsense", "Basic abc", "Bearer "):
        r = await api.client.get("/api/v1/auth/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert error_of(r)["code"] == "unauthenticated"


async def test_a_token_stops_working_when_the_account_changes_scope(admin_api: Api):
    api, seed_ = admin_api, admin_api.seed
    r = await api.client.patch(
        f"/api/v1/users/{seed_.user['gfs']}",
        json={"role": "gfs", "buendnis_id": seed_.buendnis["B"]},
        headers=api.auth("admin"),
    )
    assert r.status_code == 200 and r.json()["buendnis_id"] == seed_.buendnis["B"]
    r = await api.client.get(f"/api/v1/offers/{seed_.offer['B']}", headers=api.auth("gfs"))
    assert r.status_code == 401  # not silently widened or narrowed


async def test_a_new_token_is_shown_once_and_stored_hashed(admin_api: Api):
    api = admin_api
    r = await api.client.post(
        f"/api/v1/users/{api.seed.user['servicestelle']}/tokens",
        json={"label": "Fachverfahren", "expires_days": 1},
        headers=api.auth("admin"),
    )
    assert r.status_code == 201
    plain = r.json()["token"]
    info = r.json()["info"]
    assert info["role"] == "servicestelle" and info["servicestelle_id"] == api.seed.stelle["A"]
    listed = await api.client.get(
        f"/api/v1/users/{api.seed.user['servicestelle']}/tokens", headers=api.auth("admin")
    )
    assert plain not in listed.text
    async with api.sessions() as s:
        hashes = set(await s.scalars(select(ApiToken.token_hash)))
    assert plain not in hashes
    r = await api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {plain}"})
    assert r.json()["token_id"] == info["id"]


async def test_error_shapes(admin_api: Api):
    api = admin_api
    r = await api.client.get("/api/v1/offers")
    assert r.status_code == 401 and error_of(r)["code"] == "unauthenticated"
    r = await api.client.get("/api/v1/users", headers=api.auth("gfs"))
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden"
    r = await api.client.get(f"/api/v1/offers/{api.seed.offer['B']}", headers=api.auth("gfs"))
    assert r.status_code == 404 and error_of(r) == {
        "code": "not_found",
        "message": "no such offer",
        "field": None,
    }
    missing = await api.client.get("/api/v1/offers/999999", headers=api.auth("gfs"))
    assert error_of(missing) == error_of(r)  # foreign and missing cannot be told apart
    r = await api.client.get("/api/v1/nothing-here", headers=api.auth("gfs"))
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    r = await api.client.put("/api/v1/offers", headers=api.auth("gfs"))
    assert r.status_code == 405 and error_of(r)["code"] == "method_not_allowed"
    r = await api.client.post(
        "/api/v1/offers", json={"provider": "VHS", "category": "x"}, headers=api.auth("gfs")
    )
    assert r.status_code == 422 and error_of(r)["field"] == "title"
    r = await api.client.post(
        "/api/v1/offers",
        json={"title": "t", "provider": "p", "category": "c", "access": {"D": "maybe"}},
        headers=api.auth("gfs"),
    )
    assert r.status_code == 422 and error_of(r)["field"] == "access.D"
    r = await api.client.post(
        "/api/v1/offers",
        json={"title": "t", "provider": "p", "category": "c", "age_min": 30, "age_max": 20},
        headers=api.auth("gfs"),
    )
    assert r.status_code == 422 and error_of(r)["field"] == "age_min"
    r = await api.client.post(
        "/api/v1/offers",
        content=b"{not json",
        headers={**api.auth("gfs"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and error_of(r)["code"] == "invalid_json"
    r = await api.client.post("/api/v1/gemeinden", json={"name": "a\x00b"}, headers=api.auth("gfs"))
    assert r.status_code == 422 and error_of(r)["field"] == "name"
    r = await api.client.get("/api/v1/offers/0", headers=api.auth("gfs"))
    assert r.status_code == 422 and error_of(r)["field"] == "offer_id"
    r = await api.client.post(
        "/api/v1/buendnisse", json={"code": "buendnis-a", "name": "x"}, headers=api.auth("admin")
    )
    assert r.status_code == 409 and error_of(r) == {
        "code": "code_taken",
        "message": "a Bündnis with this code exists",
        "field": "code",
    }


async def test_unexpected_errors_are_a_generic_500(admin_api: Api):
    api = admin_api
    app = api.client._transport.app  # type: ignore[attr-defined]

    async def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    app.add_api_route("/api/v1/boom", boom)
    r = await api.client.get("/api/v1/boom")
    assert r.status_code == 500
    assert error_of(r) == {
        "code": "internal_error",
        "message": "internal server error",
        "field": None,
    }
    assert "secret" not in r.text


async def test_audit_entries_name_objects_never_personal_data(admin_api: Api):
    api = admin_api
    before = len(await audit_entries(api.sessions))
    r = await api.client.post(
        "/api/v1/users",
        json={
            "email": "Neue.Person@Example.org",
            "password": "a long passphrase",
            "role": "servicestelle",
            "servicestelle_id": api.seed.stelle["A"],
        },
        headers=api.auth("admin"),
    )
    assert r.status_code == 201
    new_id = r.json()["id"]
    assert r.json()["email"] == "neue.person@example.org"
    assert r.json()["buendnis_id"] == api.seed.buendnis["A"]  # derived from the Servicestelle
    entries = (await audit_entries(api.sessions))[before:]
    actor = f"token:{api.seed.token_id['admin']}"
    assert [(e.actor, e.user_id, e.action, e.object_type, e.object_id) for e in entries] == [
        (actor, api.seed.user["admin"], "create", "staff_user", str(new_id))
    ]
    for e in await audit_entries(api.sessions):
        row = " ".join(str(v) for v in (e.actor, e.action, e.object_type, e.object_id))
        assert "@" not in row and "passphrase" not in row


async def test_audit_log_filters_and_csv_export(admin_api: Api):
    api = admin_api
    for cost in ("1 €", "2 €"):
        r = await api.client.patch(
            f"/api/v1/offers/{api.seed.offer['A']}", json={"cost": cost}, headers=api.auth("gfs")
        )
        assert r.status_code == 200
    r = await api.client.delete(f"/api/v1/offers/{api.seed.offer['A']}", headers=api.auth("gfs"))
    assert r.status_code == 204
    actor = f"token:{api.seed.token_id['gfs']}"
    r = await api.client.get(
        "/api/v1/audit",
        params={"actor": actor, "object_type": "offer", "object_id": str(api.seed.offer["A"])},
        headers=api.auth("admin"),
    )
    assert r.status_code == 200
    assert [e["action"] for e in r.json()["items"]] == ["delete", "update", "update"]
    assert r.json()["total"] == 3
    r = await api.client.get(
        "/api/v1/audit", params={"action": "update", "limit": 1}, headers=api.auth("admin")
    )
    assert r.json()["total"] == 2 and len(r.json()["items"]) == 1
    future = (utcnow() + dt.timedelta(days=1)).isoformat()
    r = await api.client.get("/api/v1/audit", params={"since": future}, headers=api.auth("admin"))
    assert r.json()["total"] == 0
    r = await api.client.get(
        "/api/v1/audit", params={"until": "2000-01-01T00:00:00Z"}, headers=api.auth("admin")
    )
    assert r.json()["total"] == 0
    r = await api.client.get(
        "/api/v1/audit",
        params={"since": future, "until": "2000-01-01T00:00:00"},
        headers=api.auth("admin"),
    )
    assert r.status_code == 422 and error_of(r)["field"] == "since"

    r = await api.client.get(
        "/api/v1/audit/export.csv", params={"actor": actor}, headers=api.auth("admin")
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0] == "id,at,actor,user_id,action,object_type,object_id"
    assert [ln.split(",")[4] for ln in lines[1:]] == ["update", "update", "delete"]
    async with api.sessions() as s:
        exports = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "export")))
    assert len(exports) == 1 and exports[0].object_type == "audit_log"


async def test_metrics_use_route_templates_and_no_personal_data(admin_api: Api):
    api = admin_api
    await api.client.get(f"/api/v1/offers/{api.seed.offer['A']}", headers=api.auth("gfs"))
    await api.client.get("/api/v1/offers/424242", headers=api.auth("gfs"))
    await login(api, "gfs", "wrong password!")
    await api.client.get("/api/v1/does/not/exist")
    r = await api.client.get("/metrics")
    assert r.status_code == 200
    text = r.text
    assert 'route="/api/v1/offers/{offer_id}",status="200"' in text
    assert 'route="/api/v1/offers/{offer_id}",status="404"' in text
    assert 'route="/api/v1/auth/login",status="401"' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "424242" not in text and "@example.org" not in text
    assert "wegweiser_http_request_duration_seconds_bucket" in text


async def test_metrics_can_require_a_token(db_url):
    engine, _ = build(db_url)
    app = create_app(engine, metrics_token="m" * 24)  # type: ignore[arg-type]
    async with make_client(app) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer " + "n" * 24}
        assert (await client.get("/metrics", headers=wrong)).status_code == 401
        r = await client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 24})
        assert r.status_code == 200 and "wegweiser_http_requests" in r.text
    only_elsewhere = create_app(engine, metrics_here=False)  # type: ignore[arg-type]
    async with make_client(only_elsewhere) as client:
        assert (await client.get("/metrics")).status_code == 404
    await engine.dispose()  # type: ignore[attr-defined]


def test_production_needs_a_metrics_token_or_address():
    with pytest.raises(SettingsError, match="WEGWEISER_METRICS_TOKEN"):
        Settings(env="production").check_metrics()
    Settings(env="production", metrics_token="t" * 16).check_metrics()
    Settings(env="production", metrics_address="127.0.0.1:9100").check_metrics()
    with pytest.raises(ValidationError):
        Settings(metrics_address="9100")
    with pytest.raises(ValidationError):
        Settings(metrics_token="short")


async def test_every_api_answer_is_not_stored_nor_sniffed(admin_api: Api):
    api = admin_api
    answers = [
        await api.client.get("/api/v1/auth/me", headers=api.auth("gfs")),
        await api.client.get("/api/v1/auth/me"),
        await api.client.get("/api/v1/nothing/here"),
        await api.client.post("/api/v1/auth/login", content=b"x" * 70_000),
        await api.client.get("/health"),
        await api.client.get("/openapi.json"),
    ]
    assert [r.status_code for r in answers] == [200, 401, 404, 413, 200, 200]
    for r in answers:
        assert r.headers["cache-control"] == "no-store", r.request.url
        assert r.headers["x-content-type-options"] == "nosniff", r.request.url


async def test_deleting_guards_keep_data_consistent(admin_api: Api):
    api, seed_ = admin_api, admin_api.seed
    r = await api.client.delete(
        f"/api/v1/buendnisse/{seed_.buendnis['A']}", headers=api.auth("admin")
    )
    assert r.status_code == 409 and error_of(r)["code"] == "buendnis_not_empty"
    r = await api.client.patch(
        f"/api/v1/offers/{seed_.offer['A']}",
        json={"gemeinde_ids": [seed_.gemeinde["A"]]},
        headers=api.auth("gfs"),
    )
    assert r.status_code == 200
    r = await api.client.delete(f"/api/v1/gemeinden/{seed_.gemeinde['A']}", headers=api.auth("gfs"))
    assert r.status_code == 409 and error_of(r)["code"] == "gemeinde_in_use"
    r = await api.client.patch(
        f"/api/v1/offers/{seed_.offer['A']}",
        json={"gemeinde_ids": [seed_.gemeinde["B"]]},
        headers=api.auth("gfs"),
    )
    assert r.status_code == 404 and error_of(r)["field"] == "gemeinde_ids"  # not theirs
    r = await api.client.delete(
        f"/api/v1/servicestellen/{seed_.stelle['A']}", headers=api.auth("gfs")
    )
    assert r.status_code == 409 and error_of(r)["code"] == "servicestelle_in_use"
    r = await api.client.delete(f"/api/v1/users/{seed_.user['admin']}", headers=api.auth("admin"))
    assert r.status_code == 409 and error_of(r)["code"] == "own_account"


async def test_change_own_password(admin_api: Api):
    api = admin_api
    csrf = (await login(api, "gfs")).json()["csrf_token"]
    url = "/api/v1/auth/password"
    r = await api.client.post(
        url,
        json={"current_password": "wrong", "new_password": "ein neues langes passwort"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 403 and error_of(r)["code"] == "wrong_password"
    r = await api.client.post(
        url,
        json={"current_password": PASSWORD, "new_password": "ein neues langes passwort"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 204
    assert (await api.client.get("/api/v1/auth/me")).status_code == 200  # this session stays
    api.client.cookies.clear()
    assert (await login(api, "gfs")).status_code == 401
    assert (await login(api, "gfs", "ein neues langes passwort")).status_code == 200


async def test_account_scope_errors(admin_api: Api):
    api = admin_api
    base = {"email": "neu@example.org", "password": "long enough password"}
    cases = [
        ({"role": "gfs"}, 409, "buendnis_id"),
        ({"role": "gfs", "buendnis_id": 9999}, 404, "buendnis_id"),
        ({"role": "servicestelle"}, 409, "servicestelle_id"),
        ({"role": "servicestelle", "servicestelle_id": 9999}, 404, "servicestelle_id"),
        (
            {
                "role": "servicestelle",
                "servicestelle_id": api.seed.stelle["B"],
                "buendnis_id": api.seed.buendnis["A"],
            },
            409,
            "buendnis_id",
        ),
        ({"role": "admin", "buendnis_id": api.seed.buendnis["A"]}, 409, "role"),
        ({"role": "admin", "password": "short"}, 422, "password"),
        ({"role": "admin", "email": "no email"}, 422, "email"),
    ]
    for extra, status, field in cases:
        r = await api.client.post("/api/v1/users", json=base | extra, headers=api.auth("admin"))
        assert r.status_code == status, (extra, r.text)
        assert error_of(r)["field"] == field, (extra, r.text)
    async with api.sessions() as s:
        assert await s.scalar(select(StaffUser).where(StaffUser.email == "neu@example.org")) is None
