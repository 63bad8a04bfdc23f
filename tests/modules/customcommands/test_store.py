"""The key-value store's quota holds in SQL: under concurrent writers from separate pools, and whatever quota a
caller passes (negative, zero, huge); values and counts are capped by CHECK constraints too."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from wolaro.data.database import Database
from wolaro.modules.customcommands import store
from wolaro.modules.customcommands.models import HARD_MAX_KEYS

GUILD = 111_111_111_111_111_111


async def test_new_keys_stop_at_the_quota_existing_ones_still_change(migrated_db: Database) -> None:
    for key in ("a", "b", "c"):
        await store.set_value(migrated_db, GUILD, key, "1", quota=3)
    with pytest.raises(store.StoreFull):
        await store.set_value(migrated_db, GUILD, "d", "1", quota=3)
    await store.set_value(migrated_db, GUILD, "a", "2", quota=3)  # an existing key is not a new one
    assert await store.read_all(migrated_db, GUILD) == {"a": "2", "b": "1", "c": "1"}
    assert await store.delete_value(migrated_db, GUILD, "b")
    await store.set_value(migrated_db, GUILD, "d", "1", quota=3)
    assert await store.count(migrated_db, GUILD) == 3
    assert await store.read_all(migrated_db, GUILD + 1) == {}  # another guild sees nothing


@pytest.mark.parametrize("quota", [0, -5])
async def test_a_zero_or_negative_quota_stores_nothing(migrated_db: Database, quota: int) -> None:
    with pytest.raises(store.StoreFull):
        await store.set_value(migrated_db, GUILD, "k", "v", quota=quota)
    assert await store.count(migrated_db, GUILD) == 0


async def test_a_huge_quota_is_capped_by_the_hard_maximum(migrated_db: Database) -> None:
    async with migrated_db.transaction() as session:
        await session.execute(
            text("INSERT INTO customcommands_usage (guild_id, keys) VALUES (:g, :n)"), {"g": GUILD, "n": HARD_MAX_KEYS}
        )
    with pytest.raises(store.StoreFull):
        await store.set_value(migrated_db, GUILD, "one-more", "v", quota=10**12)


async def test_check_constraints_refuse_what_code_would_never_write(migrated_db: Database) -> None:
    with pytest.raises((IntegrityError, DBAPIError)):
        async with migrated_db.transaction() as session:
            await session.execute(
                text("INSERT INTO customcommands_usage (guild_id, keys) VALUES (:g, :n)"),
                {"g": GUILD, "n": HARD_MAX_KEYS + 1},
            )
    with pytest.raises((IntegrityError, DBAPIError)):
        async with migrated_db.transaction() as session:
            await session.execute(
                text("INSERT INTO customcommands_kv (guild_id, key, value, updated_at) VALUES (:g, 'k', :v, :t)"),
                {"g": GUILD, "v": "x" * 1001, "t": "2026-01-01 00:00:00"},
            )


async def test_concurrent_writers_in_separate_pools_never_pass_the_quota(
    database_url: str, migrated_db: Database
) -> None:
    """Four pools (as four bot processes) add 60 different keys at once against a quota of 10."""
    pools = [Database(database_url, pool_size=5, max_overflow=5) for _ in range(4)]

    async def add(index: int) -> bool:
        try:
            await store.set_value(pools[index % 4], GUILD, f"key-{index}", "v", quota=10)
        except store.StoreFull:
            return False
        except (IntegrityError, DBAPIError):  # SQLite: "database is locked" under this much contention
            return False
        return True

    try:
        added = await asyncio.gather(*(add(i) for i in range(60)))
    finally:
        for pool in pools:
            await pool.dispose()
    stored = await store.read_all(migrated_db, GUILD)
    assert len(stored) == sum(added) <= 10
    async with migrated_db.session() as session:
        usage = await session.scalar(text("SELECT keys FROM customcommands_usage WHERE guild_id = :g"), {"g": GUILD})
    assert usage == len(stored)
