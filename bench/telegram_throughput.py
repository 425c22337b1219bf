"""Updates per second through the real aiogram Dispatcher → runtime → PostgreSQL → outbox,
against a bare aiogram handler that only answers (the framework's ceiling), in one run.

    .venv/bin/python bench/telegram_throughput.py [--updates 3000] [--users 300] [--concurrency 64]

Needs PostgreSQL (TEST_POSTGRES_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres);
a throwaway database is created and dropped. Updates are fed with `Dispatcher.feed_update`,
as the webhook route does, `--concurrency` at a time. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Dispatcher
from aiogram.types import Message, Update
from sqlalchemy import func, select, text
from sqlalchemy.event import listen

from base.settings import load_settings
from bench.pg import admin, database_url
from bot.telegram.adapter import TelegramChannel, make_bot
from dialogs.safety import detector
from store.migrate import upgrade
from store.models import OutboxMessage
from wegweiser.services import build

TOKEN = "123456789:AAHbenchmark-token_0123456789abcdefgh"


def updates(n: int, users: int, first_id: int, bot: Any) -> list[Update]:
    """Per user: /start, then typed answers (ages, words) — like people answering a survey."""
    out = []
    texts = ["/start", "22", "unterkunft", "ja", "Wohnen", "/help", "hallo", "30"]
    for i in range(n):
        user = 10_000 + i % users
        body = texts[(i // users) % len(texts)]
        raw: dict[str, Any] = {
            "update_id": first_id + i,
            "message": {
                "message_id": i + 1,
                "date": 1_700_000_000,
                "chat": {"id": user, "type": "private", "first_name": "B"},
                "from": {"id": user, "is_bot": False, "first_name": "B", "language_code": "de"},
                "text": body,
            },
        }
        if body.startswith("/"):
            raw["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(body)}]
        out.append(Update.model_validate(raw, context={"bot": bot}))
    return out


async def drive(dp: Dispatcher, bot: Any, batch: list[Update], concurrency: int) -> dict:
    latencies: list[float] = []
    failed = 0
    queue: asyncio.Queue[Update] = asyncio.Queue()
    for u in batch:
        queue.put_nowait(u)

    async def worker() -> None:
        nonlocal failed
        while not queue.empty():
            update = queue.get_nowait()
            t0 = time.perf_counter()
            try:
                await dp.feed_update(bot, update)
            except Exception:
                failed += 1
            latencies.append(time.perf_counter() - t0)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    latencies.sort()
    return {
        "updates": len(batch),
        "failed": failed,
        "seconds": round(elapsed, 3),
        "updates_per_s": round(len(batch) / elapsed, 1),
        # this process only (PostgreSQL's own work is in its processes)
        "cpu_ms_per_update": round(cpu / len(batch) * 1000, 3),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def count_into(statements: Counter[str]) -> Any:
    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements[statement.split(None, 1)[0].upper()] += 1

    return count


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--updates", type=int, default=3000)
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=16)  # ≈ the connection pool (5 + 10)
    ap.add_argument(
        "--synchronous-commit",
        choices=("on", "off"),
        default="on",
        help="off: on the throwaway database only, to show how much the WAL flush costs",
    )
    args = ap.parse_args()

    name = f"wegweiser_bench_{uuid.uuid4().hex[:8]}"
    url = database_url(name)
    await admin(f'CREATE DATABASE "{name}"')
    await admin(f'ALTER DATABASE "{name}" SET synchronous_commit = {args.synchronous_commit}')
    try:
        await asyncio.to_thread(upgrade, url)
        with tempfile.TemporaryDirectory() as tmp:
            cfg = load_settings(database_url=url, instance_dir=Path(tmp), secret_key="b" * 40)
            services = build(cfg)
            bot = make_bot(TOKEN, "http://127.0.0.1:9")  # never called: text-only updates

            # baseline: a bare handler that only answers (returns the method, no network)
            bare = Dispatcher()

            @bare.message()
            async def answer(message: Message) -> Any:
                return message.answer("ok")

            base = await drive(
                bare, bot, updates(args.updates, args.users, 1, bot), args.concurrency
            )

            async with services.engine.connect() as conn:
                trips = []
                for _ in range(50):
                    t0 = time.perf_counter()
                    await conn.execute(text("SELECT 1"))
                    trips.append(time.perf_counter() - t0)
            roundtrip_ms = round(statistics.median(trips) * 1000, 3)
            channel = TelegramChannel(services.runtime, bot, reraise=True)
            detector()  # as `serve` does before it takes updates
            warm = updates(args.users, args.users, 10_000_000, bot)
            await drive(channel.dp, bot, warm, args.concurrency)  # pools, caches, first rows
            statements = Counter()
            listen(services.engine.sync_engine, "before_cursor_execute", count_into(statements))
            ours = await drive(
                channel.dp,
                bot,
                updates(args.updates, args.users, 20_000_000, bot),
                args.concurrency,
            )
            ours["statements_per_update"] = round(sum(statements.values()) / args.updates, 2)
            async with services.sessions() as s:
                queued = await s.scalar(select(func.count()).select_from(OutboxMessage))
            await bot.session.close()
            await services.close()
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result = {
        "benchmark": "telegram_throughput",
        "database": "postgresql",
        "synchronous_commit": args.synchronous_commit,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "concurrency": args.concurrency,
        "users": args.users,
        "db_roundtrip_ms_p50": roundtrip_ms,
        "wegweiser": ours,
        "baseline_bare_aiogram": base,
        "ratio_to_baseline": round(ours["updates_per_s"] / base["updates_per_s"], 4),
        "outbox_rows_written": queued,
        "targets": {"updates_per_s": 400, "cpu_ms_per_update": 2.0},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
