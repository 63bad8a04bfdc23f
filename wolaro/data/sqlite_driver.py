"""SQLAlchemy's aiosqlite dialect with one thread hand-off per statement instead of four.

aiosqlite runs each SQLite call in the connection's own thread; every call is a hand-off (a queue put, the
thread woken, the answer sent back through the event loop's self-pipe) that costs tens of microseconds of CPU
and a trip through the GIL. SQLAlchemy's adapter makes four per statement (cursor, execute, fetchall, close), and
Wolaro's explicit `BEGIN` is a statement of its own: a session reading one row made nine, about 1.1 ms of CPU.

Here a statement is one hand-off: a function run in the connection's thread opens a cursor, executes, fetches
every row and closes it. The `BEGIN` of a transaction is sent with the transaction's first statement (SQLite
takes no lock at `BEGIN DEFERRED` anyway, and `BEGIN IMMEDIATE` still takes the write lock before that statement
runs), and a commit or rollback with no transaction open is skipped. A one-read session now makes two hand-offs.

Use it through `make_engine`: URLs keep saying `sqlite+aiosqlite://`.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

#: The name `make_engine` gives SQLAlchemy for this dialect.
DRIVER_NAME = "sqlite+wolaro_aiosqlite"


class _Ran:
    """What one statement left behind, read in the connection's thread."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, rows: list[Any]) -> None:
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self.rows = rows


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose `execute` is one call in the connection's thread (rows fetched there)."""

    __slots__ = ("_one_trip", "_ran")

    def __init__(self, adapt_connection: OneTripConnection) -> None:  # no thread call: the cursor is made per run
        self._adapt_connection = self._one_trip = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._ran: _Ran | None = None

    @property
    def description(self) -> Any:
        """The last statement's column description (None when it returned no rows)."""
        return self._ran.description if self._ran is not None else None

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        return self._ran.rowcount if self._ran is not None else -1

    @property
    def lastrowid(self) -> int:
        """The rowid of the last inserted row."""
        return self._ran.lastrowid if self._ran is not None else 0  # type: ignore[return-value]

    async def _async_soft_close(self) -> None:
        """Nothing to close in the thread: the sqlite3 cursor was closed when the statement ran."""

    def close(self) -> None:
        """Drop the rows not fetched yet."""
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        """Run one statement and fetch all its rows, in one call to the connection's thread."""

        def run(connection: sqlite3.Connection) -> _Ran:
            cursor = connection.execute(operation, () if parameters is None else parameters)
            try:
                return _Ran(cursor, cursor.fetchall() if cursor.description else [])
            finally:
                cursor.close()

        self._take(self._one_trip.run(run))

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        """Run one statement for each set of parameters, in one call to the connection's thread."""

        def run(connection: sqlite3.Connection) -> _Ran:
            cursor = connection.executemany(operation, seq_of_parameters)
            try:
                return _Ran(cursor, [])
            finally:
                cursor.close()

        self._take(self._one_trip.run(run))

    def _take(self, ran: _Ran) -> None:
        self._ran = ran
        self._rows = collections.deque(ran.rows)

    def nextset(self) -> None:
        """Not supported: a SQLite statement has one result set."""
        raise NotImplementedError("SQLite has one result set per statement")


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's connection adapter with the `BEGIN` sent along with the first statement of a transaction."""

    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None
        self._in_transaction = False

    def begin(self, mode: str) -> None:
        """Start a transaction (`DEFERRED` or `IMMEDIATE`) with the next statement."""
        self._begin = f"BEGIN {mode}"

    def run(self, step: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `step` on the sqlite3 connection in its thread (after a pending `BEGIN`): one hand-off."""
        begin, self._begin = self._begin, None

        def call() -> Any:
            connection = self._connection._conn
            try:
                if begin is not None:
                    connection.execute(begin).close()
                return step(connection)
            finally:
                self._in_transaction = connection.in_transaction

        try:
            return await_(self._connection._execute(call))
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        """Roll back the open transaction; nothing to do (no hand-off) when none is open."""
        self._begin = None
        if self._in_transaction and self._connection._connection:
            self.run(lambda connection: connection.rollback())

    def commit(self) -> None:
        """Commit the open transaction; nothing to do (no hand-off) when none is open."""
        self._begin = None
        if self._in_transaction and self._connection._connection:
            self.run(lambda connection: connection.commit())


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module of the dialect: connections are `OneTripConnection`s."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        """Open an aiosqlite connection (its thread) and adapt it."""
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


class OneTripSQLiteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite with one thread hand-off per statement (see the module's docstring)."""

    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:  # type: ignore[override]
        """The DB-API module SQLAlchemy talks to."""
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register("sqlite.wolaro_aiosqlite", __name__, "OneTripSQLiteDialect")
