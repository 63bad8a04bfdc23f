"""With the real bot: where it is (bot_guilds, shard heartbeat), and seed 002's "Admin role removed on Discord".

The bot and the API run on separate Services sharing PostgreSQL and Redis, as separate processes would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.harness import bot_settings, running_bot
from tests.support.web import World, live, running_env, served
from wolaro.core.discord_endpoint import point_discord_at
from wolaro.data.models import BotGuild


@pytest.mark.parametrize("web_backend", ["postgres-redis"], indirect=True)
async def test_admin_role_removed_closes_the_dashboard_for_that_guild(
    world: World, web_settings, web_backend, tmp_path: Path, eventually
) -> None:
    sb = world.sandbox
    api_settings = web_settings(master_admin_ids=[])
    point_discord_at(sb.api_base)
    bot_config = bot_settings(sb, tmp_path / "bot", **web_backend)
    # a guild the bot was removed from while it was offline: pruned once its shard is ready
    async with running_env(world, api_settings, present=[4242]) as env, running_bot(sb, bot_config) as bot:
        # the bot records where it is, for API processes that have no gateway of their own
        async def recorded() -> bool:
            async with env.services.db.session() as session:
                return set(await session.scalars(select(BotGuild.id))) == set(sb.guild_ids())

        await eventually(recorded, timeout=10)
        health = (await env.client().get("/api/health")).json()
        assert health["gateway"] == "connected" and health["shards"][0]["guilds"] == 2

        user = world.plain_a
        member_role, admin_role = sb.role_id(world.guild_a, "Member"), sb.role_id(world.guild_a, "Admin")
        await sb.member_update(world.guild_a, user, roles=[member_role, admin_role])  # promoted on Discord
        await eventually(lambda: bot.permission_watch.known(world.guild_a, user) is True)

        cookies = await env.cookies_for(user)
        api = env.client(cookies)
        assert (await api.get(f"/api/guilds/{world.guild_a}/settings")).status_code == 200
        owner = await env.cookies_for(world.owner_a)
        async with served(env) as base, live(base, cookies) as dashboard, live(base, owner) as owners:
            assert (await dashboard.join(world.guild_a))["type"] == "joined"
            assert (await owners.join(world.guild_a))["type"] == "joined"

            await sb.member_update(world.guild_a, user, roles=[member_role])  # the Admin role is removed
            revoked = await dashboard.expect("permission:revoked")
            assert revoked["guild_id"] == str(world.guild_a)
            assert revoked["data"]["user_id"] == str(user) and revoked["data"]["reason"]
            assert revoked["data"]["was_manager"] is True

            # the API refuses them for that guild from now on (their cached rights were dropped)
            assert (await api.get(f"/api/guilds/{world.guild_a}/settings")).status_code == 403
            assert (await api.get("/api/guilds")).json() == []
            assert (await dashboard.join(world.guild_a))["code"] == "forbidden"

            # the guild's other dashboards keep receiving its events; theirs does not
            owner_api = env.client(owner)
            await owner_api.patch(f"/api/guilds/{world.guild_a}/settings", json={"prefix": "?"})
            assert (await owners.expect("config:updated"))["data"]["settings"]["prefix"] == "?"
            assert await dashboard.silent()
            assert (await owners.silent(0.05)) is True  # the owner was never revoked
