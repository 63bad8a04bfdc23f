"""The running giveaways page names the channel ("#general"), never its id; a deleted channel says so in words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.data.models import utcnow
from wolaro.modules.giveaways import store
from wolaro.modules.giveaways.service import Requirements

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def test_the_running_page_shows_channel_names(env: Any) -> None:
    sb, guild = env.world.sandbox, env.world.guild_a
    channel = sb.text_channel_ids(guild)[0]
    gone = 987654321098765432  # a channel that no longer exists
    for where, prize in ((channel, "Nitro"), (gone, "Stickers")):
        await store.create(
            env.services.db,
            env.services.jobs,
            guild_id=guild,
            channel_id=where,
            host_id=env.world.owner_a,
            prize=prize,
            winners=1,
            ends_at=utcnow() + timedelta(hours=1),
            requirements=Requirements(),
        )
    owner = await env.as_user(env.world.owner_a)
    url = f"/guilds/{guild}/modules/giveaways/running"
    page = (await owner.get(url, headers={"accept": "text/html"})).text
    assert f"#{sb.state.channels[channel].name}" in page and "#deleted channel" in page
    assert str(channel) not in page and str(gone) not in page
    french = (await owner.get(url, headers={"accept": "text/html", "accept-language": "fr"})).text
    assert "#salon supprimé" in french and "Lot" in french and "aucune condition" in french  # the page in French
