"""The most starred messages are a dashboard page naming the channel and the author, never their ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.modules.starboard import store
from wolaro.modules.starboard.models import StarboardPost

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def test_the_top_page_shows_names(env: Any) -> None:
    sb, guild = env.world.sandbox, env.world.guild_a
    channel, author, message = sb.text_channel_ids(guild)[0], env.world.plain_a, 123456789012345678
    db = env.services.db
    await store.add_star(db, store.Source(guild, channel, message, author), env.world.owner_a)
    async with db.session() as session:  # as the board would: reposted with 1 star shown
        await session.execute(
            update(StarboardPost)
            .where(StarboardPost.message_id == message)
            .values(board_channel_id=channel, board_message_id=message + 1, shown_stars=1)
        )
        await session.commit()
    await env.services.config.set_module_enabled(guild, "starboard", True, actor_id=None)
    owner = await env.as_user(env.world.owner_a)
    page = (await owner.get(f"/guilds/{guild}/modules/starboard/top", headers={"accept": "text/html"})).text
    assert 'class="starred-row"' in page
    assert f"#{sb.state.channels[channel].name}" in page and sb.display_name(guild, author) in page
    assert f">{channel}<" not in page and str(author) not in page
    panel = (await owner.get(f"/guilds/{guild}/modules/starboard", headers={"accept": "text/html"})).text
    assert f"/guilds/{guild}/modules/starboard/top" in panel and f"<code>{channel}</code>" not in panel
    french = await owner.get(f"/guilds/{guild}/modules/starboard/top", headers={"accept-language": "fr"})
    assert "Ouvrir dans Discord" in french.text and "Étoiles" in french.text
