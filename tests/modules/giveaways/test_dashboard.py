"""Giveaways on the dashboard: the running giveaways (API and the panel on the settings page), managers only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.data.models import utcnow
from wolaro.modules.giveaways import store
from wolaro.modules.giveaways.service import Requirements

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def test_running_giveaways_api_and_panel(env: Any) -> None:
    guild, channel = env.world.guild_a, env.world.sandbox.text_channel_ids(env.world.guild_a)[0]
    db, jobs = env.services.db, env.services.jobs
    soon = await store.create(
        db,
        jobs,
        guild_id=guild,
        channel_id=channel,
        host_id=env.world.owner_a,
        prize="Nitro",
        winners=2,
        ends_at=utcnow() + timedelta(hours=1),
        requirements=Requirements(),
    )
    over = await store.create(
        db,
        jobs,
        guild_id=guild,
        channel_id=channel,
        host_id=env.world.owner_a,
        prize="Old prize",
        winners=1,
        ends_at=utcnow() + timedelta(hours=2),
        requirements=Requirements(),
    )
    await store.claim_end(db, guild, over, utcnow())
    owner = await env.as_user(env.world.owner_a)
    found = (await owner.get(f"/api/guilds/{guild}/modules/giveaways/active")).json()
    assert [(g["id"], g["prize"], g["channel_id"], g["winners"]) for g in found] == [(soon, "Nitro", str(channel), 2)]
    page = await owner.get(f"/guilds/{guild}/modules/giveaways", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Running giveaways" in page.text and "/giveaway start" in page.text
    listing = await owner.get(f"/guilds/{guild}/modules/giveaways/running", headers={"accept": "text/html"})
    assert listing.status_code == 200 and listing.text.count('class="giveaway-row"') == 1 and "Nitro" in listing.text
    plain = await env.as_user(env.world.plain_a)
    assert (await plain.get(f"/api/guilds/{guild}/modules/giveaways/active")).status_code == 403
    other = await env.as_user(env.world.owner_b)
    assert (await other.get(f"/api/guilds/{guild}/modules/giveaways/active")).status_code == 403
