"""Slow clients cannot hold connections (`admin_api.connections`), over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from admin_api.connections import (
    GuardedH11Protocol,
    Server,
    client_key,
    guarded_protocol,
)

HEADERS = 0.3
REQUEST = 0.8
BOUND = 16
PER_CLIENT = 4
SOMAXCONN = Path("/proc/sys/net/core/somaxconn")
GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


@dataclass
class Site:
    port: int
    protocol: type[GuardedH11Protocol] = GuardedH11Protocol
    listener: int = -1  # the listening socket's descriptor
    answered: list[bytes] = field(default_factory=list)
    disconnected: int = 0
    hold: asyncio.Event = field(default_factory=asyncio.Event)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected += 1
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/hold":
            await self.hold.wait()
        self.answered.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@contextlib.asynccontextmanager
async def running(
    headers: float,
    request: float,
    bound: int = BOUND,
    per_client: int = BOUND,
    yield_after: float = 0.0,
) -> AsyncIterator[Site]:
    protocol = guarded_protocol(headers, request, bound, per_client, yield_after)
    s = Site(port=0, protocol=protocol)
    config = uvicorn.Config(
        s.app,
        host="127.0.0.1",
        port=0,
        http=s.protocol,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
        interface="asgi3",
    )
    server = Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
        await asyncio.sleep(0.01)
    s.port = server.servers[0].sockets[0].getsockname()[1]
    s.listener = server.servers[0].sockets[0].fileno()
    yield s
    s.hold.set()
    server.should_exit = True
    await task


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async with running(HEADERS, REQUEST) as s:
        yield s


@pytest.fixture
async def patient_site() -> AsyncIterator[Site]:
    """Deadlines far away: only the bound closes connections."""
    async with running(60, 60) as s:
        yield s


@pytest.fixture
async def per_client_site() -> AsyncIterator[Site]:
    """Deadlines far away, at most `PER_CLIENT` connections of one address waiting."""
    async with running(60, 60, per_client=PER_CLIENT) as s:
        yield s


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(site: Site, source: str = "127.0.0.1") -> Connection:
    return await asyncio.open_connection("127.0.0.1", site.port, local_addr=(source, 0))


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True when the server closes the connection (EOF or reset) within `seconds`."""
    try:
        data = await asyncio.wait_for(reader.read(), seconds)
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return b"200 OK" not in data


async def ask(site: Site, request: bytes = GET) -> bytes:
    reader, writer = await connect(site)
    writer.write(request)
    answer = await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    writer.close()
    return answer


async def test_headers_that_do_not_complete_in_time_close_the_connection(site: Site):
    reader, writer = await connect(site)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
    assert not await closed_within(reader, HEADERS * 0.5)  # not before the deadline
    assert await closed_within(reader, 2)


async def test_a_trickle_of_header_bytes_does_not_extend_the_deadline(site: Site):
    reader, writer = await connect(site)
    for _ in range(20):  # one byte every 0.05 s: 1 s in all, the deadline is 0.3 s
        if writer.is_closing() or reader.at_eof():
            break
        writer.write(b"X")
        await asyncio.sleep(0.05)
    assert await closed_within(reader, 2)


async def test_a_body_that_does_not_arrive_in_time_closes_the_connection(site: Site):
    reader, writer = await connect(site)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
    assert await closed_within(reader, 3)
    await asyncio.sleep(0.05)
    assert site.disconnected == 1 and site.answered == []  # the app saw the client leave


async def test_a_prompt_request_is_answered_and_an_idle_kept_alive_line_too(site: Site):
    reader, writer = await connect(site)
    body = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
    writer.write(body)
    await asyncio.sleep(HEADERS * 0.6)  # within the request's deadline, past the headers'
    writer.write(b"hello")
    assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    await asyncio.sleep(HEADERS * 1.5)  # idle between requests: the header deadline not running
    writer.write(GET)
    assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    assert site.answered == [b"hello", b""]
    writer.close()


async def opened(
    site: Site, count: int, sending: bytes, source: str = "127.0.0.1"
) -> list[Connection]:
    """`count` connections from `source`, oldest first, each having sent `sending`."""
    out = []
    for _ in range(count):
        reader, writer = await connect(site, source)
        writer.write(sending)
        out.append((reader, writer))
        await asyncio.sleep(0.005)  # in order: the first is the oldest
    return out


async def test_past_the_bound_the_longest_waiting_connection_gives_way(patient_site: Site):
    site = patient_site
    slow = await opened(site, BOUND, b"GET / HT")
    assert b"200 OK" in await ask(site)
    assert await closed_within(slow[0][0], 0.2)
    for reader, _ in slow[1:]:  # the others wait on
        assert not await closed_within(reader, 0.01)


async def test_when_every_connection_is_answering_a_new_one_is_closed(patient_site: Site):
    site = patient_site
    busy = await opened(site, BOUND, b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.sleep(0.1)  # every request received, each waiting for its answer
    reader, writer = await connect(site)
    writer.write(GET)
    assert await closed_within(reader, 1)
    site.hold.set()
    for reader, _ in busy:  # the requests being answered were not touched
        assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)


async def test_a_slow_body_on_a_kept_alive_line_has_its_deadline_too(site: Site):
    reader, writer = await connect(site)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
    await asyncio.sleep(0.05)
    writer.write(b"abc")  # the first request's body in a chunk of its own
    assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx")
    assert await closed_within(reader, 3)


async def test_a_slow_body_of_a_pipelined_request_has_its_deadline_too(site: Site):
    reader, writer = await connect(site)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
    await asyncio.sleep(0.05)
    writer.write(b"abcPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nx")
    assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    assert await closed_within(reader, 3)


async def test_a_line_kept_alive_longer_than_the_request_deadline_still_takes_a_body(
    site: Site,
):
    reader, writer = await connect(site)
    end = asyncio.get_running_loop().time() + REQUEST * 1.5
    while asyncio.get_running_loop().time() < end:  # in use for longer than a request may take
        writer.write(GET)
        assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
    await asyncio.sleep(0.05)
    writer.write(b"hello")
    assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    assert site.answered[-1] == b"hello"


async def test_a_request_asking_to_switch_protocols_is_answered_past_the_deadline(site: Site):
    reader, writer = await connect(site)
    site.hold.clear()
    writer.write(b"GET /hold HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    await asyncio.sleep(HEADERS * 2)  # being answered: no deadline runs
    site.hold.set()
    assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)


async def test_an_upload_in_progress_gives_way_after_the_half_sent_headers(patient_site: Site):
    site = patient_site
    up_reader, up_writer = await connect(site)
    up_writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nxx")  # oldest
    slow = await opened(site, BOUND - 1, b"GET / HT")
    assert b"200 OK" in await ask(site)
    assert await closed_within(slow[0][0], 0.5)  # not the upload, older as it is
    assert not await closed_within(up_reader, 0.01)


async def test_one_client_past_its_bound_gives_way_to_itself_not_to_others(
    per_client_site: Site,
):
    site = per_client_site
    mine = await opened(site, PER_CLIENT, b"GET / HT", "127.0.0.2")
    others = await opened(site, 2, b"GET / HT", "127.0.0.3")  # newer than all of mine
    idle_reader, idle_writer = await connect(site, "127.0.0.2")  # one more of mine: ...
    idle_writer.write(GET)
    assert b"200 OK" in await asyncio.wait_for(idle_reader.readuntil(b"ok"), 5)
    assert await closed_within(mine[0][0], 0.5)  # ... its oldest waiting one gave way
    for reader, _ in mine[1:] + others:
        assert not await closed_within(reader, 0.01)
    await asyncio.sleep(0.05)
    # kept alive, the answered line waits again: the newest of the client's, so the next new
    # connection of the client closes its then oldest, not the idle line
    reader, writer = await connect(site, "127.0.0.2")
    writer.write(b"GET / H")
    assert await closed_within(mine[1][0], 0.5)
    assert not await closed_within(idle_reader, 0.01)


async def test_a_client_at_its_bound_has_new_connections_closed_until_its_oldest_has_waited():
    """A waiting connection gives way to a newer one of its client only after `yield_after`:
    before, the newer one is closed as it is accepted, unread, so a machine opening
    connections in a loop costs the server an accept and a close each."""
    async with running(60, 60, per_client=PER_CLIENT, yield_after=0.5) as site:
        mine = await opened(site, PER_CLIENT, b"GET / HT", "127.0.0.2")
        reader, writer = await connect(site, "127.0.0.2")  # taken by the kernel, ...
        writer.write(GET)
        assert await closed_within(reader, 2)  # ... closed by the server, never answered
        assert site.answered == []
        for waiting, _ in mine:
            assert not await closed_within(waiting, 0.01)
        assert b"200 OK" in await ask(site)  # another client is served meanwhile
        await asyncio.sleep(0.5)
        reader, writer = await connect(site, "127.0.0.2")
        writer.write(GET)
        assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)
        assert await closed_within(mine[0][0], 0.5)  # the oldest gave way to it


async def test_requests_of_a_client_being_answered_do_not_count_against_it(
    per_client_site: Site,
):
    site = per_client_site
    busy = await opened(site, PER_CLIENT + 2, b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n", "127.0.0.2")
    await asyncio.sleep(0.1)
    reader, writer = await connect(site, "127.0.0.2")  # e.g. one more person behind that NAT
    writer.write(GET)
    assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)
    site.hold.set()
    for reader, _ in busy:
        assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok"), 5)


async def test_the_registries_forget_connections_that_are_gone(per_client_site: Site):
    site = per_client_site
    lines = await opened(site, PER_CLIENT + 2, b"GET / HT", "127.0.0.2")
    lines += await opened(site, 2, b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nx", "127.0.0.3")
    assert site.protocol.waiting  # some wait
    for _, writer in lines:
        writer.close()
    await asyncio.sleep(0.2)
    assert site.protocol.waiting == {}
    assert site.protocol.headers_pending == {} and site.protocol.body_pending == {}


@pytest.mark.skipif(sys.platform != "linux", reason="reads Linux's TCP_INFO of a listener")
async def test_the_kernel_holds_a_full_backlog_while_the_loop_takes_one_per_turn(site: Site):
    """The server accepts one connection per turn of the loop; the kernel holds the rest of a
    burst meanwhile (uvicorn's backlog, 2048), none is dropped to be retried a second later."""
    with socket.socket(fileno=os.dup(site.listener)) as same:
        backlog = _max_backlog(same.fileno())
    somaxconn = int(SOMAXCONN.read_text())  # noqa: ASYNC240 - a kernel setting, at once
    assert backlog == min(uvicorn.Config(site.app).backlog, somaxconn) > 1


def _max_backlog(fd: int) -> int:
    """For a listening socket Linux reports its backlog bound as `tcpi_sacked`."""
    with socket.socket(fileno=os.dup(fd)) as sock:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return int(struct.unpack_from("I", info, 28)[0])


async def test_a_burst_of_new_connections_is_answered_in_full():
    async with running(60, 60, bound=1024, per_client=1024) as site:

        async def one() -> bytes:
            reader, writer = await connect(site)
            writer.write(GET)
            answer = await reader.readuntil(b"ok")
            writer.close()
            return answer

        answers = await asyncio.wait_for(asyncio.gather(*(one() for _ in range(400))), 10)
        assert all(b"200 OK" in a for a in answers)


@pytest.mark.parametrize(
    ("client", "key"),
    [
        (("203.0.113.7", 5000), "203.0.113.7"),
        (("2001:db8:1:2::7", 5000), "2001:db8:1:2::"),
        (("2001:db8:1:2:aaaa::1", 5000), "2001:db8:1:2::"),  # the same subscriber's /64
        (("2001:db8:1:3::7", 5000), "2001:db8:1:3::"),
        (("::ffff:203.0.113.7", 5000), "203.0.113.7"),
        (("fe80::1%eth0", 5000), "fe80::"),
        (("/run/wegweiser.sock", 0), "/run/wegweiser.sock"),
        (None, ""),
    ],
)
def test_a_client_is_its_ipv4_address_or_its_ipv6_network(client: tuple[str, int] | None, key: str):
    assert client_key(client) == key


def _headers(size: int) -> bytes:
    """Header lines of about `size` bytes in all."""
    return b"".join(b"X-H%d: %s\r\n" % (i, b"a" * 40) for i in range(size // 50))


async def test_a_header_block_past_the_bound_is_refused_however_it_arrives(site: Site):
    """h11 bounds incomplete headers only (16 KiB): a bigger block in one write was parsed."""
    big = b"GET / HTTP/1.1\r\nHost: x\r\n" + _headers(40_000) + b"\r\n"
    reader, writer = await connect(site)
    writer.write(big)  # one write: on loopback, usually one read
    answer = await asyncio.wait_for(reader.read(), 5)
    assert answer.startswith(b"HTTP/1.1 400 ")
    # pipelined behind a small request: that one is answered, the big one refused
    reader, writer = await connect(site)
    writer.write(GET + big)
    answer = await asyncio.wait_for(reader.read(), 5)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.count(b"HTTP/1.1 400 ") == 1
    assert site.answered == [b""]  # the app never saw the big ones


async def test_headers_within_the_bound_and_large_bodies_arrive_whole(site: Site):
    body = bytes(range(256)) * 400  # 100 KiB, in the same write as its headers
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" % len(body)
    reader, writer = await connect(site)
    writer.write(request + _headers(12_000) + b"\r\n" + body + GET)  # and one pipelined
    answers = b""
    while answers.count(b"200 OK") < 2:
        answers += await asyncio.wait_for(reader.read(65536), 5)
    assert site.answered == [body, b""]
    writer.close()
