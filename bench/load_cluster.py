"""The production shape on one machine: Telegram (emulated) → reverse proxy → two
`wegweiser serve` workers in webhook mode → (fault proxy) → one PostgreSQL database.

A throwaway database is created, migrated, loaded with the demo Bündnis plus an Erstberatung
entry point and an open survey wave, and dropped at the end. Workers are real processes, so
`kill(i)` is a real SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench.faults import TcpProxy  # noqa: E402
from bench.pg import PG, admin, database_url  # noqa: E402
from store.db import make_engine, sessions  # noqa: E402
from store.demo import load_demo  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Buendnis, EntryPoint  # noqa: E402
from tests.tg_emulator import TelegramEmulator  # noqa: E402

SECRET = "load-webhook-secret"
INTAKE_CODE = "load-intake"
SURVEY_CODE = "load-survey"
SHOWN = ("sendmessage", "editmessagetext", "editmessagereplymarkup")


class LoadEmulator(TelegramEmulator):
    """The emulator, delivering webhook updates the way Telegram does under load: up to
    `max_connections` at a time, one at a time per chat, retried until the bot answers 2xx.
    Each chat gets an event that fires whenever the bot shows something in it."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.shown: dict[int, asyncio.Event] = {}
        self.first_shown: dict[int, float] = {}  # chat → time of the bot's latest call

    def watch(self, chat_id: int) -> asyncio.Event:
        return self.shown.setdefault(chat_id, asyncio.Event())

    async def execute(self, method: str, params: dict[str, Any]) -> Any:
        result = await super().execute(method, params)
        if method.lower() in SHOWN:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                chat_id = int(params["chat_id"])
                self.first_shown[chat_id] = time.monotonic()
                self.watch(chat_id).set()
        return result

    def latest(self, chat_id: int) -> dict[str, Any] | None:
        """The bot's latest visible message in a chat (the emulator's own record)."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return None
        for record in reversed(chat.messages.values()):
            if record["from_bot"] and not record["deleted"]:
                return record
        return None

    async def _webhook_loop(self) -> None:
        busy: set[int] = set()
        running: set[asyncio.Task[None]] = set()
        while not self._closing:
            event = self._changed
            hook = self._webhook
            picked = None
            if hook is not None and len(running) < hook.max_connections:
                picked = next((u for u in self._pending if _chat_of(u) not in busy), None)
            if picked is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), 0.2)
                continue
            self._pending.remove(picked)
            busy.add(_chat_of(picked))
            task = asyncio.create_task(self._deliver_one(hook, picked, busy))
            running.add(task)
            task.add_done_callback(running.discard)
        for task in running:
            task.cancel()

    async def _deliver_one(self, hook: Any, update: dict[str, Any], busy: set[int]) -> None:
        try:
            outcome = await self._deliver(hook, update)
            if outcome is None:
                self._pending.insert(0, update)
            elif not outcome:
                self.webhook_failed.append(update["update_id"])
        finally:
            busy.discard(_chat_of(update))
            self._notify()


def _chat_of(update: dict[str, Any]) -> int:
    for value in update.values():
        if isinstance(value, dict):
            chat = (value.get("chat") or (value.get("message") or {}).get("chat")) or {}
            if "id" in chat:
                return int(chat["id"])
            if "from" in value:
                return int(value["from"]["id"])
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare(url: str) -> None:
    """Migrate, load the demo Bündnis, add an Erstberatung entry point and an open wave."""
    from base.settings import load_settings
    from surveys import waves
    from wegweiser.services import build

    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    factory = sessions(engine)
    await load_demo(factory)
    with tempfile.TemporaryDirectory() as tmp:
        services = build(
            load_settings(database_url=url, instance_dir=Path(tmp), secret_key="x" * 40)
        )
        flows = services.flows
        await services.close()
    async with factory() as s, s.begin():
        from sqlalchemy import select

        buendnis = await s.scalar(select(Buendnis).where(Buendnis.code == "demo-kreis"))
        assert buendnis is not None
        s.add(
            EntryPoint(
                code=INTAKE_CODE, buendnis_id=buendnis.id, source="Last", flow_id="erstberatung"
            )
        )
        wave = await waves.create(
            s, buendnis.id, flows["befragung-lebenslage"], "Last", SURVEY_CODE
        )
        await waves.set_status(s, wave.id, "open", flows)
    await engine.dispose()


class Cluster:
    """Start with `async with Cluster(workers=2) as c:`; `c.url` is the direct database URL."""

    def __init__(self, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.name = f"wegweiser_load_{uuid.uuid4().hex[:8]}"
        self.url = database_url(self.name)
        self.n = workers
        self.extra_env = env or {}
        self.ports = [free_port() for _ in range(workers)]
        self.procs: list[asyncio.subprocess.Process | None] = [None] * workers
        self.kills = 0
        self.logdir = Path(tempfile.mkdtemp(prefix="wegweiser-load-"))
        self.tg = LoadEmulator(
            webhook_max_attempts=600, webhook_retry_delay=0.5, webhook_timeout=30
        )
        pg_host, pg_port = _host_port(PG)
        self.db_proxy = TcpProxy([(pg_host, pg_port)])
        self.balancer = TcpProxy([("127.0.0.1", p) for p in self.ports])

    async def __aenter__(self) -> Cluster:
        await admin(f'CREATE DATABASE "{self.name}"')
        try:
            await prepare(self.url)
            await self.tg.start()
            await self.db_proxy.start()
            await self.balancer.start()
            for i in range(self.n):
                await self.start_worker(i)
            await self.tg.wait_until(lambda: bool(self.tg.webhook_url), 30, "the webhook")
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        for i in range(self.n):
            await self.stop_worker(i)
        await self.balancer.stop()
        await self.db_proxy.stop()
        await self.tg.stop()
        await admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def env(self, port: int) -> dict[str, str]:
        proxied = self.url.replace(_netloc(PG), f"127.0.0.1:{self.db_proxy.port}")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEGWEISER_")}
        env.update(
            WEGWEISER_DATABASE_URL=proxied,
            WEGWEISER_SECRET_KEY="s" * 40,
            WEGWEISER_INSTANCE_DIR=str(self.logdir),
            WEGWEISER_PORT=str(port),
            TELEGRAM_BOT_TOKEN=self.tg.token,
            WEGWEISER_TELEGRAM_API_BASE=self.tg.base_url,
            WEGWEISER_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{self.balancer.port}/telegram/webhook",
            WEGWEISER_TELEGRAM_WEBHOOK_SECRET=SECRET,
            WEGWEISER_DEFAULT_FLOW="erstberatung",
            **self.extra_env,
        )
        return env

    async def start_worker(self, i: int) -> None:
        port = self.ports[i]
        log = (self.logdir / f"worker{i}.log").open("ab")
        self.procs[i] = await asyncio.create_subprocess_exec(
            str(ROOT / ".venv" / "bin" / "wegweiser"),
            "serve",
            env=self.env(port),
            stdout=log,
            stderr=log,
            cwd=self.logdir,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            proc = self.procs[i]
            if proc is not None and proc.returncode is not None:
                raise RuntimeError(f"worker {i} exited: see {self.logdir}/worker{i}.log")
            with contextlib.suppress(OSError):
                _r, w = await asyncio.open_connection("127.0.0.1", port)
                w.close()
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"worker {i} did not listen within 60 s")

    async def kill(self, i: int) -> None:
        """SIGKILL: no shutdown handlers, claims and open transactions are left as they are."""
        proc = self.procs[i]
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            self.kills += 1

    async def stop_worker(self, i: int) -> None:
        proc = self.procs[i]
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _netloc(url: str) -> str:
    return url.split("@", 1)[1].split("/", 1)[0]


def _host_port(url: str) -> tuple[str, int]:
    host, _, port = _netloc(url).partition(":")
    return host, int(port or 5432)
