"""Authorisation matrix: every endpoint × every role × own and foreign object.

"own" is Bündnis A (the gfs's Bündnis; the servicestelle account's Bündnis and Servicestelle),
"foreign" is Bündnis B. Roles: anon (no credentials), admin, gfs, servicestelle. A successful
change adds exactly one audit entry; a refused one adds none and changes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from store.models import Buendnis, Gemeinde, Offer, Servicestelle, StaffUser
from tests.admin_seed import PASSWORD, Api, add_referral, add_wave, audit_count

ROLES = ("anon", "admin", "gfs", "servicestelle")
_counter = itertools.count(1)

Expect = dict[str, tuple[int, int]]  # role -> (own, foreign)


def everyone(ok: int) -> Expect:
    return {"anon": (401, 401), "admin": (ok, ok), "gfs": (ok, ok), "servicestelle": (ok, ok)}


def admin_only(ok: int) -> Expect:
    return {"anon": (401, 401), "admin": (ok, ok), "gfs": (403, 403), "servicestelle": (403, 403)}


def read_scoped(ok: int = 200) -> Expect:
    return {"anon": (401, 401), "admin": (ok, ok), "gfs": (ok, 404), "servicestelle": (ok, 404)}


def queue_scoped(ok: int = 200) -> Expect:
    """Personal referral data: the Servicestelle's own queue and admin; never gfs."""
    return {"anon": (401, 401), "admin": (ok, ok), "gfs": (403, 403), "servicestelle": (ok, 404)}


def gfs_scoped(ok: int) -> Expect:
    return {"anon": (401, 401), "admin": (ok, ok), "gfs": (ok, 404), "servicestelle": (403, 403)}


async def _fresh(api: Api, obj: Any) -> int:
    async with api.sessions() as s, s.begin():
        s.add(obj)
        await s.flush()
        return obj.id  # type: ignore[no-any-return]


def side(api: Api, target: str) -> str:
    return "A" if target == "own" else "B"


Path = Callable[[Api, str], Awaitable[str]]


def fixed(template: str, attr: str | None = None) -> Path:
    async def path(api: Api, target: str) -> str:
        if attr is None:
            return template
        return template.format(getattr(api.seed, attr)[side(api, target)])

    return path


def user_path(suffix: str = "") -> Path:
    async def path(api: Api, target: str) -> str:
        name = "gfs" if target == "own" else "gfs_b"
        return f"/api/v1/users/{api.seed.user[name]}{suffix}"

    return path


def fresh_user() -> Path:
    async def path(api: Api, target: str) -> str:
        b = api.seed.buendnis[side(api, target)]
        user = StaffUser(
            email=f"fresh{next(_counter)}@example.org", password_hash="x", role="gfs", buendnis_id=b
        )
        return f"/api/v1/users/{await _fresh(api, user)}"

    return path


def fresh_token() -> Path:
    async def path(api: Api, target: str) -> str:
        from admin_api.security import create_token

        name = "gfs" if target == "own" else "gfs_b"
        async with api.sessions() as s, s.begin():
            user = await s.get(StaffUser, api.seed.user[name])
            token, _ = await create_token(s, user)  # type: ignore[arg-type]
        return f"/api/v1/tokens/{token.id}"

    return path


def fresh(kind: str) -> Path:
    async def path(api: Api, target: str) -> str:
        b = api.seed.buendnis[side(api, target)]
        n = next(_counter)
        if kind == "buendnis":
            return f"/api/v1/buendnisse/{await _fresh(api, Buendnis(code=f'leer-{n}', name='x'))}"
        if kind == "gemeinde":
            obj_id = await _fresh(api, Gemeinde(buendnis_id=b, name=f"G{n}", kreis=None))
            return f"/api/v1/gemeinden/{obj_id}"
        if kind == "servicestelle":
            obj_id = await _fresh(api, Servicestelle(buendnis_id=b, name=f"S{n}"))
            return f"/api/v1/servicestellen/{obj_id}"
        offer = Offer(buendnis_id=b, title=f"O{n}", provider="p", category="Sprache")
        return f"/api/v1/offers/{await _fresh(api, offer)}"

    return path


def fresh_referral(suffix: str, status: str = "new") -> Path:
    """A new referral of Servicestelle A (own) or B (foreign), so each call can change it."""

    async def path(api: Api, target: str) -> str:
        key = side(api, target)
        async with api.sessions() as s, s.begin():
            ref = await add_referral(
                s,
                api.seed.buendnis[key],
                api.seed.stelle[key],
                api.seed.gemeinde[key],
                status=status,
            )
        return f"/api/v1/referrals/{ref.id}{suffix}"

    return path


def fresh_wave(suffix: str, status: str) -> Path:
    """A new wave of Bündnis A (own) or B (foreign) in `status`."""

    async def path(api: Api, target: str) -> str:
        async with api.sessions() as s, s.begin():
            wave = await add_wave(s, api.seed.buendnis[side(api, target)], status=status)
        return f"/api/v1/waves/{wave.id}{suffix}"

    return path


def listed(r: Any) -> int:
    """A queue page records one audit entry per referral shown."""
    return len(r.json()["items"])


def body_in(make: Callable[[int], dict[str, Any]]) -> Callable[[Api, str], dict[str, Any]]:
    def body(api: Api, target: str) -> dict[str, Any]:
        return make(api.seed.buendnis[side(api, target)])

    return body


@dataclass
class Case:
    method: str
    path: Path
    expect: Expect
    body: Callable[[Api, str], dict[str, Any]] | None = None
    reads: Callable[[Any], int] | None = None  # audit entries a successful read writes


CASES: list[Case] = [
    Case("GET", fixed("/api/v1/auth/me"), everyone(200)),
    Case(
        "POST",
        fixed("/api/v1/auth/password"),
        everyone(204),
        lambda api, t: {"current_password": PASSWORD, "new_password": PASSWORD},
    ),
    Case("GET", fixed("/api/v1/buendnisse"), everyone(200)),
    Case(
        "POST",
        fixed("/api/v1/buendnisse"),
        admin_only(201),
        lambda api, t: {"code": f"neu-{next(_counter)}", "name": "Neu"},
    ),
    Case("GET", fixed("/api/v1/buendnisse/{}", "buendnis"), read_scoped()),
    Case(
        "PATCH",
        fixed("/api/v1/buendnisse/{}", "buendnis"),
        admin_only(200),
        lambda api, t: {"suppression_k": 6},
    ),
    Case("DELETE", fresh("buendnis"), admin_only(204)),
    Case("GET", fixed("/api/v1/users"), admin_only(200)),
    Case(
        "POST",
        fixed("/api/v1/users"),
        admin_only(201),
        body_in(
            lambda b: {
                "email": f"neu{next(_counter)}@example.org",
                "password": "long enough password",
                "role": "gfs",
                "buendnis_id": b,
            }
        ),
    ),
    Case("GET", user_path(), admin_only(200)),
    Case("PATCH", user_path(), admin_only(200), lambda api, t: {"unlock": True}),
    Case("DELETE", fresh_user(), admin_only(204)),
    Case("GET", user_path("/tokens"), admin_only(200)),
    Case("POST", user_path("/tokens"), admin_only(201), lambda api, t: {"expires_days": 5}),
    Case("DELETE", fresh_token(), admin_only(200)),
    Case("GET", fixed("/api/v1/gemeinden"), everyone(200)),
    Case(
        "POST",
        fixed("/api/v1/gemeinden"),
        gfs_scoped(201),
        body_in(lambda b: {"buendnis_id": b, "name": f"Neu {next(_counter)}"}),
    ),
    Case("GET", fixed("/api/v1/gemeinden/{}", "gemeinde"), read_scoped()),
    Case(
        "PATCH",
        fixed("/api/v1/gemeinden/{}", "gemeinde"),
        gfs_scoped(200),
        lambda api, t: {"kreis": "Kreis X"},
    ),
    Case("DELETE", fresh("gemeinde"), gfs_scoped(204)),
    Case("GET", fixed("/api/v1/servicestellen"), everyone(200)),
    Case(
        "POST",
        fixed("/api/v1/servicestellen"),
        gfs_scoped(201),
        body_in(lambda b: {"buendnis_id": b, "name": "Neue Stelle", "languages": ["de", "ar"]}),
    ),
    Case("GET", fixed("/api/v1/servicestellen/{}", "stelle"), read_scoped()),
    Case(
        "PATCH",
        fixed("/api/v1/servicestellen/{}", "stelle"),
        gfs_scoped(200),
        lambda api, t: {"contact": "0123 456"},
    ),
    Case("DELETE", fresh("servicestelle"), gfs_scoped(204)),
    Case("GET", fixed("/api/v1/offers"), everyone(200)),
    Case(
        "GET",
        fixed("/api/v1/offers/unchecked"),
        {**admin_only(200), "gfs": (200, 200)},
    ),
    Case(
        "POST",
        fixed("/api/v1/offers"),
        gfs_scoped(201),
        body_in(lambda b: {"buendnis_id": b, "title": "Kurs", "provider": "VHS", "category": "S"}),
    ),
    Case("GET", fixed("/api/v1/offers/{}", "offer"), read_scoped()),
    Case(
        "PATCH",
        fixed("/api/v1/offers/{}", "offer"),
        gfs_scoped(200),
        lambda api, t: {"cost": "kostenlos"},
    ),
    Case("POST", fixed("/api/v1/offers/{}/checked", "offer"), gfs_scoped(200)),
    Case("DELETE", fresh("offer"), gfs_scoped(204)),
    Case(
        "GET",
        fixed("/api/v1/referrals"),
        {**queue_scoped(), "servicestelle": (200, 200)},
        reads=listed,
    ),
    Case("GET", fixed("/api/v1/referrals/stats"), {**gfs_scoped(200), "gfs": (200, 200)}),
    Case("GET", fixed("/api/v1/referrals/{}", "referral"), queue_scoped(), reads=lambda r: 1),
    Case(
        "POST",
        fresh_referral("/transitions"),
        queue_scoped(),
        lambda api, t: {"to": "in_review"},
    ),
    Case(
        "POST",
        fresh_referral("/onward", status="contacted"),
        queue_scoped(),
        lambda api, t: {"addressee": "Integration Point"},
    ),
    Case("POST", fresh_referral("/notes"), queue_scoped(201), lambda api, t: {"text": "Rückruf"}),
    Case("POST", fresh_referral("/messages"), queue_scoped(201), lambda api, t: {"text": "Hallo"}),
    Case("GET", fixed("/api/v1/waves"), {**gfs_scoped(200), "gfs": (200, 200)}),
    Case(
        "POST",
        fixed("/api/v1/waves"),
        gfs_scoped(201),
        body_in(lambda b: {"buendnis_id": b, "title": "Welle"}),
    ),
    Case("GET", fixed("/api/v1/waves/{}", "wave"), gfs_scoped(200)),
    Case("POST", fresh_wave("/open", "draft"), gfs_scoped(200)),
    Case("POST", fresh_wave("/close", "open"), gfs_scoped(200)),
    Case("POST", fixed("/api/v1/waves/{}/invitations", "wave"), gfs_scoped(200)),
    # results of a closed wave (an open one's are refused to everyone: 409)
    Case("GET", fresh_wave("/results/frequencies", "closed"), gfs_scoped(200)),
    Case("GET", fresh_wave("/results/crosstabs", "closed"), gfs_scoped(200)),
    Case(
        "GET",
        fresh_wave("/export?format=json", "closed"),
        gfs_scoped(200),
        reads=lambda r: 1,  # the export is recorded
    ),
    Case("GET", fixed("/api/v1/gaps?buendnis_id={}", "buendnis"), gfs_scoped(200)),
    Case("GET", fixed("/api/v1/audit"), admin_only(200)),
    Case("GET", fixed("/api/v1/audit/export.csv"), admin_only(200)),
]


async def test_authz_matrix(admin_api: Api) -> None:
    api = admin_api
    failures: list[str] = []
    for case in CASES:
        for role in ROLES:
            for i, target in enumerate(("own", "foreign")):
                path = await case.path(api, target)
                body = case.body(api, target) if case.body else None
                before = await audit_count(api.sessions)
                r = await api.client.request(case.method, path, json=body, headers=api.auth(role))
                want = case.expect[role][i]
                label = f"{case.method} {path} as {role} ({target})"
                if r.status_code != want:
                    failures.append(f"{label}: {r.status_code} != {want}: {r.text[:200]}")
                    continue
                if r.status_code >= 400:
                    assert set(r.json()) == {"error"}, label
                after = await audit_count(api.sessions)
                changes = case.method != "GET" and r.status_code < 400
                expected_entries = 1 if changes else 0
                if path.endswith("export.csv") and r.status_code == 200:
                    expected_entries = 1  # the export itself is recorded
                if case.reads is not None and r.status_code == 200:
                    expected_entries = case.reads(r)  # reads of personal referral data
                if after - before != expected_entries:
                    failures.append(f"{label}: {after - before} audit entries")
    assert not failures, "\n".join(failures)


async def test_servicestelle_sees_only_its_own_servicestelle(admin_api: Api) -> None:
    api, seed = admin_api, admin_api.seed
    sibling = f"/api/v1/servicestellen/{seed.stelle['A2']}"
    r = await api.client.get(sibling, headers=api.auth("servicestelle"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await api.client.get("/api/v1/servicestellen", headers=api.auth("servicestelle"))
    assert [x["id"] for x in r.json()["items"]] == [seed.stelle["A"]]


async def test_listings_are_scoped_to_the_buendnis(admin_api: Api) -> None:
    api, seed = admin_api, admin_api.seed
    a, b = seed.buendnis["A"], seed.buendnis["B"]
    for path in ("/api/v1/buendnisse", "/api/v1/gemeinden", "/api/v1/offers"):
        for role, own in (("gfs", a), ("gfs_b", b), ("servicestelle", a)):
            r = await api.client.get(path, headers=api.auth(role))
            items = r.json()["items"]
            assert items, (path, role)
            key = "id" if path.endswith("buendnisse") else "buendnis_id"
            assert {x[key] for x in items} == {own}, (path, role)
        r = await api.client.get(path, headers=api.auth("admin"))
        key = "id" if path.endswith("buendnisse") else "buendnis_id"
        assert {x[key] for x in r.json()["items"]} == {a, b}
    # a foreign buendnis_id filter gives nothing, not the other tenant's data
    r = await api.client.get(f"/api/v1/offers?buendnis_id={b}", headers=api.auth("gfs"))
    assert r.json()["total"] == 0


async def test_gfs_creates_in_its_own_buendnis_by_default(admin_api: Api) -> None:
    api = admin_api
    r = await api.client.post(
        "/api/v1/offers",
        json={"title": "Beratung", "provider": "JMD", "category": "Beratung"},
        headers=api.auth("gfs"),
    )
    assert r.status_code == 201 and r.json()["buendnis_id"] == api.seed.buendnis["A"]
    r = await api.client.post(
        "/api/v1/offers",
        json={"title": "Beratung", "provider": "JMD", "category": "Beratung"},
        headers=api.auth("admin"),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "scope_conflict"
