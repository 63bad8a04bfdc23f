"""PostgreSQL stopped for 10 s while statistics keep arriving (a private server, never the shared one): nothing
that arrived within the buffer bound is lost once it is back; past the bound, drops are counted and logged."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from tests.support.private_postgres import postgres_bin, private_postgres
from wolaro.data.database import Database
from wolaro.modules.statistics import metrics
from wolaro.modules.statistics.models import (
    BlockMark,
    ChannelDaily,
    GuildDaily,
    HourlyActivity,
    OptOut,
    UserBlock,
    UserDaily,
    VoiceSession,
)
from wolaro.modules.statistics.recorder import GuildRules, Recorder
from wolaro.sdk import Base

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.postgres,
    pytest.mark.skipif(postgres_bin() is None, reason="needs PostgreSQL's server binaries (initdb, pg_ctl)"),
]
TABLES = [HourlyActivity, UserDaily, ChannelDaily, GuildDaily, UserBlock, BlockMark, VoiceSession, OptOut]
GUILD = 900_000_000_000_000_001


async def rules(guild_ids: set[int]) -> dict[int, GuildRules]:
    return dict.fromkeys(guild_ids, GuildRules())


async def stored(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        hourly = (await session.execute(text("SELECT COALESCE(SUM(messages), 0) FROM statistics_hourly"))).scalar()
        daily = (await session.execute(text("SELECT COALESCE(SUM(messages), 0) FROM statistics_user_daily"))).scalar()
    return int(hourly or 0), int(daily or 0)


async def chat_through_an_outage(server, recorder: Recorder, *, users: int) -> int:
    """Messages from `users` members (one new counter each at first) for 14 s; the server is down from 2 s to 12 s."""
    sent = 0
    started = time.monotonic()
    stopped = restarted = False
    hour = int(time.time() // 3600)
    while (elapsed := time.monotonic() - started) < 14:
        if elapsed > 2 and not stopped:
            await asyncio.to_thread(server.stop, "fast")
            stopped = True
        if elapsed > 12 and not restarted:
            await asyncio.to_thread(server.start)
            restarted = True
        for user in range(users):
            recorder.count_message(GUILD, hour, 1, 1_000 + user)
            sent += 1
        await asyncio.sleep(0.05)
    return sent


@pytest.fixture
async def database():
    with private_postgres() as server:
        db = Database(server.url, pool_size=2, max_overflow=0)
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=[t.__table__ for t in TABLES]))
        try:
            yield server, db
        finally:
            await db.dispose()


async def test_no_event_within_the_bound_is_lost(database, eventually):
    server, db = database
    recorder = Recorder(db, rules=rules, interval=0.2, max_backoff=1.0)
    recorder.start()
    try:
        sent = await chat_through_an_outage(server, recorder, users=20)
        assert recorder.failures > 0 or recorder.buffer.dropped == 0
        await eventually(lambda: recorder.failures == 0 and not len(recorder.buffer), timeout=30, interval=0.1)
    finally:
        await recorder.stop()
    assert await stored(db) == (sent, sent)
    assert recorder.buffer.dropped == 0


async def test_past_the_bound_drops_are_counted_and_the_rest_is_kept(database, eventually):
    server, db = database
    recorder = Recorder(db, rules=rules, interval=0.2, max_backoff=1.0, max_keys=30)
    dropped_before = metrics.DROPPED._value.get()
    recorder.start()
    hour = int(time.time() // 3600)
    try:
        await asyncio.to_thread(server.stop, "fast")
        for user in range(50):  # 50 new counters, 30 fit: 20 messages cannot be kept
            recorder.count_message(GUILD, hour, 1, 5_000 + user)
        for user in range(30):  # counters already held keep counting
            recorder.count_message(GUILD, hour, 1, 5_000 + user)
        await asyncio.sleep(1)
        assert not await recorder.flush()
        await asyncio.to_thread(server.start)
        await eventually(lambda: recorder.failures == 0 and not len(recorder.buffer), timeout=30, interval=0.1)
    finally:
        await recorder.stop()
    assert await stored(db) == (60, 60)
    assert recorder.buffer.dropped == 20
    assert metrics.DROPPED._value.get() - dropped_before == 20
