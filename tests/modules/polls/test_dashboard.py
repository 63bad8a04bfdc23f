"""Polls on the dashboard: the open polls (API and the panel on the settings page), managers only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.web import env, sandbox, web_backend, web_settings, world
from wolaro.data.models import utcnow
from wolaro.modules.polls import service, store

__all__ = ["env", "sandbox", "web_backend", "web_settings", "world"]


async def test_open_polls_api_and_panel(env: Any) -> None:
    guild, channel = env.world.guild_a, env.world.sandbox.text_channel_ids(env.world.guild_a)[0]
    db, jobs = env.services.db, env.services.jobs
    number = await store.create(
        db,
        jobs,
        guild_id=guild,
        channel_id=channel,
        author_id=env.world.plain_a,
        kind=service.BUTTONS,
        question="Next event?",
        options=["quiz", "movie"],
        ends_at=utcnow() + timedelta(hours=1),
        anonymous=True,
    )
    owner = await env.as_user(env.world.owner_a)
    found = (await owner.get(f"/api/guilds/{guild}/modules/polls/open")).json()
    assert [(p["id"], p["kind"], p["question"], p["options"], p["anonymous"]) for p in found] == [
        (number, "buttons", "Next event?", ["quiz", "movie"], True)
    ]
    page = await owner.get(f"/guilds/{guild}/modules/polls", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Open polls" in page.text and "/poll buttons" in page.text
    listing = await owner.get(f"/guilds/{guild}/modules/polls/open", headers={"accept": "text/html"})
    assert (
        listing.status_code == 200 and "Next event?" in listing.text and "results hidden until the end" in listing.text
    )
    plain = await env.as_user(env.world.plain_a)
    assert (await plain.get(f"/api/guilds/{guild}/modules/polls/open")).status_code == 403
