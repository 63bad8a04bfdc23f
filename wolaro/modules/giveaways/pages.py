"""The giveaways module's dashboard: a panel on its settings page and a page listing the running giveaways."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.modules.giveaways import store
from wolaro.sdk import Panel


async def running_data(services: Any, guild_id: int) -> Mapping[str, Any]:
    """The running giveaways of the server, ending soonest first."""
    giveaways = await store.active(services.db, guild_id)
    return {"giveaways": giveaways, "channel_ids": [g.channel_id for g in giveaways]}  # shown by name


PANELS = (
    Panel(title="Running giveaways", template="panel.html"),
    Panel(title="Running giveaways", template="running.html", slug="running", data=running_data),
)
