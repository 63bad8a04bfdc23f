"""Per-member blocks of days and active members per day, against sums over the daily rows: written through the
real flush (`rows_of` + `store.write_rows`) and built by the daily job's `store.build_blocks` halfway through, so
later flushes add late counts to built blocks, on SQLite and, with CI, PostgreSQL; every built block sums its
days; leaderboards, overviews and ranks over random ranges give what the daily rows give; the clean-up keeps
blocks equal to the days it keeps; a member's pending counters are dropped when their data is erased, and the
erasure covers their blocks."""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text

from wolaro.data.database import Database
from wolaro.modules.statistics import queries, store
from wolaro.modules.statistics.ingest import Buffer, rows_of
from wolaro.modules.statistics.models import (
    BLOCK_SIZES,
    BlockMark,
    ChannelDaily,
    GuildDaily,
    HourlyActivity,
    OptOut,
    UserBlock,
    UserDaily,
    VoiceSession,
    block_days,
)
from wolaro.modules.statistics.privacy import PRIVACY
from wolaro.modules.statistics.recorder import GuildRules, Recorder
from wolaro.modules.statistics.store import clean_up
from wolaro.sdk import Base

GUILD = 7
FIRST_DAY = 20_400
DAYS = 70
POSTGRES = os.environ.get("WOLARO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = [HourlyActivity, UserDaily, ChannelDaily, GuildDaily, UserBlock, BlockMark, VoiceSession, OptOut]


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request, tmp_path) -> AsyncIterator[Database]:
    admin, name = None, ""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/stats.db")
    else:
        if not os.environ.get("CI"):
            pytest.skip("PostgreSQL: set CI=true (uses the shared server at 127.0.0.1:5432, a database of its own)")
        name = f"wolaro_blocks_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        database = Database(f"{base}/{name}")
    async with database.engine.begin() as conn:
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=[t.__table__ for t in TABLES]))
    try:
        yield database
    finally:
        await database.dispose()
        if admin is not None:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await admin.close()


BUILT_ON = FIRST_DAY + 40
"""The UTC day the blocks are built on, after the second of four flushes: those of the first 38 days are built."""


async def flush_random_activity(db: Database, seed: int = 3) -> dict[tuple[int, int], tuple[int, int]]:
    """Messages and voice over DAYS days for 30 members, in several flushes (rows meet again: upserts add up).

    The blocks whose days are over on `BUILT_ON` are built after the second flush: the next two bring late counts
    for their days (added to them) and counts for days not built yet (in the daily rows only).
    """
    rng = random.Random(seed)
    truth: dict[tuple[int, int], list[int]] = {}
    for flush in range(4):
        if flush == 2:
            assert await store.build_blocks(db, BUILT_ON) > 0
        buffer = Buffer()
        for _ in range(600):
            day = FIRST_DAY + rng.randrange(DAYS)
            user = 100 + int(30 * rng.random() ** 2)
            hour = day * 24 + rng.randrange(24)
            sums = truth.setdefault((day, user), [0, 0])
            if rng.random() < 0.8:
                buffer.add_message(GUILD, hour, 1 + rng.randrange(3), user)
                sums[0] += 1
            else:
                seconds = rng.randrange(1, 3600)
                buffer.add_voice(GUILD, 9, user, [(hour, seconds)])
                sums[1] += seconds
        async with db.transaction() as session:
            await store.write_rows(session, rows_of(buffer.take(), lambda g: "UTC"))
    return {key: (m, v) for key, (m, v) in truth.items()}


async def test_built_blocks_sum_their_days_and_later_ones_wait_for_their_days_to_be_over(db):
    truth = await flush_random_activity(db)
    async with db.session() as session:
        built = await store.built_blocks(session)
        blocks = (
            await session.execute(
                text("SELECT size, block, user_id, messages, voice_seconds FROM statistics_user_blocks")
            )
        ).all()
    assert built == {size: store.last_complete_block(size, BUILT_ON) for size in BLOCK_SIZES}
    assert all(block_days(built[size], size)[1] <= BUILT_ON - 2 for size in BLOCK_SIZES)
    assert all(block_days(built[size] + 1, size)[1] > BUILT_ON - 2 for size in BLOCK_SIZES)
    expected: dict[tuple[int, int, int], list[int]] = {}
    for (day, user), (m, v) in truth.items():
        for size in BLOCK_SIZES:
            block = (day + 3) // size
            if block <= built[size]:
                sums = expected.setdefault((size, block, user), [0, 0])
                sums[0] += m
                sums[1] += v
    assert {(size, block, user): [m, v] for size, block, user, m, v in blocks} == expected
    assert await store.build_blocks(db, BUILT_ON) == 0  # built once


def expected_board(truth, a: int, b: int, metric: int) -> list[tuple[int, int]]:
    totals: dict[int, int] = {}
    for (day, user), values in truth.items():
        if a <= day <= b:
            totals[user] = totals.get(user, 0) + values[metric]
    return sorted(((u, v) for u, v in totals.items() if v > 0), key=lambda p: (-p[1], p[0]))


def test_a_range_is_cut_into_built_blocks_and_days_counting_each_day_once():
    rng = random.Random(8)
    for _ in range(2000):
        built = {size: (FIRST_DAY + rng.randrange(-30, 200)) // size for size in BLOCK_SIZES if rng.random() < 0.9}
        a = FIRST_DAY + rng.randrange(150)
        b = a + rng.randrange(120)
        cut = queries.pieces(a, b, built)
        counted: dict[int, int] = {}
        for sign, size, first, last in cut:
            if size == 1:
                days = range(first, last + 1)
            else:
                assert first <= last <= built[size]
                days = range(block_days(first, size)[0], block_days(last, size)[1] + 1)
            for day in days:
                counted[day] = counted.get(day, 0) + sign
        assert {day: n for day, n in counted.items() if n} == dict.fromkeys(range(a, b + 1), 1), (a, b, built, cut)
    assert queries.pieces(FIRST_DAY, FIRST_DAY + 89, {}) == [(1, 1, FIRST_DAY, FIRST_DAY + 89)]  # nothing built
    built = {size: 10**6 for size in BLOCK_SIZES}
    assert queries.pieces(FIRST_DAY + 1, FIRST_DAY + 89, built)[0][0] == 1
    assert any(sign < 0 for a in range(FIRST_DAY, FIRST_DAY + 60) for sign, *_ in queries.pieces(a, a + 60, built))


async def test_blocks_answer_like_the_days_over_any_range(db):
    truth = await flush_random_activity(db)
    rng = random.Random(5)
    ranges = [(FIRST_DAY, FIRST_DAY + DAYS - 1), (FIRST_DAY + 3, FIRST_DAY + 3)]
    ranges += [(a, a + rng.randrange(60)) for a in (FIRST_DAY + rng.randrange(DAYS) for _ in range(25))]
    async with db.session() as session:
        built = await store.built_blocks(session)
    assert sum(size > 1 for a, b in ranges for _, size, *_ in queries.pieces(a, b, built)) >= 10  # blocks are read
    for a, b in ranges:
        for metric, name in ((0, "messages"), (1, "voice")):
            board = await queries.leaderboard(db, GUILD, name, (a, b), limit=50)  # type: ignore[arg-type]
            assert [(int(r["user_id"]), r["value"]) for r in board] == expected_board(truth, a, b, metric), (a, b)
        overview = await queries.overview(db, GUILD, (a, b))
        active = {user for (day, user) in truth if a <= day <= b}
        assert overview["active_members"] == len(active), (a, b)
        per_day = {d["day"]: d["active_members"] for d in overview["days"]}
        expected = {queries.day_date(d).isoformat(): sum(1 for (x, _) in truth if x == d) for d in range(a, b + 1)}
        assert per_day == {day: n for day, n in expected.items() if n}, (a, b)
        board = expected_board(truth, a, b, 0)
        if board:
            user = board[-1][0]
            stats = await queries.user_stats(db, GUILD, user, (a, b))
            assert stats["rank"] == 1 + sum(1 for _, v in board if v > board[-1][1])


async def test_the_clean_up_keeps_blocks_equal_to_the_days_kept(db):
    truth = await flush_random_activity(db)
    oldest = FIRST_DAY + 31  # inside a week and inside a 4-week block
    assert any(block_days(b, 7)[0] < oldest <= block_days(b, 7)[1] for b in range(2900, 3000))
    await clean_up(db, GUILD, oldest_hour=0, oldest_day=oldest)
    kept = {key: values for key, values in truth.items() if key[0] >= oldest}
    for a, b in ((FIRST_DAY - 30, FIRST_DAY + DAYS), (oldest - 10, oldest + 12)):
        board = await queries.leaderboard(db, GUILD, "messages", (a, b), limit=50)
        assert [(int(r["user_id"]), r["value"]) for r in board] == expected_board(kept, a, b, 0)
    async with db.session() as session:
        stale = await session.execute(
            text("SELECT COUNT(*) FROM statistics_user_blocks WHERE block * size + size - 4 < :d"), {"d": oldest}
        )
        assert stale.scalar() == 0


async def test_an_erasure_drops_pending_counters_and_keeps_the_opt_out(db):
    async def rules(guild_ids: set[int]) -> dict[int, GuildRules]:
        return dict.fromkeys(guild_ids, GuildRules())

    recorder = Recorder(db, rules=rules)
    for user in (1, 2):
        recorder.count_message(GUILD, FIRST_DAY * 24, 1, user)
        recorder.count_message(GUILD + 1, FIRST_DAY * 24, 1, user)
    assert recorder.forget_member(1, GUILD) == 1  # in one server
    assert recorder.forget_member(2) == 2  # everywhere
    assert set(recorder.buffer.batch.messages) == {(GUILD + 1, FIRST_DAY * 24, 1, 1)}
    assert await recorder.flush()
    await store.build_blocks(db, FIRST_DAY + 60)
    await store.set_opt_out(db, GUILD + 1, 1, out=True, now=1)
    assert await PRIVACY.delete_user_data(db, 1, None) == 2 + len(BLOCK_SIZES)  # hourly, daily, one block per size
    assert await PRIVACY.export_user_data(db, 1, None) == {
        "optouts": [{"guild_id": str(GUILD + 1), "since": 1}]
    }  # the choice not to be counted stays
