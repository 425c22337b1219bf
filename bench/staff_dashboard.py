"""Benchmark: the GfS results dashboard page vs. building its report alone.

A throwaway PostgreSQL database with N responses × 20 items (the data of
`bench/results_export.py`). Measured in the same run (median of several runs): the baseline,
`build_report` for the wave (aggregation and suppression of every table), and the dashboard
page `GET /staff/results/{wave}` as a logged-in GfS sees it through the app (the same report
plus the page: charts, tables, template), once without and once with a cross-table chosen.
Prints JSON with the timings and the ratios page / report.

    .venv/bin/python bench/staff_dashboard.py [--responses N] [--repeat R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_export import FLOW, items_for, seed

from admin_api.app import create_app
from admin_api.routers.surveys import SurveyConfig
from admin_api.security import hash_password
from bench.pg import admin, database_url
from dialogs.loader import load_flow
from results.tables import Codebook, build_report
from store.db import make_engine, sessions
from store.migrate import upgrade
from store.models import Buendnis, StaffUser

EMAIL = "gfs@bench.example"
PASSWORD = "bench-password-2027"
CSRF = 'name="csrf_token" value="'


async def add_gfs(factory: object) -> None:
    async with factory() as s, s.begin():  # type: ignore[operator]
        b = await s.scalar(select(Buendnis).where(Buendnis.code == "demo-kreis"))
        s.add(
            StaffUser(
                email=EMAIL, password_hash=hash_password(PASSWORD), role="gfs", buendnis_id=b.id
            )
        )


async def timed_report(factory: object, wave: int, flow: object) -> float:
    t = time.perf_counter()
    async with factory() as s:  # type: ignore[operator]
        report = await build_report(s, wave, Codebook.from_flow(flow))
    elapsed = time.perf_counter() - t
    assert report.n > 0
    return elapsed


async def timed_page(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> float:
    t = time.perf_counter()
    r = await client.get(path, params=params)
    elapsed = time.perf_counter() - t
    assert r.status_code == 200 and "<svg" in r.text, r.status_code
    return elapsed


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    flow = load_flow(FLOW)
    name = f"wegweiser_bench_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    try:
        await asyncio.to_thread(upgrade, url)
        wave = await seed(url, args.responses, flow)
        engine = make_engine(url)
        factory = sessions(engine)
        await add_gfs(factory)
        app = create_app(engine, factory, surveys=SurveyConfig({flow.id: flow}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            form = (await client.get("/staff/login")).text
            token = form.split(CSRF, 1)[1].split('"', 1)[0]
            login = {"email": EMAIL, "password": PASSWORD, "csrf_token": token, "next": ""}
            assert (await client.post("/staff/login", data=login)).status_code == 303
            path = f"/staff/results/{wave}"
            crosstab = {"item": "1.5", "by": "1.2"}
            await timed_page(client, path, {})  # warm-up: templates compiled, pools filled
            report, page, page_crosstab = [], [], []
            for _ in range(args.repeat):
                report.append(await timed_report(factory, wave, flow))
                page.append(await timed_page(client, path, {}))
                page_crosstab.append(await timed_page(client, path, crosstab))
        await engine.dispose()
        report_s = statistics.median(report)
        page_s = statistics.median(page)
        crosstab_s = statistics.median(page_crosstab)
        print(
            json.dumps(
                {
                    "benchmark": "staff_dashboard",
                    "database": "postgresql",
                    "responses": args.responses,
                    "items": len(items_for(flow)) + 1,
                    "baseline_build_report_seconds": round(report_s, 3),
                    "dashboard_page_seconds": round(page_s, 3),
                    "dashboard_with_crosstab_seconds": round(crosstab_s, 3),
                    "ratio": round(page_s / report_s, 2),
                    "ratio_with_crosstab": round(crosstab_s / report_s, 2),
                    "runs": args.repeat,
                },
                indent=2,
            )
        )
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
