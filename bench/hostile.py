"""Benchmark: does the server stay responsive under hostile load?

Starts the real server (`wegweiser serve`, uvicorn) on localhost against a throwaway SQLite
(or, `--database postgresql`, PostgreSQL) database with 20 staff accounts, then measures
`/health` latency (sequential requests on one keep-alive connection) idle — the baseline,
measured in the same run — and while, in turn:

- `bomb`: decompression bombs (100 KiB that unpack to 100 MiB) are uploaded to the import,
  one after another (ten are read; the account's further imports that minute answer 429);
- `sheet`: an XLSX with 20,500 rows of numbers (real parsing work) is uploaded;
- `body_200mb`: a 200 MB body is sent to the login (declared, and streamed without length);
- `login_burst`: 20 logins at once (argon2 for each), over and over;
- `slow_clients`: connections that send part of their headers and then nothing, 100 more
  every 50 ms (about 10,000 in the phase; the server keeps at most its bound open).

The load comes from a thread pinned to one core at a low priority (see `attack`); the server
and the probe are not pinned. Prints JSON with p50/p99 per phase and the ratio of each p99 to
the idle p99 (target ≤ 2), and each phase's CPU steal: the share of CPU time a virtual
machine's host gave to other machines. Where it is above 5 %, the phase measured the
neighbours more than the server, so it is measured again (up to three attempts, counted in
`attempts`; the last one is reported).

    .venv/bin/python bench/hostile.py [--seconds S] [--database sqlite|postgresql]
                                      [--only bomb sheet body_200mb login_burst slow_clients]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from admin_api.security import create_token, hash_password  # noqa: E402
from bench.pg import admin, database_url  # noqa: E402
from store.db import make_engine, sessions  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Buendnis, StaffUser  # noqa: E402
from tests import hostile_files  # noqa: E402

PASSWORD = "bench-password-2027"
ACCOUNTS = 20
MIB = 1024 * 1024
SLOW = "127.0.0.99"  # the slow clients' address


async def seed(url: str) -> list[str]:
    """20 GfS accounts of one Bündnis; tokens of the first two (one per upload phase: each
    account may import 10 files a minute)."""
    engine = make_engine(url)
    factory = sessions(engine)
    hashed = hash_password(PASSWORD)
    async with factory() as s, s.begin():
        b = Buendnis(code="bench", name="Bench")
        s.add(b)
        await s.flush()
        users = [
            StaffUser(
                email=f"gfs{i}@bench.example", password_hash=hashed, role="gfs", buendnis_id=b.id
            )
            for i in range(ACCOUNTS)
        ]
        s.add_all(users)
        await s.flush()
        tokens = [(await create_token(s, user))[1] for user in users[:2]]
    await engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(folder: Path, port: int, url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEGWEISER_")}
    env |= {
        "WEGWEISER_INSTANCE_DIR": str(folder),
        "WEGWEISER_DATABASE_URL": url,
        "WEGWEISER_LOGIN_MAX_FAILURES": "100",
    }
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/wegweiser"), "serve", "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_up(base: str) -> None:
    for _ in range(300):
        try:
            async with httpx.AsyncClient() as c:
                if (await c.get(f"{base}/health")).status_code == 200:
                    return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


def probe(base: str, seconds: float, conn: Connection) -> None:
    """In a process of its own (the load generator must not delay it): /health one after
    another, 10 ms apart, for `seconds`; the latencies go back through `conn`."""
    samples: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as c:
        c.get("/health")  # connected
        # the probe's own collector would pause it for 20-40 ms (this process imported the
        # project to seed the database) and count that as the server's latency
        gc.collect()
        gc.disable()
        conn.send("ready")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t = time.perf_counter()
            r = c.get("/health")
            samples.append(time.perf_counter() - t)
            assert r.status_code == 200, r.status_code
            time.sleep(0.01)
    conn.send(samples)


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(p99 * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


Load = Callable[[httpx.AsyncClient], Awaitable[Any]]


def cpu_ticks() -> tuple[int, int] | None:
    """(steal, all) CPU ticks of the machine so far; None where /proc/stat is not."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def steal_pct(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of CPU time the hypervisor gave to other machines: a phase with much of it
    measured the host's neighbours more than the server."""
    if before is None or after is None or after[1] == before[1]:
        return None
    return round(100 * (after[0] - before[0]) / (after[1] - before[1]), 1)


STEAL_MAX = 5.0  # % of CPU time: above it a phase is measured again (at most ATTEMPTS times)
ATTEMPTS = 3


async def steady_phase(
    base: str, seconds: float, load: Load | None, source: str = "127.0.0.2"
) -> tuple[list[float], list[Any], float | None, int]:
    """`phase`, again while the host took more than STEAL_MAX of the CPU; the last attempt's
    figures and the number of attempts."""
    attempts = 1
    samples, results, steal = await phase(base, seconds, load, source)
    while steal is not None and steal > STEAL_MAX and attempts < ATTEMPTS:
        attempts += 1
        samples, results, steal = await phase(base, seconds, load, source)
    return samples, results, steal, attempts


async def phase(
    base: str, seconds: float, load: Load | None, source: str = "127.0.0.2"
) -> tuple[list[float], list[Any], float | None]:
    """/health latencies while `load` runs again and again for `seconds`; its results; the
    CPU steal meanwhile (%)."""
    mine, theirs = multiprocessing.Pipe()
    prober = multiprocessing.get_context("spawn").Process(
        target=probe, args=(base, seconds, theirs)
    )
    prober.start()
    assert await asyncio.to_thread(mine.recv) == "ready"
    ticks = cpu_ticks()
    results = await asyncio.to_thread(attack, base, seconds, load, source)
    samples: list[float] = await asyncio.to_thread(mine.recv)
    steal = steal_pct(ticks, cpu_ticks())
    prober.join()
    return samples, results, steal


def attack(base: str, seconds: float, load: Load | None, source: str) -> list[Any]:
    """The load, from a thread on one core at a low priority: a remote attacker's machine does
    not take the server's CPU, and a generator at full speed here would (it takes a whole core
    for the 200 MB bodies), so the figures would tell of the machine, not of the server. From
    an address of its own (`source`, on the loopback): the server paces each address, and one
    phase's attacker must not be held by the pace the previous one earned."""
    thread = threading.get_native_id()
    os.setpriority(os.PRIO_PROCESS, thread, 10)
    os.sched_setaffinity(thread, {max(os.sched_getaffinity(0))})

    async def go() -> list[Any]:
        results: list[Any] = []
        end = time.monotonic() + seconds
        transport = httpx.AsyncHTTPTransport(local_address=source)
        async with httpx.AsyncClient(base_url=base, timeout=120, transport=transport) as c:
            while time.monotonic() < end:
                if load is None:
                    await asyncio.sleep(0.05)
                else:
                    results.append(await load(c))
        return results

    return asyncio.run(go())


async def body_chunks(total: int) -> AsyncIterator[bytes]:
    chunk = b"x" * MIB
    for _ in range(total // MIB):
        yield chunk


def still_open(held: list[socket.socket]) -> int:
    """How many of `held` the server has not closed; closes them all."""
    count = 0
    for sock in held:
        sock.setblocking(False)
        try:
            count += sock.recv(1) != b""
        except BlockingIOError:
            count += 1
        except OSError:
            pass
        sock.close()
    held.clear()
    return count


async def run(seconds: float, database: str, only: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        name = f"wegweiser_hostile_{uuid.uuid4().hex[:8]}"
        if database == "postgresql":
            await admin(f'CREATE DATABASE "{name}"')
            url = database_url(name)
        else:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'wegweiser.db'}"
        try:
            await asyncio.to_thread(upgrade, url)
            tokens = await seed(url)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_server(Path(folder), port, url)
            try:
                await wait_up(base)
                return {"database": database} | await measure(base, tokens, seconds, only)
            finally:
                server.terminate()
                server.wait(timeout=30)
        finally:
            if database == "postgresql":
                await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def measure(base: str, tokens: list[str], seconds: float, only: list[str]) -> dict[str, Any]:
    bomb = hostile_files.decompression_bomb(100)
    sheet = hostile_files.many_rows()
    imports = "/api/v1/offers/import?format=xlsx"

    async def upload(data: bytes, token: str) -> Load:
        auth = {"Authorization": f"Bearer {token}"}

        async def go(c: httpx.AsyncClient) -> int | str:
            try:
                return (await c.post(imports, content=data, headers=auth)).status_code
            except httpx.TransportError:  # past the pace: 429 and closed mid-upload
                return "closed"

        return go

    async def big_body(c: httpx.AsyncClient) -> str:
        declared = {"content-length": str(200 * MIB), "content-type": "application/json"}
        statuses = []
        for headers in (declared, {"content-type": "application/json"}):
            try:
                r = await c.post(
                    "/api/v1/auth/login", content=body_chunks(200 * MIB), headers=headers
                )
                statuses.append(str(r.status_code))
            except httpx.TransportError:  # answered (413, or 429 past the pace) and closed
                statuses.append("closed")
        return "+".join(statuses)

    async def burst(c: httpx.AsyncClient) -> float:
        async def one(i: int) -> int:
            body = {"email": f"gfs{i}@bench.example", "password": PASSWORD}
            return (await c.post("/api/v1/auth/login", json=body)).status_code

        t = time.perf_counter()
        statuses = await asyncio.gather(*(one(i) for i in range(ACCOUNTS)))
        assert set(statuses) == {200}, statuses
        return round(time.perf_counter() - t, 3)

    port = int(base.rsplit(":", 1)[1])
    held: list[socket.socket] = []

    async def slow_clients(c: httpx.AsyncClient) -> int:
        for _ in range(100):
            sock = socket.create_connection(("127.0.0.1", port), source_address=(SLOW, 0))
            sock.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Le")
            held.append(sock)
        while len(held) > 12_000:  # the generator's own file descriptors
            held.pop(0).close()
        await asyncio.sleep(0.05)
        return len(held)

    await phase(base, 1.0, None)  # warm-up
    idle, _, idle_steal, idle_attempts = await steady_phase(base, seconds, None)
    loads: dict[str, Load] = {
        "bomb": await upload(bomb, tokens[0]),
        "sheet": await upload(sheet, tokens[1]),
        "body_200mb": big_body,
        "login_burst": burst,
        "slow_clients": slow_clients,
    }
    out: dict[str, Any] = {"benchmark": "hostile", "server": "uvicorn"}
    out["idle"] = summary(idle) | {"cpu_steal_pct": idle_steal, "attempts": idle_attempts}
    base_p99 = out["idle"]["p99_ms"]
    for number, (name, load) in enumerate(loads.items()):
        if only and name not in only:
            continue
        source = SLOW if name == "slow_clients" else f"127.0.0.{10 + number}"
        samples, results, steal, attempts = await steady_phase(base, seconds, load, source)
        row: dict[str, Any] = summary(samples)
        row["ratio_p99_vs_idle"] = round(row["p99_ms"] / base_p99, 2)
        row["cpu_steal_pct"] = steal
        row["attempts"] = attempts
        row["loads_run"] = len(results)
        if name == "login_burst":
            row["burst_seconds_median"] = statistics.median(results)
        elif name == "slow_clients":
            row["connections_opened"] = len(results) * 100
            row["still_open_at_end"] = still_open(held)
        else:
            row["answers"] = sorted(set(results), key=str)
        out[name] = row
    out["bomb_bytes"] = len(bomb)
    out["sheet_bytes"] = len(sheet)
    out["target_ratio_p99_max"] = 2.0
    out["seconds_per_phase"] = seconds
    out["cores"] = os.cpu_count()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    # ~950 probes a phase; in 5 s (~300) the p99 was the 3rd-slowest sample, which a single
    # stall of this shared machine's other services could set
    ap.add_argument("--seconds", type=float, default=15.0, help="per phase (default 15)")
    ap.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--only", nargs="*", default=[], help="phases to run (all by default)")
    args = ap.parse_args()
    print(json.dumps(asyncio.run(run(args.seconds, args.database, args.only)), indent=2))


if __name__ == "__main__":
    main()
