"""Suggestions on the dashboard: the queue waiting for a decision (API and panel), managers only."""

from __future__ import annotations

from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.data.models import utcnow
from wolaro.modules.suggestions import store
from wolaro.modules.suggestions.service import Status

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def test_suggestions_queue_api_and_panel(env: Any) -> None:
    guild, channel = env.world.guild_a, env.world.sandbox.text_channel_ids(env.world.guild_a)[1]
    db, author = env.services.db, env.world.plain_a
    first = await store.submit(db, guild, channel, author, "a music channel")
    decided = await store.submit(db, guild, channel, author, "movie nights")
    await store.vote(db, guild, first, env.world.owner_a, True)
    await store.vote(db, guild, first, env.world.master, False)
    await store.decide(db, guild, decided, Status.DENIED, env.world.owner_a, "we have one", utcnow())
    owner = await env.as_user(env.world.owner_a)
    queue = (await owner.get(f"/api/guilds/{guild}/modules/suggestions/queue")).json()
    assert queue == [{"id": first, "author_id": str(author), "text": "a music channel", "up": 1, "down": 1}]
    page = await owner.get(f"/guilds/{guild}/modules/suggestions", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Suggestions waiting for a decision" in page.text
    listing = await owner.get(f"/guilds/{guild}/modules/suggestions/queue", headers={"accept": "text/html"})
    assert listing.status_code == 200 and listing.text.count('class="suggestion-row"') == 1
    assert "a music channel" in listing.text and "movie nights" not in listing.text
    plain = await env.as_user(env.world.plain_a)
    assert (await plain.get(f"/api/guilds/{guild}/modules/suggestions/queue")).status_code == 403
