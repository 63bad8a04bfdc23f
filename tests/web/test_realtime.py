"""Seed 002's real-time sync: an API write reaches every process's config cache and the guild's dashboards only."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from tests.support.web import Env, live, served
from wolaro.core.services import Services
from wolaro.data.pubsub import COMMAND_EXECUTED


async def test_events_reach_the_guild_room_and_only_it(env: Env) -> None:
    world = env.world
    owner_a = await env.cookies_for(world.owner_a)
    owner_b = await env.cookies_for(world.owner_b)
    api_a = env.client(owner_a)
    async with served(env) as base, live(base, owner_a) as room_a, live(base, owner_b) as room_b:
        assert (await room_a.join(world.guild_a))["type"] == "joined"
        assert (await room_b.join(world.guild_b))["type"] == "joined"
        refused = await room_a.join(world.guild_b)  # a manager of A knocking on B's door
        assert refused == {
            "type": "error",
            "code": "forbidden",
            "guild_id": str(world.guild_b),
            "message": "You cannot manage this server",
        }

        assert (await api_a.patch(f"/api/guilds/{world.guild_a}/settings", json={"prefix": "?"})).status_code == 200
        event = await room_a.expect("config:updated")
        assert event["guild_id"] == str(world.guild_a) and event["data"]["settings"] == {"prefix": "?"}

        await api_a.put(f"/api/guilds/{world.guild_a}/modules/utility/enabled", json={"enabled": False})
        toggled = await room_a.expect("module:toggled")
        assert toggled["data"] == {"module": "utility", "enabled": False}

        await api_a.patch(f"/api/guilds/{world.guild_a}/modules/utility", json={"ping_show_shard": True})
        config = await room_a.expect("config:updated")
        assert config["data"]["module"] == "utility" and config["data"]["config"]["ping_show_shard"] is True

        await api_a.post(f"/api/guilds/{world.guild_a}/sync")
        assert (await room_a.expect("guild:reload"))["guild_id"] == str(world.guild_a)

        # the live command log: what the bot publishes for each command
        await env.services.pubsub.publish(
            COMMAND_EXECUTED,
            {"guild_id": world.guild_a, "command": "ping", "user_id": world.owner_a, "status": "success", "ts": 1.0},
        )
        logged = await room_a.expect("command:executed")
        assert logged["data"] == {"command": "ping", "user_id": str(world.owner_a), "status": "success"}

        assert await room_b.silent()  # guild B's dashboard saw none of it

        await room_a.send({"type": "leave", "guild_id": str(world.guild_a)})
        assert (await room_a.recv())["type"] == "left"
        await api_a.patch(f"/api/guilds/{world.guild_a}/settings", json={"prefix": "!"})
        await room_a.send({"type": "ping"})
        assert (await room_a.recv())["type"] == "pong"
        stats = env.web.hub.stats()
        assert stats["totalConnections"] == 2 and stats["connectedUsers"] == 2 and stats["rooms"] == 1


async def test_socket_needs_a_session_and_the_dashboards_origin(env: Env) -> None:
    async with served(env) as base:
        with pytest.raises(InvalidStatus):
            async with live(base, None):
                pass
        with pytest.raises(InvalidStatus):
            async with live(base, {"wolaro_session": "forged"}):
                pass
        cookies = await env.cookies_for(env.world.owner_a)
        with pytest.raises(InvalidStatus):
            async with live(base, cookies, Origin="https://evil.test"):
                pass
        async with live(base, cookies, Origin=base) as ok:
            await ok.send({"type": "nonsense"})
            assert (await ok.recv())["code"] == "bad_request"
            await ok.connection.send(b"\xff binary")
            assert (await ok.recv())["code"] == "bad_request"
            await ok.connection.send("x" * 5000)
            assert (await ok.recv())["message"] == "message too large"
            await ok.send({"type": "join", "guild_id": "not-an-id"})
            assert (await ok.recv())["code"] == "bad_request"
            await ok.send({"type": "ping"})
            assert (await ok.recv()) == {"type": "pong"}
        # logging out closes the session's sockets
        async with live(base, cookies) as open_socket:
            assert (await env.client(cookies).post("/auth/logout")).status_code == 204
            with pytest.raises(Exception, match="4401"):
                await open_socket.recv()


@pytest.mark.parametrize("web_backend", ["postgres-redis"], indirect=True)
async def test_api_write_reaches_another_process(env: Env, eventually) -> None:
    """PostgreSQL + Redis: a bot process (separate Services) drops its cached config when the API writes."""
    world = env.world
    other = await Services.start(env.services.settings, migrate=False)
    try:
        assert (await other.config.get(world.guild_a)).prefix == "!"
        assert other.config.peek(world.guild_a) is not None  # warm in that process
        owner_a = await env.cookies_for(world.owner_a)
        async with served(env) as base, live(base, owner_a) as room_a:
            await room_a.join(world.guild_a)
            api = env.client(owner_a)
            assert (await api.patch(f"/api/guilds/{world.guild_a}/settings", json={"prefix": ">"})).status_code == 200
            await eventually(lambda: other.config.peek(world.guild_a) is None, timeout=5)
            assert (await other.config.get(world.guild_a)).prefix == ">"
            assert (await room_a.expect("config:updated"))["data"]["settings"]["prefix"] == ">"
            # and a write in the other process reaches the dashboard too
            await other.config.set_language(world.guild_a, "fr", actor_id=None)
            assert (await room_a.expect("config:updated"))["data"]["settings"] == {"language": "fr"}
    finally:
        await other.close()
