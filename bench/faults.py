"""Fault injection between processes: a TCP proxy that can go down and come back.

`TcpProxy` forwards each connection to one of its upstreams (round robin; an upstream that
refuses is skipped). Two uses in the load run:

* in front of PostgreSQL: `down()` cuts every open connection and refuses new ones, so the
  workers see the database vanish — without stopping the server other people share;
* in front of the `serve` workers: the reverse proxy that spreads webhook calls, as Caddy or
  nginx would in production.

`stop_postgres` / `start_postgres` really stop the local server (`--outage pg-stop`); only
for a machine of your own, run as root.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import time


class TcpProxy:
    def __init__(self, upstreams: list[tuple[str, int]], host: str = "127.0.0.1") -> None:
        self.upstreams = upstreams
        self.host = host
        self.port = 0
        self.is_down = False
        self.refused = 0  # connections refused or cut while down
        self.connections = 0
        self._next = itertools.cycle(range(len(upstreams)))
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._cut_all()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def down(self) -> None:
        """From now on: every open connection is cut, new ones are closed at once."""
        self.is_down = True
        self._cut_all()

    def up(self) -> None:
        self.is_down = False

    async def outage(self, seconds: float) -> tuple[float, float]:
        """Down for `seconds`; returns (start, end) in `time.monotonic()`."""
        start = time.monotonic()
        self.down()
        await asyncio.sleep(seconds)
        self.up()
        return start, time.monotonic()

    def _cut_all(self) -> None:
        for writer in list(self._open):
            self.refused += 1
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._open.clear()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for _ in range(len(self.upstreams)):
            host, port = self.upstreams[next(self._next)]
            try:
                return await asyncio.open_connection(host, port)
            except OSError:
                continue  # that worker is down (killed, restarting): try the next
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.is_down:
            self.refused += 1
            writer.transport.abort()
            return
        upstream = await self._connect()
        if upstream is None or self.is_down:
            writer.transport.abort()
            if upstream is not None:
                upstream[1].transport.abort()
            return
        self.connections += 1
        up_reader, up_writer = upstream
        self._open.update((writer, up_writer))
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._open.discard(w)
                w.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.transport.abort()


def stop_postgres() -> None:
    subprocess.run(["pg_ctlcluster", "--force", *_cluster(), "stop"], check=True)


def start_postgres() -> None:
    subprocess.run(["pg_ctlcluster", *_cluster(), "start"], check=True)


def _cluster() -> list[str]:
    """Version and name of the one local cluster (Debian's `pg_lsclusters`)."""
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    version, name = out.stdout.split()[:2]
    return [version, name]
