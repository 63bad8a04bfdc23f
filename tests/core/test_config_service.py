"""The guild config service on SQLite and PostgreSQL, with memory and Redis caches, across two 'processes'."""

import asyncio

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from wolaro.core.config_service import ConfigError, GuildConfigService
from wolaro.core.registry import discover_specs
from wolaro.data import guilds as repo
from wolaro.data.cache import make_cache
from wolaro.data.models import AuditLog
from wolaro.data.pubsub import make_pubsub

GUILD = 111_000_000_000_000_001
OTHER = 222_000_000_000_000_002


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend_settings(request, make_settings, database_url):
    """Settings for one process: the test's database, and memory or the real Redis for cache and pub/sub."""
    extra = {}
    if request.param == "redis":
        extra = {
            "redis_url": request.getfixturevalue("redis_url"),
            "redis_prefix": request.getfixturevalue("redis_prefix"),
        }
    return make_settings(database_url=database_url, **extra)


async def start_service(settings, db):
    cache = make_cache(settings)
    pubsub = make_pubsub(settings)
    await pubsub.start()
    service = GuildConfigService(db, cache, pubsub, discover_specs())
    service.attach()
    return service


@pytest_asyncio.fixture
async def service(backend_settings, migrated_db):
    svc = await start_service(backend_settings, migrated_db)
    yield svc
    await svc.pubsub.close()
    await svc.cache.close()


async def audit_count(db, guild_id):
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.guild_id == guild_id))


async def test_unconfigured_guild_gets_defaults(service):
    config = await service.get(GUILD)
    assert config.prefix == "!"
    assert config.language == "en"
    assert {"core", "utility", "admin"} <= config.enabled_modules
    assert config.module_configs["utility"]["ping_show_shard"] is False


async def test_prefix_change_is_stored_audited_and_isolated(service, migrated_db):
    await service.get(OTHER)
    config = await service.set_prefix(GUILD, "?", actor_id=42)
    assert config.prefix == "?"
    assert (await service.get(OTHER)).prefix == "!"
    async with migrated_db.session() as session:
        rows = await repo.query_audit(session, guild_id=GUILD)
    assert [(r.action, r.actor_id, r.before, r.after) for r in rows] == [
        ("guild.prefix", 42, {"prefix": "!"}, {"prefix": "?"})
    ]
    assert await audit_count(migrated_db, OTHER) == 0


@pytest.mark.parametrize("bad", ["", "has space", "x" * 17])
async def test_bad_prefix_is_refused_and_nothing_is_written(service, migrated_db, bad):
    with pytest.raises(ConfigError) as info:
        await service.set_prefix(GUILD, bad, actor_id=1)
    assert info.value.field == "prefix"
    assert (await service.get(GUILD)).prefix == "!"
    assert await audit_count(migrated_db, GUILD) == 0


async def test_module_config_is_validated_field_by_field(service, migrated_db):
    new = await service.update_module_config(GUILD, "utility", {"embed_colour": 255}, actor_id=1)
    assert new["embed_colour"] == 255
    with pytest.raises(ConfigError) as info:
        await service.update_module_config(GUILD, "utility", {"embed_colour": "not a colour"}, actor_id=1)
    assert info.value.field == "embed_colour"
    with pytest.raises(ConfigError) as info:
        await service.update_module_config(GUILD, "utility", {"embed_colour": 2**30}, actor_id=1)
    assert info.value.field == "embed_colour"
    with pytest.raises(ConfigError) as info:
        await service.update_module_config(GUILD, "utility", {"nope": 1}, actor_id=1)
    assert info.value.field == "nope"
    with pytest.raises(ConfigError):
        await service.update_module_config(GUILD, "no-such-module", {"x": 1}, actor_id=1)
    assert (await service.get(GUILD)).module_configs["utility"]["embed_colour"] == 255
    assert await audit_count(migrated_db, GUILD) == 1


async def test_modules_toggle_and_required_modules_stay_on(service):
    config = await service.set_module_enabled(GUILD, "utility", False, actor_id=1)
    assert "utility" not in config.enabled_modules
    with pytest.raises(ConfigError):
        await service.set_module_enabled(GUILD, "core", False, actor_id=1)
    assert "utility" in (await service.get(OTHER)).enabled_modules


async def test_concurrent_reads_load_once(service, monkeypatch):
    calls = 0
    original = repo.load_guild

    async def counting(session, guild_id):
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return await original(session, guild_id)

    monkeypatch.setattr(repo, "load_guild", counting)
    await service.cache.delete(f"guild:config:{GUILD}")
    configs = await asyncio.gather(*(service.get(GUILD) for _ in range(20)))
    assert calls == 1
    assert len({id(c) for c in configs}) == 1


@pytest.mark.redis
async def test_a_write_in_one_process_reaches_the_other(
    make_settings, database_url, redis_url, redis_prefix, migrated_db, eventually
):
    backend_settings = make_settings(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix)
    reader = await start_service(backend_settings, migrated_db)
    writer = await start_service(backend_settings, migrated_db)
    try:
        assert (await reader.get(GUILD)).prefix == "!"
        assert reader.peek(GUILD) is not None
        await writer.set_prefix(GUILD, "$", actor_id=1)
        await eventually(lambda: reader.peek(GUILD) is None, timeout=5)
        assert (await reader.get(GUILD)).prefix == "$"
        await writer.set_module_enabled(GUILD, "utility", False, actor_id=1)
        await eventually(lambda: reader.peek(GUILD) is None, timeout=5)
        assert "utility" not in (await reader.get(GUILD)).enabled_modules
    finally:
        for svc in (reader, writer):
            await svc.pubsub.close()
            await svc.cache.close()


async def test_config_survives_a_redis_outage(make_settings, sqlite_url, redis_server_process, eventually):
    from wolaro.core.services import upgrade_schema_async as upgrade_async
    from wolaro.data.database import Database

    await upgrade_async(sqlite_url)
    db = Database(sqlite_url)
    settings = make_settings(database_url=sqlite_url, redis_url=redis_server_process.url, redis_health_interval=0.2)
    service = await start_service(settings, db)
    try:
        await service.set_prefix(GUILD, "?", actor_id=1)
        redis_server_process.stop()
        assert (await service.get(GUILD)).prefix == "?"
        await service.set_prefix(GUILD, "%", actor_id=1)  # written while Redis is down
        assert (await service.get(GUILD)).prefix == "%"
        redis_server_process.start()
        await eventually(lambda: service.cache.available, timeout=10)
        assert (await service.get(GUILD)).prefix == "%"
    finally:
        await service.pubsub.close()
        await service.cache.close()
        await db.dispose()


async def test_prefetch_fills_local_cache_in_bulk(service, monkeypatch):
    await service.set_prefix(GUILD, "?", actor_id=1)
    await service.set_module_enabled(OTHER, "utility", False, actor_id=1)
    await service.drop_local(None)
    singles = 0
    original = repo.load_guild

    async def counting(session, guild_id):
        nonlocal singles
        singles += 1
        return await original(session, guild_id)

    monkeypatch.setattr(repo, "load_guild", counting)
    fresh = list(range(10**17, 10**17 + 1200))
    assert await service.prefetch([GUILD, OTHER, *fresh]) == 1202
    assert service.peek(GUILD).prefix == "?"
    assert "utility" not in service.peek(OTHER).enabled_modules
    assert service.peek(fresh[-1]).prefix == "!"
    assert (await service.get(fresh[0])).prefix == "!"
    assert singles == 0
    # guilds that never configured a module share one defaults mapping
    assert service.peek(fresh[0]).module_configs["utility"] is service.peek(fresh[1]).module_configs["utility"]
    assert await service.prefetch([GUILD]) == 0


async def test_concurrent_first_writes_to_a_new_guild_do_not_collide(backend_settings, migrated_db):
    """Two processes configuring a brand-new guild at once: both writes land, no IntegrityError."""
    first = await start_service(backend_settings, migrated_db)
    second = await start_service(backend_settings, migrated_db)
    try:
        guild = 333_000_000_000_000_003
        await asyncio.gather(
            first.set_module_enabled(guild, "utility", False, actor_id=1),
            second.update_module_config(guild, "utility", {"embed_colour": 7}, actor_id=2),
            first.set_prefix(guild, "?", actor_id=1),
        )
        async with migrated_db.session() as session:
            record = await repo.load_guild(session, guild)
        assert record.prefix == "?"
        assert record.modules["utility"][0] is False
        assert record.modules["utility"][1]["embed_colour"] == 7
    finally:
        for svc in (first, second):
            await svc.pubsub.close()
            await svc.cache.close()
