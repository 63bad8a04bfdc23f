"""The open polls page names the poll's channel, never its id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.data.models import utcnow
from wolaro.modules.polls import service, store

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def test_the_open_polls_page_shows_channel_names(env: Any) -> None:
    sb, guild = env.world.sandbox, env.world.guild_a
    channel = sb.text_channel_ids(guild)[0]
    await store.create(
        env.services.db,
        env.services.jobs,
        guild_id=guild,
        channel_id=channel,
        author_id=env.world.plain_a,
        kind=service.BUTTONS,
        question="Next event?",
        options=["quiz", "movie"],
        ends_at=utcnow() + timedelta(hours=1),
    )
    owner = await env.as_user(env.world.owner_a)
    page = (await owner.get(f"/guilds/{guild}/modules/polls/open", headers={"accept": "text/html"})).text
    assert f"#{sb.state.channels[channel].name}" in page and str(channel) not in page
    french = await owner.get(
        f"/guilds/{guild}/modules/polls/open", headers={"accept": "text/html", "accept-language": "fr"}
    )
    assert "Boutons" in french.text and "Fin (UTC)" in french.text and "Closes (UTC)" not in french.text
