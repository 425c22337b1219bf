"""Server-rendered staff pages (German, Jinja2, no script needed) under `/staff`, assets under
`/static/staff`. A page module has an `APIRouter` with prefix `/staff`; add it to
`PAGE_ROUTERS`, and its navigation item to `templating.NAV`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from admin_api.web import (
    errors,
    pages_auth,
    pages_entries,
    pages_offer_texts,
    pages_offers,
    pages_referral_forms,
    pages_referrals,
    pages_results,
    pages_waves,
)
from admin_api.web.headers import StaffHeaders

STATIC_DIR = Path(__file__).resolve().parent / "static"

PAGE_ROUTERS: list[APIRouter] = [
    pages_auth.router,
    pages_referrals.router,
    pages_referral_forms.router,
    pages_offer_texts.router,  # before pages_offers: /offers/uebersetzungen is no offer id
    pages_offers.router,
    pages_waves.router,
    pages_results.router,
    pages_entries.router,
]


def install(app: FastAPI) -> None:
    """Mount the assets, include the page routers, HTML errors for pages, security headers."""
    app.mount("/static/staff", StaticFiles(directory=STATIC_DIR), name="staff-static")
    for router in PAGE_ROUTERS:
        app.include_router(router)
    errors.install(app)
    app.add_middleware(StaffHeaders)
