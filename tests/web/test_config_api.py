"""Guild settings, module configs, switches, audit log, resync and Discord lookups through the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.support.web import Env
from wolaro.data.models import AuditLog, Guild, GuildModule
from wolaro.data.pubsub import GUILD_RELOAD


async def audit_rows(env: Env, guild_id: int) -> list[AuditLog]:
    async with env.services.db.session() as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.guild_id == guild_id).order_by(AuditLog.id))
        return list(rows)


async def stored_guild(env: Env, guild_id: int) -> Guild | None:
    async with env.services.db.session() as session:
        return await session.get(Guild, guild_id)


async def stored_module(env: Env, guild_id: int, module: str) -> dict[str, Any] | None:
    async with env.services.db.session() as session:
        row = await session.get(GuildModule, (guild_id, module))
        return None if row is None else {"enabled": row.enabled, "config": dict(row.config or {})}


async def test_settings_read_and_write(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    resp = await client.get(f"/api/guilds/{guild}/settings")
    assert resp.status_code == 200
    assert resp.json() == {"prefix": "!", "language": "en", "languages": ["en", "fr"], "blacklisted": False}

    resp = await client.patch(f"/api/guilds/{guild}/settings", json={"prefix": "?", "language": "fr"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["prefix"] == "?" and resp.json()["language"] == "fr"
    row = await stored_guild(env, guild)
    assert row is not None and (row.prefix, row.language) == ("?", "fr")
    actions = {(a.action, a.actor_id) for a in await audit_rows(env, guild)}
    assert actions == {("guild.prefix", env.world.owner_a), ("guild.language", env.world.owner_a)}
    assert (await env.services.config.get(guild)).prefix == "?"

    overview = (await client.get(f"/api/guilds/{guild}")).json()
    assert overview["id"] == str(guild) and overview["access"] == "member"
    assert overview["settings"]["prefix"] == "?"
    assert {m["name"] for m in overview["modules"]} >= {"core", "utility"}


async def test_invalid_settings_get_422_naming_the_field_and_change_nothing(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    await client.patch(f"/api/guilds/{guild}/settings", json={"prefix": "$"})
    audit_before = len(await audit_rows(env, guild))

    # a valid prefix with an invalid language: neither is written
    resp = await client.patch(f"/api/guilds/{guild}/settings", json={"prefix": "%", "language": "klingon"})
    assert resp.status_code == 422
    body = resp.json()
    assert body["field"] == "language" and body["detail"][0]["loc"] == ["body", "language"]
    resp = await client.patch(f"/api/guilds/{guild}/settings", json={"prefix": "has space"})
    assert resp.status_code == 422 and resp.json()["field"] == "prefix"
    resp = await client.patch(f"/api/guilds/{guild}/settings", json={"colour": "red"})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "colour"]

    row = await stored_guild(env, guild)
    assert row is not None and (row.prefix, row.language) == ("$", "en")
    assert len(await audit_rows(env, guild)) == audit_before
    assert (await client.get(f"/api/guilds/{guild}/settings")).json()["prefix"] == "$"


async def test_module_config_schema_and_validation(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    module = (await client.get(f"/api/guilds/{guild}/modules/utility")).json()
    assert module["enabled"] is True and module["config"]["ping_show_shard"] is False
    schema = module["config_schema"]
    assert schema["type"] == "object" and {"ping_show_shard", "embed_colour"} <= set(schema["properties"])
    assert schema["properties"]["embed_colour"]["maximum"] == 0xFFFFFF

    resp = await client.patch(f"/api/guilds/{guild}/modules/utility", json={"ping_show_shard": True})
    assert resp.status_code == 200 and resp.json()["config"]["ping_show_shard"] is True
    stored = await stored_module(env, guild, "utility")
    assert stored is not None and stored["config"]["ping_show_shard"] is True
    audit_before = len(await audit_rows(env, guild))

    for changes, field in [
        ({"embed_colour": -5}, "embed_colour"),
        ({"embed_colour": "blue"}, "embed_colour"),
        ({"ping_show_shard": False, "embed_colour": 0x1000000}, "embed_colour"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ]:
        resp = await client.patch(f"/api/guilds/{guild}/modules/utility", json=changes)
        assert resp.status_code == 422, (changes, resp.text)
        assert resp.json()["field"] == field and resp.json()["detail"][0]["loc"] == ["body", field]
    assert await stored_module(env, guild, "utility") == stored  # the valid ping_show_shard=False was not written
    assert len(await audit_rows(env, guild)) == audit_before

    assert (await client.get(f"/api/guilds/{guild}/modules/nope")).status_code == 404
    listed = (await client.get(f"/api/guilds/{guild}/modules")).json()
    assert {m["name"] for m in listed} >= {"core", "utility"} and all("config_schema" in m for m in listed)


async def test_module_switch(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    resp = await client.put(f"/api/guilds/{guild}/modules/utility/enabled", json={"enabled": False})
    assert resp.status_code == 200 and resp.json()["enabled"] is False
    assert not (await env.services.config.get(guild)).is_enabled("utility")
    resp = await client.put(f"/api/guilds/{guild}/modules/core/enabled", json={"enabled": False})
    assert resp.status_code == 422 and resp.json()["field"] == "module"
    assert (await env.services.config.get(guild)).is_enabled("core")
    assert (await client.put(f"/api/guilds/{guild}/modules/utility/enabled", json={})).status_code == 422


async def test_audit_log_filters_and_keyset_pages(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    for prefix in "abcde":
        await client.patch(f"/api/guilds/{guild}/settings", json={"prefix": prefix})
    await client.put(f"/api/guilds/{guild}/modules/utility/enabled", json={"enabled": False})
    await env.services.config.set_prefix(guild, "z", actor_id=123)  # someone else, from chat

    page = (await client.get(f"/api/guilds/{guild}/audit", params={"action": "guild.prefix", "limit": 2})).json()
    assert [e["after"]["prefix"] for e in page["entries"]] == ["z", "e"]
    seen = [e["after"]["prefix"] for e in page["entries"]]
    while page["next_before"]:
        params = {"action": "guild.prefix", "limit": 2, "before": page["next_before"]}
        page = (await client.get(f"/api/guilds/{guild}/audit", params=params)).json()
        seen += [e["after"]["prefix"] for e in page["entries"]]
    assert seen == ["z", "e", "d", "c", "b", "a"]

    mine = (await client.get(f"/api/guilds/{guild}/audit", params={"actor_id": env.world.owner_a})).json()
    assert len(mine["entries"]) == 6 and all(e["actor_id"] == str(env.world.owner_a) for e in mine["entries"])
    first = mine["entries"][-1]
    later = (await client.get(f"/api/guilds/{guild}/audit", params={"since": first["created_at"]})).json()
    assert len(later["entries"]) == 7
    none = (await client.get(f"/api/guilds/{guild}/audit", params={"until": first["created_at"]})).json()
    assert none["entries"] == []
    assert (await client.get(f"/api/guilds/{guild}/audit", params={"limit": 0})).status_code == 422


async def test_forced_resync_publishes_a_reload(env: Env, eventually) -> None:
    received: list[dict[str, Any]] = []

    async def on_reload(channel: str, message: dict[str, Any]) -> None:
        received.append(message)

    env.services.pubsub.subscribe(GUILD_RELOAD, on_reload)
    await env.services.pubsub.wait_subscribed()
    client = await env.as_user(env.world.owner_a)
    resp = await client.post(f"/api/guilds/{env.world.guild_a}/sync")
    assert resp.status_code == 200 and resp.json() == {"ok": True, "guild_id": str(env.world.guild_a)}
    await eventually(lambda: any(m["guild_id"] == env.world.guild_a for m in received))


async def test_channel_and_role_names_come_from_discord(env: Env) -> None:
    sb = env.world.sandbox
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    channels = (await client.get(f"/api/guilds/{guild}/channels")).json()
    assert {c["id"] for c in channels} == {str(c) for c in sb.state.guild(guild).channel_ids}
    assert "general" in {c["name"] for c in channels}
    roles = (await client.get(f"/api/guilds/{guild}/roles")).json()
    assert roles[0]["name"] == "Admin" and {r["name"] for r in roles} >= {"@everyone", "Moderator", "Wolaro"}
    calls = len([c for c in sb.rest_log if c.path.endswith("/roles")])
    await client.get(f"/api/guilds/{guild}/roles")  # cached: no second Discord call
    assert len([c for c in sb.rest_log if c.path.endswith("/roles")]) == calls


async def test_counts_unchanged_by_reads(env: Env) -> None:
    client = await env.as_user(env.world.owner_a)
    for path in ("", "/settings", "/modules", "/modules/utility", "/audit"):
        assert (await client.get(f"/api/guilds/{env.world.guild_a}{path}")).status_code == 200
    async with env.services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog)) == 0
