"""SQLite through aiosqlite with one hop to its thread per statement.

aiosqlite runs every call in a thread of its own, and SQLAlchemy's adapter makes four calls
per statement (cursor, execute, fetchall, close) plus a rollback for each connection given
back to the pool, open transaction or not. Each hop waits for the GIL, which a busy event loop
holds (it releases it only for system calls, and a waiting thread restarts its wait each
time), so under load the hops, not SQLite, made a request slow. Here a statement is one hop,
and a commit or rollback with no transaction open is none: sqlite3 would do nothing then.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.util import EMPTY_DICT


@dataclass
class Ran:
    """What a statement's sqlite3 cursor left, kept in its place: the adapter's `description`,
    `rowcount`, `lastrowid` and `arraysize` read it as their cursor."""

    description: Any = None
    rowcount: int = -1
    lastrowid: int | None = None
    arraysize: int = 1


def _execute(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Ran, list[Any], bool]:
    """Runs in aiosqlite's thread: the whole statement, its rows and the cursor's close."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        ran = Ran(cursor.description, cursor.rowcount, cursor.lastrowid)
        return ran, rows, conn.in_transaction
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one hop; it holds no sqlite3 cursor."""

    __slots__ = ()

    def __init__(self, adapt_connection: OneHopConnection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = Ran()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in its hop."""

    def close(self) -> None:
        self._rows.clear()

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, OneHopConnection)
        async with adapt._execute_mutex:
            try:
                ran, rows, in_transaction = await self._connection._execute(
                    _execute, self._connection._conn, operation, parameters, many
                )
            finally:
                # unknown after a failure: the next commit or rollback is sent
                adapt._maybe_in_transaction = True
            ran.arraysize = self._cursor.arraysize
            self._cursor, self._rows = ran, deque(rows)
            adapt._maybe_in_transaction = in_transaction

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._run(operation, seq_of_parameters, many=True)


class StreamingCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's own, for `stream()`; what it runs may open a transaction."""

    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        self._adapt_connection._maybe_in_transaction = True  # type: ignore[attr-defined]
        return await super()._execute_async(operation, parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_maybe_in_transaction",)

    _cursor_cls = OneHopCursor  # type: ignore[assignment]
    _ss_cursor_cls = StreamingCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._maybe_in_transaction = True

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        AsyncAdapt_aiosqlite_connection.isolation_level.fset(self, value)  # type: ignore[attr-defined]
        self._maybe_in_transaction = True

    def rollback(self) -> None:
        if self._maybe_in_transaction:
            super().rollback()
            self._maybe_in_transaction = False

    def commit(self) -> None:
        if self._maybe_in_transaction:
            super().commit()
            self._maybe_in_transaction = False


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        # SQLAlchemy's own connect opens aiosqlite's connection and thread; its adapter around
        # them is replaced by this one
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    """The module to give `create_async_engine(..., module=...)` for `sqlite+aiosqlite`."""
    import aiosqlite

    return OneHopDBAPI(aiosqlite, sqlite3)
