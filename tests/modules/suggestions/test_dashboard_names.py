"""The suggestions queue names its authors (a member who left is "a former member"); the panel shows no id."""

from __future__ import annotations

from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.modules.suggestions import store

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def test_the_queue_shows_author_names(env: Any) -> None:
    sb, guild = env.world.sandbox, env.world.guild_a
    channel, author, gone = sb.text_channel_ids(guild)[1], env.world.plain_a, 987654321098765432
    await store.submit(env.services.db, guild, channel, author, "a music channel")
    await store.submit(env.services.db, guild, channel, gone, "movie nights")
    await env.services.config.set_module_enabled(guild, "suggestions", True, actor_id=None)
    await env.services.config.update_module_config(guild, "suggestions", {"channel_id": channel}, actor_id=None)
    owner = await env.as_user(env.world.owner_a)
    page = (await owner.get(f"/guilds/{guild}/modules/suggestions/queue", headers={"accept": "text/html"})).text
    assert sb.display_name(guild, author) in page and "a former member" in page
    assert str(author) not in page and str(gone) not in page
    panel = (await owner.get(f"/guilds/{guild}/modules/suggestions", headers={"accept": "text/html"})).text
    assert "suggestions channel chosen above" in panel and f"<code>{channel}</code>" not in panel
    french = await owner.get(f"/guilds/{guild}/modules/suggestions/queue", headers={"accept-language": "fr"})
    assert "un ancien membre" in french.text and "Contre" in french.text and "Votes against" not in french.text
