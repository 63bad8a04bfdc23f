"""Leveling on the dashboard: the leaderboard API and page (avatars, names, levels), and the public leaderboard that
shows one guild's board without login only when that guild turned it on (404 otherwise)."""

from __future__ import annotations

from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.modules.leveling import store

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def seed(env: Any, guild: int) -> tuple[int, int]:
    ada, bob = env.world.sandbox.member_ids(guild)[2:4]
    await store.add_batch(
        env.services.db,
        [
            store.Award(guild, ada, 300, "Ada <script>", "a1b2c3"),
            store.Award(guild, bob, 120, "Bob", None),
        ],
    )
    return ada, bob


async def test_leaderboard_api_and_page(env: Any) -> None:
    guild = env.world.guild_a
    ada, bob = await seed(env, guild)
    owner = await env.as_user(env.world.owner_a)
    board = (await owner.get(f"/api/guilds/{guild}/modules/leveling/leaderboard")).json()
    assert board["members"] == 2
    assert [(e["user_id"], e["level"], e["xp"]) for e in board["entries"]] == [(str(ada), 2, 300), (str(bob), 1, 120)]
    assert board["entries"][0]["avatar_url"] == f"https://cdn.discordapp.com/avatars/{ada}/a1b2c3.png?size=64"
    page = await owner.get(f"/guilds/{guild}/modules/leveling/leaderboard", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Ada &lt;script&gt;" in page.text and "Level 2" in page.text and "a1b2c3.png" in page.text
    plain = await env.as_user(env.world.plain_a)
    assert (await plain.get(f"/api/guilds/{guild}/modules/leveling/leaderboard")).status_code == 403


async def test_public_leaderboard_only_when_the_guild_enabled_it(env: Any) -> None:
    guild, other = env.world.guild_a, env.world.guild_b
    await seed(env, guild)
    await seed(env, other)
    anonymous = env.client()
    url = f"/public/guilds/{guild}/leveling/leaderboard"
    assert (await anonymous.get(url)).status_code == 404  # module off
    config = env.services.config
    await config.set_module_enabled(guild, "leveling", True, actor_id=None)
    assert (await anonymous.get(url)).status_code == 404  # on, but the leaderboard is not public
    await config.update_module_config(guild, "leveling", {"public_leaderboard": True}, actor_id=None)
    shown = await anonymous.get(url, headers={"accept": "text/html"})
    assert shown.status_code == 200 and "Level 2" in shown.text and "Ada &lt;script&gt;" in shown.text
    assert "Log in with Discord" in shown.text  # nobody is logged in
    for path in (
        f"/public/guilds/{other}/leveling/leaderboard",  # the other guild did not make its board public
        f"/public/guilds/{guild}/leveling/nothing",
        f"/public/guilds/{guild}/counting/leaderboard",
        f"/public/guilds/{guild}/utility/leaderboard",
    ):
        assert (await anonymous.get(path)).status_code == 404, path
    await config.update_module_config(guild, "leveling", {"public_leaderboard": False}, actor_id=None)
    assert (await anonymous.get(url)).status_code == 404
