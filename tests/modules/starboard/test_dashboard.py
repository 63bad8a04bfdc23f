"""The starboard on the dashboard: the most starred messages (API) and the panel on the settings page."""

from __future__ import annotations

from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.data.models import utcnow
from wolaro.modules.starboard import store

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def test_most_starred_api_and_panel(env: Any) -> None:
    guild = env.world.guild_a
    general, board = env.world.sandbox.text_channel_ids(guild)[:2]
    db = env.services.db
    source = store.Source(guild, general, 4242, env.world.plain_a)
    for user in (1, 2, 3):
        await store.add_star(db, source, user)
    assert await store.take_turn(db, guild, 4242, "token", utcnow())
    await store.shown(db, 4242, "token", board, 777, 3)
    assert not await store.another_round(db, 4242, "token")
    owner = await env.as_user(env.world.owner_a)
    top = (await owner.get(f"/api/guilds/{guild}/modules/starboard/top")).json()
    assert top == [{"channel_id": str(general), "message_id": "4242", "stars": 3}]
    page = await owner.get(f"/guilds/{guild}/modules/starboard", headers={"accept": "text/html"})
    assert page.status_code == 200 and "How the starboard works here" in page.text
    plain = await env.as_user(env.world.plain_a)
    assert (await plain.get(f"/api/guilds/{guild}/modules/starboard/top")).status_code == 403
