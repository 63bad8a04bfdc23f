"""The database engine and sessions: SQLite (embedded default, WAL) or PostgreSQL (asyncpg), one interface.

All database access in Wolaro goes through a `Database`: `session()` for reads, `transaction()` for writes.

On SQLite, `transaction()` starts with `BEGIN IMMEDIATE`, so concurrent writers queue on the write lock (up to
`busy_timeout`) instead of failing when a read-then-write transaction finds its snapshot outdated. That is
what makes "read the balance, then update it" safe on SQLite, where `SELECT ... FOR UPDATE` does not exist.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg.exceptions
import orjson
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from wolaro.data import sqlite_driver
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.settings import Settings

log = get_logger(__name__)

SQLITE_MMAP_BYTES = 256 * 1024 * 1024
"""How much of a SQLite file is read through a memory map (mapped pages are the file cache's, not copies)."""
_BEGIN_OPTION = "wolaro_sqlite_begin"


def _json_dumps(value: Any) -> str:
    """Serialise a JSON column value (orjson; non-string keys become strings as with `json.dumps`)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    echo: bool = False,
    for_migrations: bool = False,
) -> AsyncEngine:
    """Create the async engine for `url`, with Wolaro's per-dialect connection setup.

    `for_migrations` gives an unpooled engine and, on SQLite, leaves foreign keys off: Alembic's batch mode
    recreates tables, and dropping a parent table with enforcement on would cascade-delete its children.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if for_migrations:
        kwargs["poolclass"] = NullPool
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            if not for_migrations:  # connections kept open: each is a thread, and opening one costs six hand-offs
                kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
        # quick reads run on the event loop's thread, everything else in the connection's own (never both at once)
        kwargs["connect_args"] = {"check_same_thread": False}
        engine = create_async_engine(parsed.set(drivername=sqlite_driver.DRIVER_NAME), **kwargs)
        _setup_sqlite(engine, foreign_keys=not for_migrations)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if not for_migrations:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True)
        kwargs["connect_args"] = {"server_settings": {"application_name": "wolaro"}}
        return create_async_engine(parsed, **kwargs)
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}")


def _setup_sqlite(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    """Pragmas on every new connection, and explicit BEGINs (the driver's implicit ones are not serialisable)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: it would BEGIN only before DML, leaving
        # SELECTs outside the transaction. SQLAlchemy's documented recipe.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={sqlite_driver.BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            # reads straight from the operating system's file cache, shared by every connection (not copied
            # into each connection's own 2 MB page cache): big statistics ranges read several MB
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        adapted = connection.connection.dbapi_connection
        assert isinstance(adapted, sqlite_driver.OneTripConnection)
        adapted.begin(mode)  # sent with the transaction's first statement


#: The PostgreSQL advisory lock key every Wolaro process takes while it migrates (any constant bigint works;
#: this one is the first 8 bytes of sha256("wolaro.migrations") as a signed integer).
MIGRATION_LOCK_KEY = -7642824329573514892


def take_migration_lock(connection: Connection) -> None:
    """Hold the schema-migration lock until `connection`'s transaction ends: concurrent migrators wait their turn.

    PostgreSQL: a transaction-level advisory lock (released at commit or rollback, or if the process dies).
    SQLite: the database write lock (`BEGIN IMMEDIATE`), waited for up to the busy timeout.
    Call it before Alembic starts, so every revision runs inside this one transaction.
    """
    if connection.dialect.name == "postgresql":
        key = {"key": MIGRATION_LOCK_KEY}
        if not connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), key).scalar():
            log.info("another process is migrating the database: waiting for it to finish")
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), key)
    elif connection.dialect.name == "sqlite":
        connection.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        connection.execute(text("SELECT 1"))  # begins the transaction, taking the write lock now


#: Driver errors that mean "the server is not there or not taking work", whatever the statement.
_POSTGRES_OUTAGES = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08: connection failures
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutting down, starting up, cannot connect now
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
    asyncpg.exceptions.ConnectionDoesNotExistError,
)
#: Who may not log in: the server answers, but this DATABASE_URL cannot be used (checked at start-up only).
_POSTGRES_REFUSALS = (
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,  # no such role, pg_hba refuses
    asyncpg.exceptions.InvalidPasswordError,
    asyncpg.exceptions.InvalidCatalogNameError,  # no such database
)
_SQLITE_OUTAGES = (
    "unable to open database",
    "disk i/o error",
    "database is locked",
    "readonly database",
    "not a database",
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, then what it wraps, its cause or context, and so on (bounded: chains can be cyclic)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < 20:
        seen.add(id(current))
        yield current
        original = getattr(current, "original", None)  # discord.py's CommandInvokeError and friends
        current = original if isinstance(original, BaseException) else current.__cause__ or current.__context__


def _raised_by_database_driver(error: BaseException) -> bool:
    """Whether `error` was raised from inside SQLAlchemy or a database driver (not, say, an HTTP client)."""
    traceback = error.__traceback__
    while traceback is not None:
        module = str(traceback.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(("sqlalchemy", "asyncpg", "aiosqlite")):
            return True
        traceback = traceback.tb_next
    return False


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached or cannot take work now (an outage, not a bug).

    True for refused or dropped connections, a server shutting down or starting up, pool time-outs and an
    unreadable or locked SQLite file; False for everything a retry would not fix (bad SQL, constraint errors).
    """
    for link in _chain(error):
        if isinstance(link, sa_exc.DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(link, sa_exc.TimeoutError):  # no pooled connection came free in time
            return True
        if isinstance(link, _POSTGRES_OUTAGES):
            return True
        if isinstance(link, sqlite3.OperationalError) and any(text in str(link).lower() for text in _SQLITE_OUTAGES):
            return True
        if isinstance(link, OSError | TimeoutError) and _raised_by_database_driver(link):
            return True  # refused, unreachable or timed-out connection attempts surface as plain socket errors
    return False


class DatabaseUnreachable(RuntimeError):
    """The database `DATABASE_URL` names cannot be used at start-up; the message is one line for the operator."""


def describe_unreachable(url: str, error: BaseException) -> str | None:
    """One line naming DATABASE_URL, where it points and what to check, if `error` says it cannot be used."""
    parsed = make_url(url)
    reason = next((link for link in _chain(error) if not isinstance(link, sa_exc.StatementError)), error)
    if isinstance(reason, ConnectionRefusedError):
        why = "connection refused"
    elif isinstance(reason, TimeoutError):
        why = "no answer (timed out)"
    else:
        detail = str(getattr(reason, "strerror", None) or reason).strip().splitlines()
        why = detail[0] if detail else type(reason).__name__
    if parsed.get_backend_name() == "sqlite":
        if not is_unavailable(error) and not any(isinstance(link, OSError) for link in _chain(error)):
            return None
        if "locked" in why.lower():
            check = "Another process holds it locked for too long: wait for it to finish, or stop it"
        else:
            check = "Check that the folder exists and that this user may read and write it"
        return (
            f"Cannot open the SQLite database file {parsed.database} (DATABASE_URL, or DATA_DIR when it is unset): "
            f"{why}. {check}."
        )
    refused = any(isinstance(link, _POSTGRES_REFUSALS) for link in _chain(error))
    if not refused and not is_unavailable(error):
        return None
    where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    database = parsed.database or "(default)"
    if refused:
        check = f"check the user, password and database name ({database}) in DATABASE_URL"
    else:
        check = "check that PostgreSQL is running there and that DATABASE_URL has the right host and port"
    return f"Cannot reach the database at {where} (DATABASE_URL): {why}. {check[0].upper()}{check[1:]}."


class Database:
    """An async engine plus its session factory: the one way in to the database."""

    PING_TIMEOUT = 5.0

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow, echo=echo)
        self.dialect: str = self.engine.dialect.name
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database `settings` describe (SQLite under `data_dir` unless `database_url` is set)."""
        url = settings.effective_database_url
        if make_url(url).get_backend_name() == "sqlite":
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow)

    def session(self) -> AsyncSession:
        """A new session (use as `async with db.session() as s:`); it begins a transaction on first use."""
        return self._sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed when the block ends, rolled back if it raises.

        Do not call `session.commit()` inside the block (SQLAlchemy refuses); `flush()` to get generated ids.
        """
        async with self._sessions() as session, session.begin():
            if self.dialect == "sqlite":
                # Take the write lock now: a deferred transaction that reads, then writes, fails with
                # SQLITE_BUSY when another writer committed in between; an immediate one waits its turn.
                await session.connection(execution_options={_BEGIN_OPTION: "IMMEDIATE"})
            yield session

    async def ping(self) -> bool:
        """Whether the database answers `SELECT 1` within `PING_TIMEOUT` seconds (never raises)."""
        try:
            async with asyncio.timeout(self.PING_TIMEOUT), self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            log.warning("database ping failed", error=repr(exc), dialect=self.dialect)
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"
