"""The Database wrapper and the shared models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text

from wolaro.core.services import upgrade_schema_async as upgrade_async
from wolaro.data.database import Database
from wolaro.data.models import AuditLog, Guild, GuildModule


async def test_transaction_commits_on_success(migrated_db: Database) -> None:
    async with migrated_db.transaction() as session:
        session.add(Guild(id=1, prefix="?"))
    async with migrated_db.session() as session:
        guild = await session.get(Guild, 1)
    assert guild is not None
    assert guild.prefix == "?"
    assert guild.language == "en"
    assert guild.settings == {}
    assert guild.blacklisted is False


async def test_transaction_rolls_back_on_exception(migrated_db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with migrated_db.transaction() as session:
            session.add(Guild(id=2))
            await session.flush()
            raise RuntimeError("boom")
    async with migrated_db.session() as session:
        assert await session.get(Guild, 2) is None


async def test_rollback_undoes_every_statement_of_the_transaction(migrated_db: Database) -> None:
    async with migrated_db.transaction() as session:
        session.add(Guild(id=3))
    with pytest.raises(ValueError):
        async with migrated_db.transaction() as session:
            guild = await session.get(Guild, 3)
            assert guild is not None
            guild.prefix = "$"
            session.add(GuildModule(guild_id=3, module="economy", enabled=True))
            await session.flush()
            raise ValueError("half-written change")
    async with migrated_db.session() as session:
        guild = await session.get(Guild, 3)
        assert guild is not None and guild.prefix == "!"
        assert await session.get(GuildModule, (3, "economy")) is None


async def test_json_round_trip(migrated_db: Database) -> None:
    document: dict[str, Any] = {
        "welcome": {"channel": 123456789012345678, "message": "Bienvenue, {user} ! 🎉"},
        "levels": [1, 2.5, None, True, {"nested": []}],
        "empty": {},
    }
    async with migrated_db.transaction() as session:
        session.add(Guild(id=4, settings=document))
        session.add(GuildModule(guild_id=4, module="leveling", enabled=True, config={"roles": {5: 42}}))
    async with migrated_db.session() as session:
        guild = await session.get(Guild, 4)
        module = await session.get(GuildModule, (4, "leveling"))
    assert guild is not None and guild.settings == document
    # JSON object keys are strings: an int key comes back as its string.
    assert module is not None and module.config == {"roles": {"5": 42}}


@pytest.mark.postgres
async def test_json_columns_are_jsonb_on_postgresql(postgres_url: str) -> None:
    await upgrade_async(postgres_url)
    db = Database(postgres_url)
    try:
        async with db.transaction() as session:
            session.add(Guild(id=5, settings={"a": {"b": [1, 2]}}))
        async with db.session() as session:
            kind = await session.scalar(text("SELECT pg_typeof(settings)::text FROM guilds WHERE id = 5"))
            inner = await session.scalar(text("SELECT settings -> 'a' -> 'b' ->> 1 FROM guilds WHERE id = 5"))
    finally:
        await db.dispose()
    assert kind == "jsonb"
    assert inner == "2"


async def test_reassigned_json_is_persisted(migrated_db: Database) -> None:
    async with migrated_db.transaction() as session:
        session.add(Guild(id=6, settings={"n": 1}))
    async with migrated_db.transaction() as session:
        guild = await session.get(Guild, 6)
        assert guild is not None
        guild.settings = {**guild.settings, "n": 2}
    async with migrated_db.session() as session:
        guild = await session.get(Guild, 6)
    assert guild is not None and guild.settings == {"n": 2}


async def test_deleting_a_guild_cascades_to_its_modules(migrated_db: Database) -> None:
    async with migrated_db.transaction() as session:
        session.add_all([Guild(id=7), Guild(id=8)])
        await session.flush()
        session.add_all(
            [
                GuildModule(guild_id=7, module="economy", enabled=True),
                GuildModule(guild_id=7, module="tickets", enabled=False),
                GuildModule(guild_id=8, module="economy", enabled=True),
            ]
        )
    async with migrated_db.transaction() as session:
        await session.execute(delete(Guild).where(Guild.id == 7))
    async with migrated_db.session() as session:
        remaining = (await session.execute(select(GuildModule.guild_id, GuildModule.module))).all()
    assert remaining == [(8, "economy")]


async def test_foreign_key_is_enforced(migrated_db: Database) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        async with migrated_db.transaction() as session:
            session.add(GuildModule(guild_id=999, module="economy", enabled=True))


async def test_timestamps_are_timezone_aware_utc(migrated_db: Database) -> None:
    paris = timezone(timedelta(hours=2))
    moment = datetime(2024, 6, 1, 12, 0, tzinfo=paris)
    async with migrated_db.transaction() as session:
        session.add(Guild(id=9))
        session.add(AuditLog(guild_id=9, action="test", created_at=moment))
        # A row written by SQL alone gets its timestamps from the server default.
        await session.execute(text("INSERT INTO guilds (id, settings) VALUES (10, '{}')"))
    async with migrated_db.session() as session:
        guild = await session.get(Guild, 9)
        raw_guild = await session.get(Guild, 10)
        entry = await session.scalar(select(AuditLog).where(AuditLog.guild_id == 9))
    assert guild is not None and raw_guild is not None and entry is not None
    for value in (guild.created_at, guild.updated_at, raw_guild.created_at, entry.created_at):
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
    assert entry.created_at == moment
    assert abs(raw_guild.created_at - datetime.now(UTC)) < timedelta(minutes=5)


async def test_timestamp_comparisons_follow_time_not_text(migrated_db: Database) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    async with migrated_db.transaction() as session:
        for hours in range(5):
            session.add(AuditLog(guild_id=11, action="tick", created_at=base + timedelta(hours=hours)))
    since = (base + timedelta(hours=2)).astimezone(timezone(timedelta(hours=-5)))  # same instant, other zone
    async with migrated_db.session() as session:
        count = await session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.created_at >= since))
    assert count == 3


async def test_audit_log_ids_autoincrement(migrated_db: Database) -> None:
    async with migrated_db.transaction() as session:
        rows = [
            AuditLog(guild_id=None, actor_id=1, action="blacklist", target="guild:1", after={"reason": "spam"}),
            AuditLog(guild_id=12, actor_id=2, action="module.enable", before=None, after={"enabled": True}),
        ]
        session.add_all(rows)
        await session.flush()
        ids = [row.id for row in rows]
    assert ids[0] is not None and ids[1] == ids[0] + 1
    async with migrated_db.session() as session:
        platform_wide = (await session.scalars(select(AuditLog).where(AuditLog.guild_id.is_(None)))).all()
    assert [row.action for row in platform_wide] == ["blacklist"]
    assert platform_wide[0].after == {"reason": "spam"}


async def test_concurrent_read_modify_write_transactions_lose_nothing(migrated_db: Database) -> None:
    async with migrated_db.transaction() as session:
        session.add(Guild(id=13, settings={"coins": 0}))

    async def add_coin() -> None:
        async with migrated_db.transaction() as session:
            guild = await session.get(Guild, 13, with_for_update=True)
            assert guild is not None
            coins = guild.settings["coins"]
            await asyncio.sleep(0)  # let the others interleave
            guild.settings = {"coins": coins + 1}

    await asyncio.gather(*(add_coin() for _ in range(25)))
    async with migrated_db.session() as session:
        guild = await session.get(Guild, 13)
    assert guild is not None and guild.settings == {"coins": 25}


async def test_ping(migrated_db: Database) -> None:
    assert await migrated_db.ping() is True


async def test_ping_is_false_when_the_server_is_unreachable(unused_tcp_port: int) -> None:
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{unused_tcp_port}/nothing")
    try:
        assert await db.ping() is False
    finally:
        await db.dispose()


async def test_sqlite_connection_pragmas(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        async with db.session() as session:
            values = {
                name: (await session.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            }
    finally:
        await db.dispose()
    assert db.dialect == "sqlite"
    assert values["journal_mode"] == "wal"
    assert values["foreign_keys"] == 1
    assert values["synchronous"] == 1  # NORMAL
    assert int(values["busy_timeout"] or 0) >= 1000


def test_from_settings_creates_the_data_dir_for_sqlite(make_settings, tmp_path) -> None:
    settings = make_settings(data_dir=tmp_path / "nested" / "data")
    db = Database.from_settings(settings)
    try:
        assert (tmp_path / "nested" / "data").is_dir()
        assert db.dialect == "sqlite"
        assert str(tmp_path / "nested" / "data" / "wolaro.db") in db.url
    finally:
        asyncio.run(db.dispose())


@pytest.mark.postgres
def test_from_settings_uses_the_pool_sizes(make_settings, postgres_url) -> None:
    settings = make_settings(database_url=postgres_url, database_pool_size=3, database_max_overflow=2)
    db = Database.from_settings(settings)
    try:
        assert db.dialect == "postgresql"
        assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
        assert db.engine.pool._max_overflow == 2  # type: ignore[attr-defined]
    finally:
        asyncio.run(db.dispose())
