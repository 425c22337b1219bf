"""The API's documented input lengths are the database's: a value the OpenAPI allows is one the
column can hold (else the database refuses it and the client gets a 503 instead of a 422)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, String

from admin_api.app import create_app
from store.db import make_engine
from store.models import (
    ApiToken,
    Buendnis,
    Gemeinde,
    Offer,
    OfferText,
    ReferralEvent,
    Servicestelle,
    StaffUser,
    SurveyWave,
)
from tests.admin_seed import Api

# request body schema → the table its fields are stored in (same field and column names)
STORED: dict[str, Any] = {
    "BuendnisIn": Buendnis,
    "BuendnisPatch": Buendnis,
    "GemeindeIn": Gemeinde,
    "GemeindePatch": Gemeinde,
    "OfferIn": Offer,
    "OfferPatch": Offer,
    "ServicestelleIn": Servicestelle,
    "ServicestellePatch": Servicestelle,
    "TokenIn": ApiToken,
    "UserIn": StaffUser,
    "UserPatch": StaffUser,
    "WaveIn": SurveyWave,
    "admin_api__schemas_offers__TextIn": OfferText,
}
# fields stored under another name
RENAMED: dict[tuple[str, str], Column[Any]] = {
    ("OnwardIn", "addressee"): ReferralEvent.__table__.c.note,
    ("admin_api__schemas_referrals__TextIn", "text"): ReferralEvent.__table__.c.note,
    ("TransitionIn", "note"): ReferralEvent.__table__.c.note,
}
# fields never stored as sent
NOT_STORED = {
    ("LoginIn", "email"),  # looked up
    ("LoginIn", "password"),  # checked against the hash
    ("PasswordIn", "current_password"),
    ("PasswordIn", "new_password"),  # hashed
    ("UserIn", "password"),
    ("UserPatch", "password"),
}


def max_length(prop: dict[str, Any]) -> int | None:
    if "maxLength" in prop:
        return int(prop["maxLength"])
    for alternative in prop.get("anyOf", []):
        found = max_length(alternative)
        if found is not None:
            return found
    return None  # lists (stored as JSON) and non-strings


def test_every_string_length_in_the_schema_is_the_columns():
    app = create_app(make_engine("sqlite+aiosqlite://"))
    schemas = app.openapi()["components"]["schemas"]
    checked = 0
    for name, schema in schemas.items():
        for field, prop in schema.get("properties", {}).items():
            allowed = max_length(prop)
            if allowed is None or (name, field) in NOT_STORED:
                continue
            column = RENAMED.get((name, field))
            if column is None:
                assert name in STORED, f"{name}.{field}: which column stores it?"
                column = STORED[name].__table__.c.get(field)
                assert column is not None, f"{name}.{field}: no column {field}"
            if isinstance(column.type, String) and column.type.length is not None:
                assert allowed == column.type.length, (
                    f"{name}.{field}: the API allows {allowed}, the column holds "
                    f"{column.type.length}"
                )
            checked += 1
    assert checked >= 30


async def test_a_gemeinde_name_longer_than_the_column_is_a_422(admin_api: Api):
    api = admin_api
    for length, status in ((121, 422), (120, 201)):
        r = await api.client.post(
            "/api/v1/gemeinden",
            json={"name": "G" * length},
            headers=api.auth("gfs"),
        )
        assert r.status_code == status, r.text
    assert r.json()["name"] == "G" * 120
    r = await api.client.patch(
        f"/api/v1/gemeinden/{api.seed.gemeinde['A']}",
        json={"name": "H" * 121},
        headers=api.auth("gfs"),
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "name"


async def test_a_body_that_is_not_utf8_is_a_documented_422(admin_api: Api):
    """So are JSON that Python's parser refuses: a number past 4,300 digits, and arrays
    nested thousands deep (in a body within the 64 KiB limit)."""
    api = admin_api
    for body in (
        b'{"code": "ab", "name": "\xff\xfe"}',
        b"\xff\xfe\x00",
        b'{"code": ' + b"1" * 60_000 + b"}",
        b"[" * 30_000 + b"]" * 30_000,
    ):
        r = await api.client.post(
            "/api/v1/buendnisse",
            content=body,
            headers={**api.auth("admin"), "content-type": "application/json"},
        )
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "invalid_json"
    operation = create_app(make_engine("sqlite+aiosqlite://")).openapi()["paths"][
        "/api/v1/buendnisse"
    ]["post"]
    assert "422" in operation["responses"]


async def test_an_undeclared_method_is_a_405_naming_every_declared_one(admin_api: Api):
    api = admin_api
    offer = f"/api/v1/offers/{api.seed.offer['A']}"
    for method, path, allow in (
        ("OPTIONS", "/api/v1/buendnisse", "GET, POST"),
        ("PUT", "/api/v1/buendnisse", "GET, POST"),
        ("TRACE", offer, "DELETE, GET, PATCH"),
        ("PUT", offer, "DELETE, GET, PATCH"),
        ("POST", "/health", "GET"),
    ):
        r = await api.client.request(method, path, headers=api.auth("admin"))
        assert r.status_code == 405, (method, path)
        assert r.headers["allow"] == allow, (method, path)
        assert r.json()["error"]["code"] == "method_not_allowed"
