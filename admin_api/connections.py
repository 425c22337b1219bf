"""Deadlines for receiving a request, and a bound on open connections (uvicorn's h11 protocol).

uvicorn closes a keep-alive connection that stays silent, but has no deadline for *receiving* a
request: a client sending a header line, or a byte of body, every few seconds keeps its
connection (and a file descriptor) for ever. Some 20,000 of them and the server can accept no
one else, nor open a file. ASGI middleware cannot help: it runs once the headers are complete.

- The request line and headers must arrive within `header_seconds` of their first byte (or of
  the connection), the whole request, body included, within `request_seconds`; otherwise the
  connection is closed.
- At most `max_connections` are open: a new connection past the bound closes the one that has
  been waiting longest for its headers (then for a body; never one whose request is being
  answered), or itself when every connection is busy. Slow clients so give way to new ones
  instead of locking them out.
- At most `per_address` connections from one client (an IPv4 address, an IPv6 /64) wait for a
  request at a time, idle kept-alive lines included: past it the client's own oldest waiting
  one is closed (its requests being answered do not count: people behind one address are
  not refused because others are being served). One machine holding thousands of half-sent
  requests would otherwise keep thousands of live objects for every collection of the
  garbage collector (30-80 ms each) and take every free place from everyone else.
- A request's line and headers take at most h11's 16 KiB however they arrive (h11 checks only
  incomplete ones: a complete block of 92 KB in one read took 16 ms to parse); see
  `data_received`.
- A client at its bound whose oldest waiting connection has waited less than `yield_after`
  (1 s) gets a new connection closed as it is accepted, unread: a waiting connection gives way
  to a newer one of the same client only once it has waited that long. Setting a connection
  up, reading and closing it took about 300 µs of the event loop: a machine opening 1,600 a
  second kept the loop 63 % busy, 31 % when they are closed at the accept.
- `Server` accepts one new connection per turn of the event loop (asyncio takes as many as the
  listen backlog, 2048): a flood of new connections is interleaved with the requests already
  in, as nginx does without `multi_accept`.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_SECONDS = 10.0
REQUEST_SECONDS = 120.0  # a 5 MB catalogue at ~350 kbit/s
MAX_CONNECTIONS = 4096
PER_ADDRESS = 256  # a shelter's or a school's clients behind one address fit, and idle
# kept-alive lines that give way are opened again by their browsers
YIELD_AFTER = 1.0  # seconds a client's waiting connection waits before a newer one replaces it
HEADER_PIECE = 4096  # bytes given to h11 at a time while a request's headers are arriving
ACCEPT_RETRY = 1.0  # seconds without accepting when the process is out of descriptors
# the request is in (or the protocol switches): from here it is being answered
_RECEIVED = (
    h11.DONE,
    h11.MUST_CLOSE,
    h11.CLOSED,
    h11.ERROR,
    h11.MIGHT_SWITCH_PROTOCOL,
    h11.SWITCHED_PROTOCOL,
)


class GuardedH11Protocol(H11Protocol):
    """Made by `guarded_protocol`; the class attributes are its settings and its registries."""

    header_seconds = HEADER_SECONDS
    request_seconds = REQUEST_SECONDS
    max_connections = MAX_CONNECTIONS
    per_address = PER_ADDRESS
    yield_after = YIELD_AFTER
    # connections waiting for a request's line and headers (or idle between requests), and
    # those waiting for a body, oldest first: the ones to evict, in this order
    headers_pending: ClassVar[dict[GuardedH11Protocol, None]] = {}
    body_pending: ClassVar[dict[GuardedH11Protocol, None]] = {}
    # the waiting ones (of both kinds) per client, oldest first
    waiting: ClassVar[dict[str, dict[GuardedH11Protocol, None]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._started = 0.0  # when the current request began to arrive
        self._address = ""
        self._held = b""  # a pipelined request's bytes, while the one before is answered
        self._since = 0.0  # when it began to wait (among its client's waiting connections)

    @classmethod
    def admits(cls, client: str, now: float) -> bool:
        """Whether a new connection of `client` is taken: below its bound, or when its oldest
        waiting connection has waited `yield_after` and gives way (`_make_room_for_client`)."""
        mine = cls.waiting.get(client)
        if not mine or len(mine) < cls.per_address:
            return True
        return now - next(iter(mine))._since >= cls.yield_after

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._address = client_key(self.client)
        if len(self.connections) > self.max_connections and not self._evict_one():
            transport.close()  # every other connection is being answered
            return
        self._make_room_for_client()
        self._await_request()

    def data_received(self, data: bytes) -> None:
        # h11 bounds a request's line and headers (16 KiB) only while they are incomplete: a
        # block of thousands of headers arriving in one read would be parsed whole, 10-15 ms
        # of the event loop for one request. Given in pieces, a block is incomplete until its
        # end, so one past the bound is refused (400) before it is parsed.
        while data and not self.transport.is_closing():
            state = self.conn.their_state
            if state is h11.DONE:  # a pipelined next request: held until this one is
                self._held += data  # answered, then read like any other
                self.flow.pause_reading()
                break
            if state is h11.IDLE:
                if self._timer is None:
                    self._await_request()  # the first byte of a next request
                piece, data = data[:HEADER_PIECE], data[HEADER_PIECE:]
            else:
                piece, data = data, b""
            super().data_received(piece)
        if not self.transport.is_closing():
            self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        held, self._held = self._held, b""
        if held:
            self.data_received(held)
        else:
            self._track()

    def connection_lost(self, exc: Exception | None) -> None:
        self._received()
        super().connection_lost(exc)

    # -- the deadlines

    def _track(self) -> None:
        """Follow the client's side of the exchange after h11 has read what came."""
        state = self.conn.their_state
        if state in _RECEIVED:
            self._received()
        elif state is h11.SEND_BODY:
            if self not in self.body_pending:  # headers complete: the whole request's deadline
                if self._timer is None:  # a pipelined request: its clock starts now
                    self._started = self.loop.time()
                    self._wait()
                self.headers_pending.pop(self, None)
                self.body_pending[self] = None
                self._arm(self._started + self.request_seconds - self.loop.time())
        elif self._timer is None and self not in self.headers_pending:
            # idle between requests: uvicorn's keep-alive timeout closes a silent line;
            # evictable meanwhile
            self._wait()
            self.headers_pending[self] = None

    def _await_request(self) -> None:
        self._started = self.loop.time()
        self._received()
        self._wait()
        self.headers_pending[self] = None
        self._arm(self.header_seconds)

    def _wait(self) -> None:
        """Among the client's waiting connections, the newest."""
        mine = self.waiting.setdefault(self._address, {})
        if self not in mine:
            mine[self] = None
            self._since = self.loop.time()

    def _received(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.headers_pending.pop(self, None)
        self.body_pending.pop(self, None)
        mine = self.waiting.get(self._address)
        if mine is not None and self in mine:
            del mine[self]
            if not mine:  # the registry keeps no client that has nothing waiting
                del self.waiting[self._address]

    def _arm(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_later(max(0.0, seconds), self._expire)

    def _expire(self) -> None:
        self._received()
        if not self.transport.is_closing():
            self.transport.close()  # a request being read sees the client leave

    def _evict_one(self) -> bool:
        """Close the connection waiting longest for headers, else for a body (an upload in
        progress goes last); False when every connection is being answered."""
        for pending in (self.headers_pending, self.body_pending):
            for oldest in pending:
                if oldest is not self:
                    oldest._expire()
                    return True
        return False

    def _make_room_for_client(self) -> None:
        """At the client's bound, close its oldest waiting connection (one waiting for
        headers before one sending a body)."""
        mine = self.waiting.get(self._address, {})
        if len(mine) >= self.per_address:
            oldest = next((p for p in mine if p in self.headers_pending), next(iter(mine)))
            oldest._expire()


def client_key(client: tuple[str, int] | None) -> str:
    """Whom a connection comes from: its IPv4 address, or the /64 network of an IPv6 one
    (what one subscriber is given)."""
    if not client:
        return ""
    if ":" not in client[0]:  # IPv4 (or a Unix socket's path): as it is, at every connection
        return client[0]
    try:
        ip = ipaddress.IPv6Address(client[0].split("%")[0])  # without a zone ("fe80::1%eth0")
    except ValueError:
        return client[0]
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, 64), strict=False).network_address)


class Server(uvicorn.Server):
    """uvicorn's server, accepting one new connection per turn of the event loop, and closing
    at once, unread, one its protocol class does not admit (`GuardedH11Protocol.admits`)."""

    _connecting: set[asyncio.Task[None]]
    _guarded: type[GuardedH11Protocol]

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        guarded = self.config.http_protocol_class
        if not issubclass(guarded, GuardedH11Protocol):
            raise TypeError("Server serves a protocol made by guarded_protocol")
        self._guarded = guarded
        listening = sockets if sockets is not None else [self.config.bind_socket()]
        await super().startup(listening)
        self._connecting = set()
        loop = asyncio.get_running_loop()
        for sock in listening:  # asyncio's own reader would accept up to the backlog per turn
            loop.remove_reader(sock.fileno())
            loop.add_reader(sock.fileno(), self._accept, sock)

    def _accept(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            conn, address = listening.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        except OSError as e:
            if e.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            # Linux keeps reporting the socket ready: pause, as asyncio does
            logging.getLogger("uvicorn.error").warning("accept: %s; pausing", e.strerror)
            loop.remove_reader(listening.fileno())
            loop.call_later(ACCEPT_RETRY, self._resume, listening)
            return
        client = client_key(address[:2] if isinstance(address, tuple) else (str(address), 0))
        if not self._guarded.admits(client, loop.time()):
            conn.close()
            return
        task = loop.create_task(self._connect(conn))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    def _resume(self, listening: socket.socket) -> None:
        if listening.fileno() != -1 and not self.should_exit:  # not closed meanwhile
            asyncio.get_running_loop().add_reader(listening.fileno(), self._accept, listening)

    def _protocol(self) -> GuardedH11Protocol:  # as uvicorn's own listener makes it
        return self._guarded(
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(self._protocol, conn)
        except OSError:  # the client left before its connection was set up
            conn.close()


def guarded_protocol(
    header_seconds: float = HEADER_SECONDS,
    request_seconds: float = REQUEST_SECONDS,
    max_connections: int = MAX_CONNECTIONS,
    per_address: int = PER_ADDRESS,
    yield_after: float = YIELD_AFTER,
) -> type[GuardedH11Protocol]:
    """A protocol class for `uvicorn.Config(http=...)`, with registries of its own."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {
            "header_seconds": header_seconds,
            "request_seconds": request_seconds,
            "max_connections": max_connections,
            "per_address": per_address,
            "yield_after": yield_after,
            "headers_pending": {},
            "body_pending": {},
            "waiting": {},
        },
    )
