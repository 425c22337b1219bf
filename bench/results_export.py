"""Benchmark: full suppressed cross-tab export vs. a raw SQL GROUP BY over the same data.

100,000 responses × 20 items on PostgreSQL (a throwaway database). Prints JSON with the
timings (median of several runs) measured in the same run: the raw GROUP BY queries (one per
cross-tab variable, and the single-pass GROUPING SETS query), the full suppressed export
(aggregation, suppression of every table, CSV and JSON), and the ratios.

    .venv/bin/python bench/results_export.py [--responses N] [--repeat R]
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

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pg import admin, database_url
from dialogs.loader import load_flow
from results.export import to_csv, to_json
from results.tables import Codebook, build_report
from store.db import make_engine, sessions
from store.demo import load_demo
from store.migrate import upgrade

FLOW = Path(__file__).resolve().parent.parent / "dialogs" / "flows" / "befragung-lebenslage.yaml"
BY = ("1.2", "1.1", "gemeinde", "1.3")
# Answer rows have random text ids (migration 0007), like the app's own writes.
ANSWER_ID = "md5(random()::text || clock_timestamp()::text)"


def items_for(flow) -> list[tuple[str, str, list[str]]]:
    """20 coded items: (id, kind, codes); numbers get 0..4."""
    chosen = []
    for it in flow.items:
        if it.kind in ("single", "multi", "yesno") and it.id != "einladung":
            chosen.append((it.id, it.kind, [c.code for c in it.choices]))
        elif it.kind == "number":
            chosen.append((it.id, "number", ["0", "1", "2", "3", "4"]))
    return chosen[:19]


async def seed(url: str, n: int, flow) -> int:
    engine = make_engine(url)
    factory = sessions(engine)
    await load_demo(factory)
    async with engine.begin() as conn:
        b = (await conn.execute(text("SELECT id FROM buendnis WHERE code='demo-kreis'"))).scalar()
        wave = (
            await conn.execute(
                text(
                    "INSERT INTO survey_wave (buendnis_id, flow_id, flow_version, title, status) "
                    "VALUES (:b, :f, :v, 'Bench', 'open') RETURNING id"
                ),
                {"b": b, "f": flow.id, "v": flow.version},
            )
        ).scalar()
        await conn.execute(
            text(
                "INSERT INTO survey_response "
                "(id, wave_id, buendnis_id, flow_id, flow_version, submitted_on) "
                "SELECT md5(random()::text || g::text), :w, :b, :f, :v, current_date "
                "FROM generate_series(1, :n) g"
            ),
            {"w": wave, "b": b, "f": flow.id, "v": flow.version, "n": n},
        )
        gem = [
            r[0]
            for r in (
                await conn.execute(text("SELECT id FROM gemeinde WHERE buendnis_id=:b"), {"b": b})
            )
        ]
        items = items_for(flow)
        for item_id, kind, codes in items:
            arr = "ARRAY[" + ",".join(f"'{c}'" for c in codes) + "]"
            if kind == "number":
                await conn.execute(
                    text(
                        "INSERT INTO survey_answer (id, response_id, item_id, number) "
                        f"SELECT {ANSWER_ID}, id, :i, "
                        "floor(random()*5) FROM survey_response WHERE wave_id=:w"
                    ),
                    {"i": item_id, "w": wave},
                )
            elif kind == "multi":
                # every code independently with probability 0.3
                await conn.execute(
                    text(
                        "INSERT INTO survey_answer (id, response_id, item_id, code) "
                        f"SELECT {ANSWER_ID}, r.id, :i, c "
                        f"FROM survey_response r CROSS JOIN unnest({arr}) c "
                        f"WHERE r.wave_id=:w AND random() < 0.3"
                    ),
                    {"i": item_id, "w": wave},
                )
            else:
                # skewed: some categories rare, 5 % skipped
                await conn.execute(
                    text(
                        "INSERT INTO survey_answer (id, response_id, item_id, code) "
                        f"SELECT {ANSWER_ID}, id, :i, "
                        f"CASE WHEN random() < 0.05 THEN NULL ELSE "
                        f"({arr})[1 + floor(power(random(), 2) * {len(codes)})::int] END "
                        f"FROM survey_response WHERE wave_id=:w"
                    ),
                    {"i": item_id, "w": wave},
                )
        garr = "ARRAY[" + ",".join(f"'g{g}'" for g in gem) + "]"
        await conn.execute(
            text(
                "INSERT INTO survey_answer (id, response_id, item_id, code) "
                f"SELECT {ANSWER_ID}, id, 'gemeinde', "
                f"({garr})[1 + floor(power(random(), 3) * {len(gem)})::int] "
                f"FROM survey_response WHERE wave_id=:w"
            ),
            {"w": wave},
        )
    async with engine.begin() as conn:  # committed, or the statistics roll back
        await conn.execute(text("ANALYZE"))
    await engine.dispose()
    return wave


RAW = """
SELECT a.item_id, b.code, a.code, a.number, count(*)
FROM survey_answer a JOIN survey_response r ON r.id = a.response_id
LEFT JOIN survey_answer b ON b.response_id = a.response_id AND b.item_id = :by
WHERE r.wave_id = :w AND a.item_id != :by
GROUP BY a.item_id, b.code, a.code, a.number
"""
RAW_FREQ = """
SELECT a.item_id, a.code, a.number, count(*)
FROM survey_answer a JOIN survey_response r ON r.id = a.response_id
WHERE r.wave_id = :w GROUP BY a.item_id, a.code, a.number
"""


RAW_SINGLE_PASS = """
WITH p AS (
  SELECT x.response_id,
    max(x.code) FILTER (WHERE x.item_id = '1.2') AS b0,
    max(x.code) FILTER (WHERE x.item_id = '1.1') AS b1,
    max(x.code) FILTER (WHERE x.item_id = 'gemeinde') AS b2,
    max(x.code) FILTER (WHERE x.item_id = '1.3') AS b3
  FROM survey_answer x JOIN survey_response rx ON rx.id = x.response_id
  WHERE rx.wave_id = :w AND x.item_id IN ('1.2', '1.1', 'gemeinde', '1.3')
  GROUP BY x.response_id)
SELECT a.item_id, a.code, a.number, p.b0, p.b1, p.b2, p.b3, count(*)
FROM survey_answer a JOIN survey_response r ON r.id = a.response_id
LEFT JOIN p ON p.response_id = a.response_id
WHERE r.wave_id = :w
GROUP BY GROUPING SETS ((a.item_id, a.code, a.number), (a.item_id, a.code, a.number, p.b0),
  (a.item_id, a.code, a.number, p.b1), (a.item_id, a.code, a.number, p.b2),
  (a.item_id, a.code, a.number, p.b3))
"""


async def timed_single_pass(url: str, wave: int) -> float:
    engine = make_engine(url)
    t = time.perf_counter()
    async with engine.connect() as conn:
        (await conn.execute(text(RAW_SINGLE_PASS), {"w": wave})).all()
    elapsed = time.perf_counter() - t
    await engine.dispose()
    return elapsed


async def timed_raw(url: str, wave: int) -> float:
    engine = make_engine(url)
    t = time.perf_counter()
    async with engine.connect() as conn:
        await conn.execute(text(RAW_FREQ), {"w": wave})
        for by in BY:
            (await conn.execute(text(RAW), {"w": wave, "by": by})).all()
    elapsed = time.perf_counter() - t
    await engine.dispose()
    return elapsed


async def timed_export(url: str, wave: int, flow) -> tuple[float, int, int]:
    engine = make_engine(url)
    factory = sessions(engine)
    t = time.perf_counter()
    async with factory() as s:
        report = await build_report(s, wave, Codebook.from_flow(flow))
    exported = to_csv(report, []) + to_json(report, [])
    elapsed = time.perf_counter() - t
    await engine.dispose()
    hidden = sum(c.value is None for t_ in report.crosstabs for row in t_.cells for c in row)
    assert exported, "empty export"
    return elapsed, len(report.crosstabs), hidden


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    flow = load_flow(FLOW)
    name = f"wegweiser_bench_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    try:
        await asyncio.to_thread(upgrade, url)
        t = time.perf_counter()
        wave = await seed(url, args.responses, flow)
        seed_s = time.perf_counter() - t
        raw, single, export = [], [], []
        tables = hidden = 0
        for _ in range(args.repeat):
            raw.append(await timed_raw(url, wave))
            single.append(await timed_single_pass(url, wave))
            e, tables, hidden = await timed_export(url, wave, flow)
            export.append(e)
        raw_s, export_s = statistics.median(raw), statistics.median(export)
        single_s = statistics.median(single)
        print(
            json.dumps(
                {
                    "benchmark": "results_export",
                    "database": "postgresql",
                    "responses": args.responses,
                    "items": len(items_for(flow)) + 1,
                    "crosstab_tables": tables,
                    "suppressed_crosstab_cells": hidden,
                    "seed_seconds": round(seed_s, 2),
                    "baseline_raw_group_by_seconds": round(raw_s, 3),
                    "baseline_raw_single_pass_grouping_sets_seconds": round(single_s, 3),
                    "suppressed_export_seconds": round(export_s, 3),
                    "ratio": round(export_s / raw_s, 2),
                    "ratio_vs_single_pass": round(export_s / single_s, 2),
                    "targets": {"ratio_max": 2.0, "export_seconds_max": 5.0},
                    "runs": args.repeat,
                },
                indent=2,
            )
        )
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
