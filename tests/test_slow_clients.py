"""Slow clients cannot hold connections (`admin_api.connections`), over real sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from admin_api.connections import guarded_protocol

HEADERS = 0.3
REQUEST = 0.8
BOUND = 16
GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


@dataclass
class Site:
    port: int
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
async def running(headers: float, request: float) -> AsyncIterator[Site]:
    s = Site(port=0)
    config = uvicorn.Config(
        s.app,
        host="127.0.0.1",
        port=0,
        http=guarded_protocol(headers, request, BOUND),
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
        interface="asgi3",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
        await asyncio.sleep(0.01)
    s.port = server.servers[0].sockets[0].getsockname()[1]
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


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def connect(site: Site) -> Connection:
    return await asyncio.open_connection("127.0.0.1", site.port)


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


async def opened(site: Site, count: int, sending: bytes) -> list[Connection]:
    """`count` connections, oldest first, each having sent `sending`."""
    out = []
    for _ in range(count):
        reader, writer = await connect(site)
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
