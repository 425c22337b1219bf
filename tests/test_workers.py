"""CPU-heavy work runs in processes of its own at a lower priority (`base.workers`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from base.workers import LOWER_PRIORITY, Workers


def _scheduling() -> tuple[int, int]:
    return os.getpid(), os.nice(0)


def _die() -> None:
    os._exit(3)  # as the kernel's memory limit would end it


async def test_work_runs_in_another_process_at_a_lower_priority():
    workers = Workers(1)
    try:
        pid, niceness = await workers.run(_scheduling)
    finally:
        workers.close()
    assert pid != os.getpid()
    assert niceness >= os.nice(0) + LOWER_PRIORITY or niceness == 19


async def test_warm_starts_the_processes_before_any_work():
    workers = Workers(2)
    try:
        await workers.warm()
        assert workers._pool is not None
        assert len(workers._pool._processes) == 2
    finally:
        workers.close()


async def test_a_dead_process_fails_its_call_and_the_next_call_gets_a_fresh_one():
    workers = Workers(1)
    try:
        with pytest.raises(BrokenProcessPool):
            await workers.run(_die)
        pid, _ = await workers.run(_scheduling)
        assert pid != os.getpid()
    finally:
        workers.close()


class Recording:
    """`base.workers.files` as seen by a caller, noting what it was asked to run."""

    def __init__(self, real: Workers) -> None:
        self.real = real
        self.ran: list[str] = []

    async def run(self, fn, *args):  # type: ignore[no-untyped-def]
        self.ran.append(fn.__name__)
        return await self.real.run(fn, *args)


async def test_spreadsheets_and_counting_run_in_the_file_process(
    admin_api, monkeypatch: pytest.MonkeyPatch
):
    """Writing an XLSX (3 s for 10,000 offers; a results XLSX with its charts about 2 s) and
    counting a large wave (0.15-0.2 s) would stop every chat on the event loop: they run in
    the file process."""
    import offers.io
    import results.service
    import results.tables
    from base import workers
    from tests.test_admin_surveys import API, _people_wave

    recording = Recording(workers.files)
    monkeypatch.setattr(offers.io, "files", recording)
    monkeypatch.setattr(results.service, "files", recording)
    monkeypatch.setattr(results.tables, "files", recording)
    api = admin_api
    r = await api.client.get("/api/v1/offers/export?format=xlsx", headers=api.auth("gfs"))
    assert r.status_code == 200 and r.content.startswith(b"PK")
    wave = await _people_wave(api)
    r = await api.client.get(f"{API}/waves/{wave}/export?format=xlsx", headers=api.auth("gfs"))
    assert r.status_code == 200 and r.content.startswith(b"PK")
    assert recording.ran == ["write_table", "_count", "xlsx_with_charts"]


async def test_uploads_are_read_apart_from_the_results_work():
    """A hostile upload may keep its process busy for up to 20 s: the results pages and the
    exports have a process of their own."""
    from base.workers import files, uploads

    assert await uploads.run(os.getpid) != await files.run(os.getpid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_workers_end_when_their_server_ends_without_shutting_them_down():
    """Killed servers left their hashing and file processes behind (60 MB each, for ever)."""
    script = (
        "import asyncio, os\n"
        "from base.workers import Workers\n"
        "w = Workers(2)\n"
        "async def main():\n"
        "    await w.warm()\n"
        "    print(*[p.pid for p in w._pool._processes.values()], flush=True)\n"
        "asyncio.run(main())\n"
        "os._exit(0)  # no shutdown, as after SIGKILL\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)
