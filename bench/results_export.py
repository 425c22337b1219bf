"""Benchmark: the full suppressed export of a wave against the cheapest pass over its data.

N responses × 20 items (default 100,000 on PostgreSQL, 10,000 on SQLite) in a throwaway
database, written in the storage's own packed format (results/storage.py). Measured in the
same run, median of several runs:

- baselines, the cheapest passes over the same rows: `COPY (…) TO '/dev/null'` of the wave's
  rows (PostgreSQL only) and one SQL `GROUP BY item, code` over the packed answers (the
  frequencies of every item, without any cross-table);
- the suppressed export: read and count (every frequency and the cross-tables of every item
  by age band, status, Gemeinde and gender), primary and secondary suppression of every
  table, CSV and JSON; its parts; and the XLSX with one chart per item;
- any item × any item: one cross-table request, and all item pairs in one report.

Prints JSON with the figures and the ratios export / baseline.

    .venv/bin/python bench/results_export.py [--database postgresql|sqlite] [--responses N]
        [--repeat R]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import admin, database_url
from dialogs.loader import load_flow
from results.aggregate import wave_data
from results.charts import charts
from results.export import to_csv, to_json, to_xlsx
from results.storage import encode, layout_for
from results.tables import Codebook, build_report
from store.db import make_engine, sessions
from store.demo import load_demo
from store.migrate import upgrade
from store.models import Buendnis, Gemeinde, SurveyResponse, SurveyWave

FLOW = Path(__file__).resolve().parent.parent / "dialogs" / "flows" / "befragung-lebenslage.yaml"
ITEMS = 20
GEMEINDEN = 80  # a Land-wide wave: many Gemeinden in several Kreise, very unequal in size
PAIR = ("1.5", "2.2")  # an any × any cross-table: housing by need areas (multiple choice)


def items_for(flow: Any) -> list[tuple[str, str, list[str]]]:
    """19 coded items besides the Gemeinde: (id, kind, codes); numbers get 0..4."""
    chosen = []
    for it in flow.items:
        if it.kind in ("single", "multi", "yesno") and it.role != "invitation":
            chosen.append((it.id, it.kind, [c.code for c in it.choices]))
        elif it.kind == "number":
            chosen.append((it.id, "number", ["0", "1", "2", "3", "4"]))
    return chosen[: ITEMS - 1]


def people(
    n: int, items: list[tuple[str, str, list[str]]], place: str, gemeinden: list[str]
) -> list[dict]:
    """Skewed answers (some categories rare), 5 % skipped, multiple choice with p = 0.3 per
    option, Gemeinden very skewed (small ones are merged into their Kreis)."""
    rng = np.random.default_rng(20)
    columns: dict[str, list[Any]] = {}
    for item_id, kind, codes in items:
        if kind == "multi":
            chosen = rng.random((n, len(codes))) < 0.3
            columns[item_id] = [
                [c for c, on in zip(codes, row, strict=True) if on] for row in chosen
            ]
        elif kind == "number":
            columns[item_id] = rng.integers(0, 5, n).tolist()
        else:
            pick = (rng.random(n) ** 2 * len(codes)).astype(int)
            skipped = rng.random(n) < 0.05
            columns[item_id] = [None if s else codes[i] for i, s in zip(pick, skipped, strict=True)]
    weights = 1 / np.arange(1, len(gemeinden) + 1) ** 1.3
    pick = rng.choice(len(gemeinden), n, p=weights / weights.sum())
    columns[place] = [gemeinden[i] for i in pick]
    return [{k: columns[k][i] for k in columns} for i in range(n)]


async def seed(url: str, n: int, flow: Any) -> int:
    """An open wave of the demo Kreis with n responses; returns its id."""
    engine = make_engine(url)
    factory = sessions(engine)
    await load_demo(factory)
    codebook = Codebook.from_flow(flow)
    async with factory() as s, s.begin():
        b = await s.scalar(select(Buendnis).where(Buendnis.code == "demo-kreis"))
        s.add_all(
            Gemeinde(buendnis_id=b.id, name=f"Bench-Gemeinde {i:02}", kreis=f"Bench-Kreis {i % 8}")
            for i in range(GEMEINDEN)
        )
        await s.flush()
        gem = list(await s.scalars(select(Gemeinde.id).where(Gemeinde.buendnis_id == b.id)))
        wave = SurveyWave(
            buendnis_id=b.id,
            flow_id=flow.id,
            flow_version=flow.version,
            title="Bench",
            status="open",
        )
        s.add(wave)
        await s.flush()
        items = items_for(flow)
        place = flow.by_role("gemeinde").id
        everyone = people(n, items, place, [f"g{g}" for g in gem])
        # one layout with a number for every category, then pack in memory
        for i in range(max(len(gem), *(len(codes) for _, _, codes in items))):
            sample = {
                item_id: codes if kind == "multi" else codes[i % len(codes)]
                for item_id, kind, codes in items
            }
            sample[place] = f"g{gem[i % len(gem)]}"
            layout = await layout_for(s, flow.id, flow.version, codebook, sample)
        rows = [
            {
                "id": uuid.uuid4().hex,
                "wave_id": wave.id,
                "buendnis_id": b.id,
                "flow_id": flow.id,
                "flow_version": flow.version,
                "submitted_on": dt.date.today(),
                "layout_id": layout.id,
                "codes": encode(layout, p),
            }
            for p in everyone
        ]
        if s.bind.dialect.name == "postgresql":
            conn = await (await s.connection()).get_raw_connection()
            await conn.driver_connection.copy_records_to_table(
                "survey_response", records=[tuple(r.values()) for r in rows], columns=list(rows[0])
            )
        else:
            await s.execute(insert(SurveyResponse), rows)
        wave_id = wave.id
    async with engine.begin() as conn:  # committed, or the statistics roll back
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    return wave_id


GROUP_BY = """
WITH RECURSIVE slot(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM slot WHERE i < :last)
SELECT slot.i, substr(r.codes, 2 * slot.i + 1, 2), count(*)
FROM survey_response r CROSS JOIN slot
WHERE r.wave_id = :w
GROUP BY 1, 2
"""


async def timed(fn: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = await fn()
    return time.perf_counter() - t, out


class Bench:
    def __init__(self, url: str, wave: int, flow: Any) -> None:
        self.engine = make_engine(url)
        self.factory = sessions(self.engine)
        self.wave, self.flow = wave, flow
        self.codebook = Codebook.from_flow(flow)

    async def copy_to_devnull(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(
                text(
                    "COPY (SELECT layout_id, codes FROM survey_response "
                    f"WHERE wave_id = {int(self.wave)}) TO '/dev/null'"
                )
            )

    async def group_by(self) -> int:
        async with self.engine.connect() as conn:
            width = await conn.scalar(
                text(
                    "SELECT max(l.width) FROM survey_layout l JOIN survey_response r"
                    " ON r.layout_id = l.id WHERE r.wave_id = :w"
                ),
                {"w": self.wave},
            )
            rows = await conn.execute(text(GROUP_BY), {"w": self.wave, "last": width - 1})
            return len(rows.all())

    async def read(self) -> int:
        async with self.factory() as s:
            return (await wave_data(s, self.wave)).respondents

    async def report(self, pairs: list[tuple[str, str]] | None = None) -> Any:
        async with self.factory() as s:
            return await build_report(s, self.wave, self.codebook, pairs)

    async def export(self) -> tuple[Any, float]:
        report = await self.report()
        t = time.perf_counter()
        assert to_csv(report, []) and to_json(report, [])
        return report, time.perf_counter() - t

    async def xlsx(self) -> int:
        report = await self.report()
        return len(to_xlsx(report, [], charts(report, "png")))


async def run(url: str, args: argparse.Namespace, database: str) -> dict[str, Any]:
    flow = load_flow(FLOW)
    t = time.perf_counter()
    wave = await seed(url, args.responses, flow)
    seed_s = time.perf_counter() - t
    b = Bench(url, wave, flow)
    await b.export()  # warm-up: imports, first connections
    runs: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        runs.setdefault(name, []).append(seconds)

    coded = [it.id for it in b.codebook.items if it.coded]
    all_pairs = [(i, by) for by in coded for i in coded if i != by]
    for _ in range(args.repeat):
        if database == "postgresql":
            note("copy", (await timed(b.copy_to_devnull))[0])
        note("group_by", (await timed(b.group_by))[0])
        note("read", (await timed(b.read))[0])
        seconds, (report, serialise) = await timed(b.export)
        note("export", seconds)
        note("serialise", serialise)
        note("pair", (await timed(lambda: b.report([PAIR])))[0])
        seconds, every = await timed(lambda: b.report(all_pairs))
        note("all_pairs", seconds)
    note("xlsx", (await timed(b.xlsx))[0])
    await b.engine.dispose()
    med = {k: statistics.median(v) for k, v in runs.items()}
    hidden = sum(c.value is None for t_ in report.crosstabs for row in t_.cells for c in row)
    out: dict[str, Any] = {
        "benchmark": "results_export",
        "database": database,
        "responses": args.responses,
        "items": ITEMS,
        "crosstab_tables": len(report.crosstabs),
        "suppressed_crosstab_cells": hidden,
        "seed_seconds": round(seed_s, 2),
    }
    if "copy" in med:
        out["baseline_copy_to_devnull_seconds"] = round(med["copy"], 3)
    out |= {
        "baseline_group_by_item_code_seconds": round(med["group_by"], 3),
        "suppressed_export_seconds": round(med["export"], 3),
        "export_read_seconds": round(med["read"], 3),
        "export_csv_json_seconds": round(med["serialise"], 3),
        "xlsx_with_charts_seconds": round(med["xlsx"], 3),
        "one_crosstab_any_pair_seconds": round(med["pair"], 3),
        "all_item_pairs_tables": len(every.crosstabs),
        "all_item_pairs_seconds": round(med["all_pairs"], 3),
    }
    if "copy" in med:
        out["ratio_vs_copy"] = round(med["export"] / med["copy"], 2)
    out["ratio_vs_group_by"] = round(med["export"] / med["group_by"], 2)
    out["targets"] = {"export_seconds_max": 2.0, "crosstab_seconds_max": 1.0, "ratio_max": 3.0}
    out["runs"] = args.repeat
    return out


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--responses", type=int)
    ap.add_argument("--repeat", type=int, default=3)
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
