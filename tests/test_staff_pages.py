"""Staff pages, the base: login through the form, CSRF on every form, redirects, security
headers, German error pages next to the JSON API's error shape, role boundaries."""

from __future__ import annotations

from sqlalchemy import select

from admin_api.web.session import safe_next
from store.models import AuditEntry, StaffSession, StaffUser
from tests.admin_seed import Api
from tests.staff_pages import csrf_of, logged_in, page_login


async def test_login_with_the_form_opens_a_session_and_goes_to_the_queue(admin_api: Api):
    api = admin_api
    r = await page_login(api, "servicestelle")
    assert r.status_code == 303 and r.headers["location"] == "/staff/"
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("wegweiser_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    r = await api.client.get("/staff/")
    assert r.status_code == 303 and r.headers["location"] == "/staff/referrals"
    async with api.sessions() as s:
        rows = list(await s.scalars(select(StaffSession)))
        logins = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "login")))
    assert len(rows) == 1 and rows[0].user_id == api.seed.user["servicestelle"]
    assert [e.user_id for e in logins] == [api.seed.user["servicestelle"]]


async def test_wrong_password_shows_a_german_error_and_counts_the_failure(admin_api: Api):
    api = admin_api
    r = await page_login(api, "servicestelle", password="falsch falsch falsch")
    assert r.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch." in r.text
    assert 'lang="de"' in r.text and "wegweiser_session" not in r.headers.get("set-cookie", "")
    async with api.sessions() as s:
        user = await s.get(StaffUser, api.seed.user["servicestelle"])
        assert user is not None and user.failed_logins == 1
        assert list(await s.scalars(select(StaffSession))) == []


async def test_a_locked_account_looks_like_a_wrong_password_and_the_lock_is_explained(
    admin_api: Api,
):
    api = admin_api
    for _ in range(5):
        wrong = await page_login(api, "gfs", password="falsch falsch falsch")
    assert wrong.status_code == 401
    r = await page_login(api, "gfs")  # right password, but locked now
    assert r.status_code == 401 and "retry-after" not in r.headers
    assert "E-Mail-Adresse oder Passwort ist falsch." in r.text
    assert "Nach 5 Fehlversuchen ist das Konto für 15 Minuten gesperrt" in r.text


async def test_empty_fields_are_named(admin_api: Api):
    api = admin_api
    form = await api.client.get("/staff/login")
    r = await api.client.post(
        "/staff/login", data={"csrf_token": csrf_of(form.text), "email": "", "password": ""}
    )
    assert r.status_code == 422
    assert "Bitte geben Sie Ihre E-Mail-Adresse ein." in r.text
    assert "Bitte geben Sie Ihr Passwort ein." in r.text
    assert 'aria-invalid="true"' in r.text


async def test_login_form_without_its_csrf_token_is_refused(admin_api: Api):
    api = admin_api
    await api.client.get("/staff/login")
    r = await api.client.post(
        "/staff/login",
        data={"email": api.seed.email["servicestelle"], "password": "x", "csrf_token": "forged"},
    )
    assert r.status_code == 403 and "Das Formular ist abgelaufen" in r.text
    async with api.sessions() as s:
        assert list(await s.scalars(select(StaffSession))) == []


async def test_logout_needs_the_csrf_token_and_ends_the_session(admin_api: Api):
    api = admin_api
    csrf = await logged_in(api, "servicestelle")
    r = await api.client.post("/staff/logout", data={})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    r = await api.client.post("/staff/logout", data={"csrf_token": "x" * 43})
    assert r.status_code == 403
    async with api.sessions() as s:
        assert len(list(await s.scalars(select(StaffSession)))) == 1  # still logged in
    r = await api.client.post("/staff/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/staff/login"
    async with api.sessions() as s:
        assert list(await s.scalars(select(StaffSession))) == []
    r = await api.client.get("/staff/")
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")


async def test_not_logged_in_goes_to_the_login_with_a_safe_next(admin_api: Api):
    api = admin_api
    r = await api.client.get("/staff/?from=bookmark")
    assert r.status_code == 303
    assert r.headers["location"] == "/staff/login?next=/staff/%3Ffrom%3Dbookmark"
    form = await api.client.get(r.headers["location"])
    assert 'name="next" value="/staff/?from=bookmark"' in form.text
    r = await page_login(api, "gfs", next_url="/staff/?from=bookmark")
    assert r.headers["location"] == "/staff/?from=bookmark"


def test_next_stays_on_the_staff_pages():
    assert safe_next("/staff/referrals/3") == "/staff/referrals/3"
    for bad in (
        "https://evil.example/staff/",
        "//evil.example/staff/",
        "/\\evil.example",
        "/api/v1/users",
        "javascript:alert(1)",
        "/staff/login?next=//evil",
        "/staff/\nSet-Cookie: x",
        None,
        "",
    ):
        assert safe_next(bad) == "/staff/", bad


async def test_every_page_carries_the_security_headers(admin_api: Api):
    api = admin_api
    await logged_in(api, "gfs")
    for path in ("/staff/login", "/staff/", "/staff/nope", "/static/staff/staff.css"):
        r = await api.client.get(path, follow_redirects=True)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        if not path.startswith("/static"):
            assert r.headers["cache-control"] == "no-store", path
    r = await api.client.get("/static/staff/staff.css")
    assert r.status_code == 200 and "text/css" in r.headers["content-type"]
    page = await api.client.get("/staff/login", follow_redirects=True)
    assert "<script" not in page.text and 'href="/static/staff/staff.css"' in page.text


async def test_unknown_staff_page_is_a_german_page_and_the_api_keeps_json(admin_api: Api):
    api = admin_api
    await logged_in(api, "servicestelle")
    r = await api.client.get("/staff/gibt-es-nicht")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "Nicht gefunden" in r.text and 'lang="de"' in r.text
    r = await api.client.get("/api/v1/gibt-es-nicht")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


async def test_page_language_can_be_english(admin_api: Api):
    api = admin_api
    r = await api.client.get("/staff/sprache?to=en&next=/staff/login")
    assert r.status_code == 303 and r.headers["location"] == "/staff/login"
    page = await api.client.get("/staff/login")
    assert 'lang="en"' in page.text and "Log in" in page.text
    r = await api.client.get("/staff/sprache?to=xx&next=https://evil.example/")
    assert r.headers["location"] == "/staff/"
