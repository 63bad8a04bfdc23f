"""Master admins: every guild, audited access, blacklist, stats; health and metrics."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from tests.support.web import Env
from wolaro.core.presence import SHARD_KEY, SHARDS_KEY
from wolaro.data.models import AuditLog


async def access_rows(env: Env, guild_id: int) -> list[AuditLog]:
    async with env.services.db.session() as session:
        rows = await session.scalars(
            select(AuditLog).where(AuditLog.guild_id == guild_id, AuditLog.action == "admin.guild_access")
        )
        return list(rows)


async def test_master_admin_sees_every_guild_and_each_access_is_audited(env: Env) -> None:
    world = env.world
    master = await env.as_user(world.master)
    me = (await master.get("/api/me")).json()
    assert me["master_admin"] is True
    listed = {g["id"]: g["access"] for g in (await master.get("/api/guilds")).json()}
    assert listed == {str(world.guild_a): "master", str(world.guild_b): "master"}  # a plain member of A

    assert (await master.get(f"/api/guilds/{world.guild_b}/settings")).status_code == 200
    resp = await master.patch(f"/api/guilds/{world.guild_b}/settings", json={"prefix": "m!"})
    assert resp.status_code == 200
    rows = await access_rows(env, world.guild_b)
    # access is recorded once per session and guild (issue 9): the write has its own guild.prefix row
    assert [(r.actor_id, r.target) for r in rows] == [(world.master, f"GET /api/guilds/{world.guild_b}/settings")]
    audit = (await master.get(f"/api/guilds/{world.guild_b}/audit", params={"action": "guild.prefix"})).json()
    assert audit["entries"][0]["actor_id"] == str(world.master)
    # the guild's own managers see the master's visits in their audit log
    owner_b = await env.as_user(world.owner_b)
    visits = (await owner_b.get(f"/api/guilds/{world.guild_b}/audit", params={"action": "admin.guild_access"})).json()
    assert len(visits["entries"]) == 1  # the first access of this session
    assert await access_rows(env, world.guild_a) == []  # listing guilds opens none of them
    # a manager using their own rights is not logged as a master access
    await owner_b.get(f"/api/guilds/{world.guild_b}/settings")
    assert len(await access_rows(env, world.guild_b)) == 1


async def test_blacklist_is_master_only_and_audited(env: Env) -> None:
    world = env.world
    owner_a = await env.as_user(world.owner_a)
    refused = await owner_a.put(f"/api/guilds/{world.guild_a}/blacklist", json={"blacklisted": True})
    assert refused.status_code == 403
    master = await env.as_user(world.master)
    resp = await master.put(f"/api/guilds/{world.guild_b}/blacklist", json={"blacklisted": True, "reason": "spam"})
    assert resp.status_code == 200 and resp.json()["blacklisted"] is True
    assert (await env.services.config.get(world.guild_b)).blacklisted
    async with env.services.db.session() as session:
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "guild.blacklist"))
    assert row is not None and row.actor_id == world.master and row.after["reason"] == "spam"


async def test_admin_endpoints(env: Env) -> None:
    owner_a = await env.as_user(env.world.owner_a)
    for path in ("/api/admin/guilds", "/api/admin/cache/stats", "/api/admin/websocket/stats"):
        assert (await owner_a.get(path)).status_code == 403
        assert (await env.client().get(path)).status_code == 401
    master = await env.as_user(env.world.master)
    guilds = (await master.get("/api/admin/guilds")).json()
    assert {g["id"] for g in guilds} == {str(env.world.guild_a), str(env.world.guild_b)}
    cache = (await master.get("/api/admin/cache/stats")).json()
    assert {"redisAvailable", "memoryCacheSize", "cacheHitRate", "guildConfig"} <= set(cache)
    assert cache["redisAvailable"] is (env.services.settings.redis_url is not None)
    ws = (await master.get("/api/admin/websocket/stats")).json()
    assert ws["connectedUsers"] == 0 and ws["totalConnections"] == 0 and ws["rooms"] == 0


async def test_health(env: Env) -> None:
    client = env.client()
    body = (await client.get("/api/health")).json()
    assert body["status"] == "healthy" and body["database"] == "connected"
    assert body["gateway"] == "not reported" and body["websocket"] == "active" and body["connectedUsers"] == 0
    redis = env.services.settings.redis_url is not None
    assert body["redis"] == ("connected" if redis else "not configured")

    cache = env.services.cache
    beat = {"shard_id": 0, "connected": True, "latency_ms": 41.0, "guilds": 2, "ts": 0}
    await cache.set(SHARDS_KEY, orjson.dumps({"shard_count": 2}), ttl=30)
    await cache.set(f"{SHARD_KEY}0", orjson.dumps(beat), ttl=30)
    resp = await client.get("/api/health")  # shard 1 never reported: down
    assert resp.status_code == 503 and resp.json()["gateway"] == "down"
    assert [s["connected"] for s in resp.json()["shards"]] == [True, False]
    await cache.set(f"{SHARD_KEY}1", orjson.dumps({**beat, "shard_id": 1}), ttl=30)
    resp = await client.get("/api/health")
    assert resp.status_code == 200 and resp.json()["gateway"] == "connected"


async def test_health_503_when_the_database_is_down(env: Env) -> None:
    async def down() -> bool:
        return False

    env.services.db.ping = down  # type: ignore[method-assign]
    resp = await env.client().get("/api/health")
    assert resp.status_code == 503 and resp.json()["status"] == "unhealthy"


async def test_metrics(env: Env) -> None:
    from wolaro.core import metrics as core_metrics

    core_metrics.record_command("success", 0.004)
    core_metrics.GATEWAY_EVENTS.counts["MESSAGE_CREATE"] += 3
    client = await env.as_user(env.world.owner_a)
    await client.get(f"/api/guilds/{env.world.guild_a}/settings")
    text = (await client.get("/metrics")).text
    for name in (
        'wolaro_commands_total{status="success"}',
        "wolaro_command_latency_seconds_bucket",
        'wolaro_gateway_events_total{event="MESSAGE_CREATE"}',
        "wolaro_cache_hit_ratio",
        "wolaro_guild_config_hit_ratio",
        "wolaro_websocket_clients 0.0",
        "wolaro_websocket_rooms",
    ):
        assert name in text, name
