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
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.util import EMPTY_DICT

Outcome = tuple[Any, list[Any], int, int | None, bool]


def _execute(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> Outcome:
    """Runs in aiosqlite's thread: the whole statement, its rows and the cursor's close."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid, conn.in_transaction
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one hop; it holds no sqlite3 cursor."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: OneHopConnection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in its hop."""

    def close(self) -> None:
        self._rows.clear()

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, OneHopConnection)
        async with adapt._execute_mutex:
            try:
                outcome = await self._connection._execute(
                    _execute, self._connection._conn, operation, parameters, many
                )
            finally:
                # unknown after a failure: the next commit or rollback is sent
                adapt._maybe_in_transaction = True
            self._description, rows, self._rowcount, self._lastrowid, in_tx = outcome
            self._rows = deque(rows)
            adapt._maybe_in_transaction = in_tx

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
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    """The module to give `create_async_engine(..., module=...)` for `sqlite+aiosqlite`."""
    import aiosqlite

    return OneHopDBAPI(aiosqlite, sqlite3)
