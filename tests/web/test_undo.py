"""One-click undo of a settings change (a new audited change; refused with a reason when it changed again since),
and people's names for the logs."""

from __future__ import annotations

from sqlalchemy import select

from tests.support.web import Env
from wolaro.data.models import AuditLog


async def entries(env: Env, guild: int) -> list[AuditLog]:
    async with env.services.db.session() as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.guild_id == guild).order_by(AuditLog.id))
        return list(rows)


async def test_a_settings_change_is_undone_by_a_new_audited_change(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    resp = await client.patch(
        f"/api/guilds/{guild}/modules/automod", json={"caps": {"enabled": True, "max_ratio": 0.5}}
    )
    assert resp.status_code == 200, resp.text
    changed = (await entries(env, guild))[-1]
    assert changed.action == "module.config" and changed.target == "automod"

    resp = await client.post(f"/api/guilds/{guild}/audit/{changed.id}/undo")
    assert resp.status_code == 200, resp.text
    config = (await env.services.config.get(guild)).module_configs["automod"]
    assert config["caps"]["enabled"] is False and config["caps"]["max_ratio"] == 0.7
    undo = (await entries(env, guild))[-1]
    assert (undo.action, undo.actor_id, undo.before, undo.after) == (
        "module.config",
        env.world.owner_a,
        changed.after,
        changed.before,
    )


async def test_undo_is_refused_with_a_reason_when_the_value_changed_again(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    await client.patch(f"/api/guilds/{guild}/modules/utility", json={"ping_show_shard": True})
    first = (await entries(env, guild))[-1]
    await client.patch(f"/api/guilds/{guild}/modules/utility", json={"ping_show_shard": False})
    count = len(await entries(env, guild))
    resp = await client.post(f"/api/guilds/{guild}/audit/{first.id}/undo", headers={"Accept-Language": "fr"})
    assert resp.status_code == 409
    assert resp.json()["detail"] == "Non annulé : ces réglages ont été modifiés de nouveau depuis."
    assert len(await entries(env, guild)) == count  # nothing written

    await client.patch(f"/api/guilds/{guild}/settings", json={"prefix": "?"})
    prefix = (await entries(env, guild))[-1]
    assert (await client.post(f"/api/guilds/{guild}/audit/{prefix.id}/undo")).status_code == 200
    assert (await env.services.config.get(guild)).prefix == "!"


async def test_undo_is_for_this_servers_settings_changes_only(env: Env) -> None:
    guild, other = env.world.guild_a, env.world.guild_b
    owner_b = await env.as_user(env.world.owner_b)
    await owner_b.patch(f"/api/guilds/{other}/modules/utility", json={"ping_show_shard": True})
    foreign = (await entries(env, other))[-1]
    client = await env.as_user(env.world.owner_a)
    assert (await client.post(f"/api/guilds/{guild}/audit/{foreign.id}/undo")).status_code == 404
    await client.put(f"/api/guilds/{guild}/modules/utility/enabled", json={"enabled": False})
    toggle = (await entries(env, guild))[-1]
    resp = await client.post(f"/api/guilds/{guild}/audit/{toggle.id}/undo")
    assert resp.status_code == 409 and resp.json()["detail"] == "Only a settings change can be undone."


async def test_people_are_named_for_the_logs(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    resp = await client.get(f"/api/guilds/{guild}/members/{env.world.owner_a}")
    assert (
        resp.status_code == 200 and resp.json()["in_server"] is True and resp.json()["name"] != str(env.world.owner_a)
    )
