"""Helpers for the staff page tests: log in through the form, read hidden fields."""

from __future__ import annotations

import re

import httpx

from tests.admin_seed import PASSWORD, Api

HIDDEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = HIDDEN.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


async def page_login(
    api: Api, name: str, password: str = PASSWORD, next_url: str = ""
) -> httpx.Response:
    form = await api.client.get("/staff/login")
    assert form.status_code == 200, form.text
    return await api.client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_of(form.text),
            "email": api.seed.email[name],
            "password": password,
            "next": next_url,
        },
    )


async def logged_in(api: Api, name: str) -> str:
    """Log `name` in; returns the CSRF token to put into forms."""
    r = await page_login(api, name)
    assert r.status_code == 303, r.text
    return api.client.cookies["wegweiser_csrf"]
