"""SQLAlchemy's aiosqlite dialect, made cheap: quick reads inline, everything else one thread hand-off.

aiosqlite runs each SQLite call in the connection's own thread; every call is a hand-off (a queue put, the
thread woken, the answer sent back through the event loop's self-pipe) that costs tens of microseconds of CPU
and a trip through the GIL, which a busy event loop hands over only every few milliseconds. SQLAlchemy's adapter
makes four per statement (cursor, execute, fetchall, close), and Wolaro's explicit `BEGIN` is a statement of its
own: a session reading one row made nine, about 1.1 ms of CPU, and waited behind the loop's other work each time.

Here:
- a statement is one call: open a cursor, execute, fetch every row, close;
- the `BEGIN` of a transaction goes with its first statement (SQLite takes no lock at `BEGIN DEFERRED`, and
  `BEGIN IMMEDIATE` still takes the write lock before that statement runs);
- a read (a SELECT outside a writing transaction) runs inline, on the event loop's thread: in WAL mode a reader
  waits for no lock and holds none anyone waits for. It may use 2 ms of CPU (`INLINE_BUDGET_S`); past that, or if it
  meets a lock, SQLite stops it and it runs again in the connection's thread, where that statement always goes
  from then on. Ending a transaction that only read is inline too;
- writes, commits of writing transactions and everything else are one hand-off to the connection's thread,
  where waiting for the write lock (`busy_timeout`) or for the disk never holds up the event loop.

A one-read session costs about 0.3 ms of CPU and no hand-off. Use it through `make_engine`: URLs keep saying
`sqlite+aiosqlite://`.
"""

from __future__ import annotations

import collections
import sqlite3
import time
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
#: How long a read may run inline, on the event loop, before it is stopped and run in the connection's thread:
#: CPU time of the loop's thread, so that a read kept waiting for the GIL by another thread is not taken for slow.
INLINE_BUDGET_S = 0.002
#: SQLite calls the budget check every this many virtual machine steps.
PROGRESS_STEPS = 1000
#: How long a statement in the connection's thread waits for a lock another connection holds.
BUSY_TIMEOUT_MS = 10_000
#: Reads once found too slow to run inline (by SQL text), kept up to this many.
SLOW_READS_KEPT = 512
_slow_reads: set[str] = set()


class _Ran:
    """What one statement left behind, read in the connection's thread."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, rows: list[Any]) -> None:
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self.rows = rows


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose `execute` is one call, rows fetched there.

    The call runs inline for a quick read, else in the connection's thread.
    """

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
        """Run one statement and fetch all its rows, in one call."""

        def run(connection: sqlite3.Connection) -> _Ran:
            cursor = connection.execute(operation, () if parameters is None else parameters)
            try:
                return _Ran(cursor, cursor.fetchall() if cursor.description else [])
            finally:
                cursor.close()

        self._take(self._one_trip.run(run, sql=operation))

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        """Run one statement for each set of parameters, in one call to the connection's thread."""

        def run(connection: sqlite3.Connection) -> _Ran:
            cursor = connection.executemany(operation, seq_of_parameters)
            try:
                return _Ran(cursor, [])
            finally:
                cursor.close()

        self._take(self._one_trip.run(run, sql=operation))

    def _take(self, ran: _Ran) -> None:
        self._ran = ran
        self._rows = collections.deque(ran.rows)

    def nextset(self) -> None:
        """Not supported: a SQLite statement has one result set."""
        raise NotImplementedError("SQLite has one result set per statement")


def is_read(operation: str) -> bool:
    """Whether a statement only reads (a plain SELECT: no PRAGMA, no `WITH ... INSERT`)."""
    return operation[:6].upper() == "SELECT"


class _TooSlow(Exception):
    """An inline read went past its budget (or met a lock): it is run again in the connection's thread."""


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """aiosqlite's connection adapter: `BEGIN` sent with a transaction's first statement, quick reads inline."""

    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None
        self._in_transaction = False
        self._writing = False  # this transaction holds (or asked for) the write lock
        self._deadline = 0.0

    def begin(self, mode: str) -> None:
        """Start a transaction (`DEFERRED` or `IMMEDIATE`) with the next statement."""
        self._begin = f"BEGIN {mode}"
        self._writing = mode != "DEFERRED"

    def run(self, step: Callable[[sqlite3.Connection], Any], *, sql: str | None = None) -> Any:
        """Run `step` on the sqlite3 connection, after a pending `BEGIN`: the statement `sql`, or an end (None).

        A read (`is_read(sql)`) outside a writing transaction runs inline, on the event loop: in WAL mode a
        reader takes no lock anyone waits for and waits for none, and a point read costs microseconds where a
        thread hand-off costs tens of them. It is stopped after `INLINE_BUDGET_S` (or at once if it meets a
        lock) and run again in the thread; a statement that was once too slow always goes to the thread.
        Everything else is one hand-off to the connection's thread; any other statement makes the transaction
        a writing one.
        """
        begin, self._begin = self._begin, None
        if sql is not None and is_read(sql):
            if not self._writing and sql not in _slow_reads:
                try:
                    return await_(self._inline(step, begin))  # awaited: SQLAlchemy's asyncio layer checks it was
                except _TooSlow:
                    if len(_slow_reads) >= SLOW_READS_KEPT:
                        _slow_reads.clear()
                    _slow_reads.add(sql)
                    begin = None  # the transaction is open now
                except Exception as error:
                    self._handle_exception(error)
        elif sql is not None:
            self._writing = True

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

    async def _inline(self, step: Callable[[sqlite3.Connection], Any], begin: str | None) -> Any:
        connection = self._connection._conn
        self._deadline = time.thread_time() + INLINE_BUDGET_S
        connection.execute("PRAGMA busy_timeout=0").close()  # a lock met inline: to the thread at once
        connection.set_progress_handler(self._past_deadline, PROGRESS_STEPS)
        try:
            if begin is not None:
                connection.execute(begin).close()
            return step(connection)
        except sqlite3.OperationalError as error:
            message = str(error).lower()
            if "interrupted" in message or "locked" in message or "busy" in message:
                raise _TooSlow from error
            raise
        finally:
            connection.set_progress_handler(None, 0)
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}").close()
            self._in_transaction = connection.in_transaction

    def _past_deadline(self) -> int:
        return 1 if time.thread_time() > self._deadline else 0

    def rollback(self) -> None:
        """Roll back the open transaction (inline when it only read); nothing to do when none is open."""
        self._end(lambda connection: connection.rollback())

    def commit(self) -> None:
        """Commit the open transaction (inline when it only read); nothing to do when none is open."""
        self._end(lambda connection: connection.commit())

    def _end(self, end: Callable[[sqlite3.Connection], None]) -> None:
        self._begin = None
        writing, self._writing = self._writing, False
        if not self._in_transaction or not self._connection._connection:
            return
        if writing:
            self.run(end)
            return
        connection = self._connection._conn  # a read transaction ends at once: no lock to wait for, nothing to sync
        try:
            end(connection)
        except Exception as error:
            self._handle_exception(error)
        finally:
            self._in_transaction = connection.in_transaction


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
