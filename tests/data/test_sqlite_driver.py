"""The SQLite driver: quick reads run inline (no thread hand-off), slow or blocked ones finish in the connection's
thread without holding up the event loop, writes always go to the thread, and transactions mean what they did."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.util.concurrency import greenlet_spawn

from wolaro.data import sqlite_driver
from wolaro.data.database import Database

#: A read that runs for far longer than the inline budget (counting three million generated rows).
SLOW_READ = (
    "SELECT count(*) FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000000) "
    "SELECT x FROM n)"
)


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with database.transaction() as session:
        await session.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"))
        await session.execute(text("INSERT INTO item (id, name) VALUES (1, 'one'), (2, 'two')"))
    yield database
    await database.dispose()


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls sent to a connection's thread (by function name)."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def test_a_read_session_makes_no_hand_off_and_a_write_makes_one_per_statement(db, hand_offs) -> None:
    async with db.session() as session:  # a pooled connection exists from the fixture's transaction
        assert (await session.execute(text("SELECT name FROM item WHERE id = 2"))).scalar_one() == "two"
        assert (await session.execute(text("SELECT count(*) FROM item"))).scalar_one() == 2
    assert hand_offs == []
    async with db.transaction() as session:
        await session.execute(text("UPDATE item SET name = 'deux' WHERE id = 2"))
        # read your own write: in a writing transaction reads go to the thread too
        assert (await session.execute(text("SELECT name FROM item WHERE id = 2"))).scalar_one() == "deux"
    assert len(hand_offs) == 3  # BEGIN IMMEDIATE with the UPDATE, the SELECT, the COMMIT


async def test_a_read_transaction_keeps_its_snapshot_while_another_commits(db) -> None:
    async with db.session() as reader:
        assert (await reader.execute(text("SELECT count(*) FROM item"))).scalar_one() == 2
        async with db.transaction() as writer:
            await writer.execute(text("INSERT INTO item (id, name) VALUES (3, 'three')"))
        assert (await reader.execute(text("SELECT count(*) FROM item"))).scalar_one() == 2  # same snapshot
    async with db.session() as later:
        assert (await later.execute(text("SELECT count(*) FROM item"))).scalar_one() == 3


async def test_a_slow_read_finishes_in_the_thread_and_goes_there_from_then_on(db, hand_offs) -> None:
    sqlite_driver._slow_reads.discard(SLOW_READ)
    async with db.session() as session:
        assert (await session.execute(text(SLOW_READ))).scalar_one() == 3_000_000
    assert len(hand_offs) == 1 and SLOW_READ in sqlite_driver._slow_reads
    async with db.session() as session:
        assert (await session.execute(text(SLOW_READ))).scalar_one() == 3_000_000
    assert len(hand_offs) == 2  # straight to the thread: no inline attempt first


async def test_a_read_that_meets_a_lock_is_run_again_in_the_thread(db, hand_offs) -> None:
    """SQLITE_BUSY inline (a reader can meet one while another connection recovers the WAL): no wait on the loop."""
    calls: list[str] = []

    def step(connection: sqlite3.Connection) -> str:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return str(connection.execute("SELECT name FROM item WHERE id = 1").fetchone()[0])

    async with db.engine.connect() as connection:
        adapted = (await connection.get_raw_connection()).dbapi_connection
        assert isinstance(adapted, sqlite_driver.OneTripConnection)
        assert await greenlet_spawn(adapted.run, step, sql="SELECT name FROM item -- locked") == "one"
    assert calls[0] == threading.current_thread().name and calls[1] != calls[0]  # inline, then the thread
    assert len(hand_offs) == 1
    sqlite_driver._slow_reads.discard("SELECT name FROM item -- locked")


def test_only_plain_selects_count_as_reads() -> None:
    assert sqlite_driver.is_read("SELECT 1")
    assert sqlite_driver.is_read("select name from item")
    assert not sqlite_driver.is_read("WITH x AS (SELECT 1) INSERT INTO item SELECT * FROM x")
    assert not sqlite_driver.is_read("PRAGMA journal_mode")
    assert not sqlite_driver.is_read("UPDATE item SET name = 'x'")
