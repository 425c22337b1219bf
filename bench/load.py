"""Load, crash safety and database outage, in the production shape (see docs/reliability.md).

    .venv/bin/python bench/load.py [--people 1000] [--seconds 300] [--kills 3] [--outage 10]

Simulated people (bench/load_people.py) run the Erstberatung and the survey at the same time
through the Telegram emulator → reverse proxy → two `wegweiser serve` workers (webhook) →
PostgreSQL (bench/load_cluster.py). `--kills N` sends SIGKILL to a random worker at random
moments and restarts it; `--outage S` makes PostgreSQL unreachable for S seconds through a TCP
proxy (`--outage-mode pg-stop` stops the local server instead: root only, own machine only).
Afterwards bench/load_checks.py checks the database and the transcripts. Prints one JSON
object; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Dispatcher
from aiogram.types import Message

from bench import load_checks
from bench.faults import start_postgres, stop_postgres
from bench.load_cluster import Cluster
from bench.load_people import Outcome, Person, personas
from bench.telegram_throughput import TOKEN, drive, updates
from bot.telegram.adapter import make_bot

REPLY_TIMEOUT = 90.0  # a person gives up waiting after this (longer than any outage)


async def baseline(n: int = 3000) -> dict[str, Any]:
    """The framework's ceiling on this machine now: a bare aiogram handler that only answers."""
    bot = make_bot(TOKEN, "http://127.0.0.1:9")
    bare = Dispatcher()

    @bare.message()
    async def answer(message: Message) -> Any:
        return message.answer("ok")

    try:
        return await drive(bare, bot, updates(n, 300, 1, bot), 16)
    finally:
        await bot.session.close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))] * 1000, 1)


async def chaos(
    c: Cluster,
    args: argparse.Namespace,
    start: float,
    progress: Callable[[], float],
    log: dict[str, Any],
) -> None:
    """Kills when the people have done a random 10–60 % of their updates, the outage at 35 %:
    tied to the work done, not to the clock, so every fault lands while people are talking
    however fast or slow the machine is."""
    rnd = random.Random(args.seed)
    events: list[tuple[float, str]] = [(rnd.uniform(0.1, 0.6), "kill") for _ in range(args.kills)]
    if args.outage:
        events.append((0.35, "outage"))
    for share, what in sorted(events):
        while progress() < share:  # noqa: ASYNC110 (the emulator has no "n updates done" event)
            await asyncio.sleep(0.05)
        if what == "kill":
            victim = rnd.randrange(c.n)
            await c.kill(victim)
            log["kills"].append(
                {
                    "at_s": round(time.monotonic() - start, 1),
                    "at_share": round(progress(), 2),
                    "worker": victim,
                }
            )
            await asyncio.sleep(rnd.uniform(0.5, 3.0))
            await c.start_worker(victim)
        else:
            t0 = time.monotonic()
            if args.outage_mode == "pg-stop":
                await asyncio.to_thread(stop_postgres)
                await asyncio.sleep(args.outage)
                await asyncio.to_thread(start_postgres)
                down, up = t0, time.monotonic()
            else:
                down, up = await c.db_proxy.outage(args.outage)
            log["outage"] = {
                "at_s": round(down - start, 1),
                "seconds": round(up - down, 1),
                "up": up,
            }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    base = await baseline()
    env = {
        "WEGWEISER_FLOOD_MAX_UPDATES": "10000",  # people here answer faster than any human
        "WEGWEISER_TELEGRAM_GLOBAL_RATE": str(args.global_rate),
    }
    async with Cluster(workers=2, env=env) as c:
        kinds = personas()
        far = time.monotonic() + 300
        refs = await asyncio.gather(
            *(Person(c.tg, 1 + i, p, None).run(REPLY_TIMEOUT, far) for i, p in enumerate(kinds))
        )
        reference = {p: r for p, r in zip(kinds, refs, strict=True)}
        if any(not r.finished or r.errors for r in refs):
            raise RuntimeError(f"reference run failed: {[r.errors for r in refs]}")
        ref_end = {p: c.tg.latest(1 + i)["text"] for i, p in enumerate(kinds)}  # type: ignore[index]

        first_update = len(c.tg.webhook_attempts)
        log: dict[str, Any] = {"kills": [], "outage": None}
        start = time.monotonic()
        deadline = start + args.seconds
        people: list[tuple[int, Any, Person]] = []
        for i in range(args.people):
            persona = kinds[i % len(kinds)]
            person = Person(c.tg, 100_000 + i, persona, reference[persona].questions)
            person.reference_end = ref_end[persona]
            people.append((100_000 + i, persona, person))

        async def one(k: int, person: Person) -> Outcome:
            await asyncio.sleep(k * args.ramp / max(1, args.people))  # people arrive over time
            return await person.run(REPLY_TIMEOUT, deadline)

        # updates the people will send: /start and one answer per question of their path
        expected = sum(len(reference[p].questions) + 1 for _u, p, _x in people)

        def progress() -> float:
            done = sum(1 for a in c.tg.webhook_attempts[first_update:] if a.status == 200)
            return done / expected

        chaos_task = asyncio.create_task(chaos(c, args, start, progress, log))
        outs = await asyncio.gather(*(one(k, p) for k, (_u, _p, p) in enumerate(people)))
        elapsed = time.monotonic() - start
        chaos_task.cancel()
        await asyncio.gather(chaos_task, return_exceptions=True)
        await c.tg.wait_until(lambda: not c.tg._pending, 120, "the update queue to empty")
        left, drain_s = await load_checks.wait_drained(c.url, 180)
        for i in range(c.n):  # stopping writes what the holding area kept back
            await c.stop_worker(i)

        recovery = None
        if log["outage"]:
            up = log["outage"].pop("up")
            after = [
                call.timestamp
                for call in c.tg.calls
                if call.timestamp > up and call.method == "sendMessage"
            ]
            recovery = round(min(after) - up, 2) if after else None
        groups = [
            (1 + i, [u for u, p, person in people if p == persona and person.out.finished])
            for i, persona in enumerate(kinds)
        ]
        db = await load_checks.database(c.url, groups)
        db["outbox_left"] = left
        tx = load_checks.transcripts(c.tg, [u for u, _p, _x in people])
        delivered = [a for a in c.tg.webhook_attempts[first_update:] if a.status == 200]
        latencies = [x for o in outs for x in o.latencies]
        summary = {
            "people": args.people,
            "finished": sum(o.finished for o in outs),
            "survey_finished": sum(
                o.finished
                for (_u, p, _x), o in zip(people, outs, strict=True)
                if p.flow == "survey"
            ),
            "intake_finished": sum(
                o.finished
                for (_u, p, _x), o in zip(people, outs, strict=True)
                if p.flow == "intake"
            ),
            "stopped_by_time_bound": sum(not o.finished and not o.errors for o in outs),
            "no_reply_errors": sum(any("no reply" in e for e in o.errors) for o in outs),
            "wrong_question": sum(any(e.startswith("question") for e in o.errors) for o in outs),
            "question_shown_again": sum(o.repeats for o in outs),
        }
        errors_sample = [e for o in outs for e in o.errors][:5]
        result = {
            "benchmark": "load",
            "database": "postgresql (throwaway database, via the fault proxy)",
            "workers": c.n,
            "mode": "webhook behind a round-robin reverse proxy",
            "cpus": os.cpu_count(),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "seconds_bound": args.seconds,
            "seconds": round(elapsed, 1),
            "people": summary,
            "updates": len(delivered),
            "updates_per_s": round(len(delivered) / elapsed, 1),
            "reply_latency_ms": {
                "p50": pct(latencies, 0.50),
                "p95": pct(latencies, 0.95),
                "p99": pct(latencies, 0.99),
                "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else 0.0,
            },
            "baseline_bare_aiogram": base,
            "ratio_to_baseline": round(len(delivered) / elapsed / base["updates_per_s"], 4),
            "paths": [
                {
                    "flow": p.flow,
                    "language": p.language,
                    "referral": p.refer,
                    "questions": len(reference[p].questions),
                    "ends_with": ref_end[p][:60],
                    "finished": len(users),
                }
                for p, (_ref, users) in zip(kinds, groups, strict=True)
            ],
            "kills": log["kills"],
            "outage": log["outage"]
            and {**log["outage"], "mode": args.outage_mode, "recovery_s": recovery},
            "db_proxy_connections_cut": c.db_proxy.refused,
            "outbox_drain_s": drain_s,
            "database_checks": db,
            "transcripts": tx,
            "at_least_once_window_s": load_checks.AT_LEAST_ONCE_WINDOW_S,
            "errors_sample": errors_sample,
        }
        result["failures"] = load_checks.failures(db, tx, summary)
        if len(log["kills"]) < args.kills or (args.outage and not log["outage"]):
            result["failures"].append("not every fault was injected before the people finished")
        crashed = [
            i for i, proc in enumerate(c.procs) if proc is None or proc.returncode is not None
        ]
        if crashed:  # only our SIGKILLs may end a worker, and each was restarted
            result["failures"].append(f"workers not running at the end: {crashed}")
        result["worker_logs"] = str(c.logdir)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=300, help="bound on the load phase")
    ap.add_argument("--ramp", type=float, default=20, help="seconds over which people arrive")
    ap.add_argument("--kills", type=int, default=0)
    ap.add_argument("--outage", type=float, default=0, help="seconds PostgreSQL is unreachable")
    ap.add_argument("--outage-mode", choices=("proxy", "pg-stop"), default="proxy")
    ap.add_argument("--global-rate", type=float, default=500, help="Telegram calls/s per worker")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.outage_mode == "pg-stop" and os.geteuid() != 0:
        ap.error("--outage-mode pg-stop stops the PostgreSQL server: only as root")
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    sys.exit(1 if result["failures"] else 0)


if __name__ == "__main__":
    main()
