"""The database engine and sessions: SQLite (embedded default, WAL) or PostgreSQL (asyncpg), one interface.

All database access in Wolaro goes through a `Database`: `session()` for reads, `transaction()` for writes.

On SQLite, `transaction()` starts with `BEGIN IMMEDIATE`, so concurrent writers queue on the write lock (up to
`busy_timeout`) instead of failing when a read-then-write transaction finds its snapshot outdated. That is
what makes "read the balance, then update it" safe on SQLite, where `SELECT ... FOR UPDATE` does not exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.settings import Settings

log = get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
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
        engine = create_async_engine(parsed, **kwargs)
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
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


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
