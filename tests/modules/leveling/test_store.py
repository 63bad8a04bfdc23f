"""Leveling's storage on SQLite and PostgreSQL: several processes flushing into the same members add up exactly and
each level is crossed once; admin changes are audited; privacy hooks export and erase a member's XP."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from wolaro.data.database import Database
from wolaro.data.models import AuditLog
from wolaro.modules.leveling import store
from wolaro.modules.leveling.curves import CurveSpec, level_for_xp
from wolaro.modules.leveling.privacy import PRIVACY
from wolaro.modules.leveling.public import member_level

GUILD, OTHER = 111_000_000_000_000_001, 111_000_000_000_000_002
ADA, BOB = 222_000_000_000_000_001, 222_000_000_000_000_002


async def test_processes_flushing_the_same_members_add_up_and_cross_each_level_once(migrated_db, database_url):
    processes = [Database(database_url, pool_size=2, max_overflow=0) for _ in range(4)]  # one pool per "process"

    async def flushes(db: Database) -> list[store.Change]:
        changes: list[store.Change] = []
        for _ in range(25):
            changes += await store.add_batch(db, [store.Award(GUILD, ADA, 10, "Ada"), store.Award(GUILD, BOB, 7)])
        return changes

    try:
        results = await asyncio.gather(*(flushes(db) for db in processes))
    finally:
        for db in processes:
            await db.dispose()
    assert await store.total(migrated_db, GUILD, ADA) == 4 * 25 * 10
    assert await store.total(migrated_db, GUILD, BOB) == 4 * 25 * 7
    curve = CurveSpec()
    for user, final in ((ADA, 1000), (BOB, 700)):
        crossed = Counter(
            level
            for changes in results
            for change in changes
            if change.user_id == user
            for level in range(level_for_xp(change.before, curve) + 1, level_for_xp(change.after, curve) + 1)
        )
        assert sorted(crossed) == list(range(1, level_for_xp(final, curve) + 1))  # no level missed
        assert set(crossed.values()) == {1}  # and none announced twice


async def test_admin_changes_are_audited_and_ranked(migrated_db):
    db = migrated_db
    assert (await store.set_total(db, GUILD, ADA, 500, actor_id=BOB)).after == 500
    change = await store.add_total(db, GUILD, ADA, -600, actor_id=BOB)
    assert (change.before, change.after) == (500, 0)
    await store.import_totals(db, GUILD, [(ADA, 300), (BOB, 900)], actor_id=BOB)
    assert await store.rank(db, GUILD, ADA, 300) == 2
    count, page = await store.leaderboard(db, GUILD)
    assert count == 2 and [row.user_id for row in page] == [BOB, ADA]
    count, past_the_end = await store.leaderboard(db, GUILD, offset=10)
    assert count == 2 and past_the_end == []
    assert await store.leaderboard(db, GUILD + 1) == (0, [])  # another server's members are not counted
    assert await member_level(db, GUILD, BOB) == level_for_xp(900, CurveSpec())
    assert await member_level(db, GUILD, 999) == 0
    assert [c.user_id for c in await store.reset(db, GUILD, ADA, actor_id=BOB)] == [ADA]
    assert await store.export_totals(db, GUILD) == [(BOB, 900)]
    async with db.session() as session:
        query = select(AuditLog.action).where(AuditLog.guild_id == GUILD).order_by(AuditLog.id)
        actions = list(await session.scalars(query))
    assert actions == [store.SET_ACTION, store.ADD_ACTION, store.IMPORT_ACTION, store.RESET_ACTION]


async def test_privacy_hooks_export_and_erase_xp(migrated_db):
    db = migrated_db
    await store.add_batch(db, [store.Award(GUILD, ADA, 50, "Ada", "hash"), store.Award(OTHER, ADA, 5)])
    await store.add_batch(db, [store.Award(GUILD, BOB, 70, "Bob")])
    exported = await PRIVACY.export_user_data(db, ADA, None)
    assert [(row["guild_id"], row["xp"], row["name"]) for row in exported["xp"]] == [
        (str(GUILD), 50, "Ada"),
        (str(OTHER), 5, None),
    ]
    assert await PRIVACY.delete_user_data(db, ADA, OTHER) == 1
    assert await PRIVACY.delete_user_data(db, ADA, None) == 1
    assert await PRIVACY.export_user_data(db, ADA, None) == {}
    assert await store.total(db, GUILD, BOB) == 70  # nobody else's XP is touched
