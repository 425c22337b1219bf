"""Benchmark: the GfS results page and a cross-table request against the cheapest pass over
the wave's data.

A throwaway database with N responses × 20 items (the data of `bench/results_export.py`;
default 100,000 on PostgreSQL, 10,000 on SQLite). Measured in the same run, median of several
runs: the baselines (`COPY … TO '/dev/null'` of the wave's rows on PostgreSQL, one SQL
`GROUP BY item, code` over the packed answers), the report the page needs (`build_report`
with the frequency tables only), and through the app as a logged-in GfS: the page
`GET /staff/results/{wave}` without a cross-table, with a standard one (housing by age band)
and with an any-item one (housing by need areas), and the API request
`GET /api/v1/waves/{wave}/results/crosstabs?item=…&by=…`. Prints JSON with the timings and
the ratios to the baselines.

    .venv/bin/python bench/staff_dashboard.py [--database postgresql|sqlite] [--responses N]
        [--repeat R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_export import FLOW, ITEMS, PAIR, Bench, seed

from admin_api.app import create_app
from admin_api.security import hash_password
from bench.pg import admin, database_url
from dialogs.loader import load_flow
from store.migrate import upgrade
from store.models import Buendnis, StaffUser
from surveys.service import SurveyConfig

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


async def timed_page(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> float:
    t = time.perf_counter()
    r = await client.get(path, params=params)
    elapsed = time.perf_counter() - t
    assert r.status_code == 200, r.status_code
    if path.startswith("/staff/"):
        section = r.text.split("<h2>Kreuztabelle</h2>", 1)[1].split("</section>", 1)[0]
        assert "<svg" in r.text and ("<table" in section) == bool(params)
    else:
        assert r.json()["tables"], r.text
    return elapsed


async def run(url: str, args: argparse.Namespace, database: str) -> dict[str, Any]:
    flow = load_flow(FLOW)
    wave = await seed(url, args.responses, flow)
    b = Bench(url, wave, flow)
    await add_gfs(b.factory)
    app = create_app(b.engine, b.factory, surveys=SurveyConfig({flow.id: flow}))
    runs: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        runs.setdefault(name, []).append(seconds)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        form = (await client.get("/staff/login")).text
        token = form.split(CSRF, 1)[1].split('"', 1)[0]
        login = {"email": EMAIL, "password": PASSWORD, "csrf_token": token, "next": ""}
        assert (await client.post("/staff/login", data=login)).status_code == 303
        page = f"/staff/results/{wave}"
        api = f"/api/v1/waves/{wave}/results/crosstabs"
        standard = {"item": "1.5", "by": "1.2"}
        any_pair = {"item": PAIR[0], "by": PAIR[1]}
        await timed_page(client, page, {})  # warm-up: templates compiled, pools filled
        for _ in range(args.repeat):
            if database == "postgresql":
                t = time.perf_counter()
                await b.copy_to_devnull()
                note("copy", time.perf_counter() - t)
            t = time.perf_counter()
            await b.group_by()
            note("group_by", time.perf_counter() - t)
            t = time.perf_counter()
            await b.report([])
            note("report", time.perf_counter() - t)
            note("page", await timed_page(client, page, {}))
            note("page_standard", await timed_page(client, page, standard))
            note("page_any", await timed_page(client, page, any_pair))
            note("api_any", await timed_page(client, api, any_pair))
    await b.engine.dispose()
    med = {k: statistics.median(v) for k, v in runs.items()}
    out: dict[str, Any] = {
        "benchmark": "staff_dashboard",
        "database": database,
        "responses": args.responses,
        "items": ITEMS,
    }
    if "copy" in med:
        out["baseline_copy_to_devnull_seconds"] = round(med["copy"], 3)
    out |= {
        "baseline_group_by_item_code_seconds": round(med["group_by"], 3),
        "frequencies_report_seconds": round(med["report"], 3),
        "page_seconds": round(med["page"], 3),
        "page_with_standard_crosstab_seconds": round(med["page_standard"], 3),
        "page_with_any_item_crosstab_seconds": round(med["page_any"], 3),
        "api_any_item_crosstab_seconds": round(med["api_any"], 3),
    }
    for name in ("copy", "group_by"):
        if name in med:
            out[f"ratio_page_vs_{name}"] = round(med["page"] / med[name], 2)
            out[f"ratio_crosstab_page_vs_{name}"] = round(med["page_any"] / med[name], 2)
    out["targets"] = {"page_seconds_max": 1.0, "crosstab_seconds_max": 1.0, "ratio_max": 3.0}
    out["runs"] = args.repeat
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--responses", type=int)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if args.database == "sqlite":
        args.responses = args.responses or 10_000
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            await asyncio.to_thread(upgrade, url)
            print(json.dumps(await run(url, args, "sqlite"), indent=2))
        return
    args.responses = args.responses or 100_000
    name = f"wegweiser_bench_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    try:
        await asyncio.to_thread(upgrade, url)
        print(json.dumps(await run(url, args, "postgresql"), indent=2))
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
