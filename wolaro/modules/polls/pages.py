"""The polls module's dashboard: a panel on its settings page and a page listing the open polls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.modules.polls import store
from wolaro.sdk import Panel


async def open_data(services: Any, guild_id: int) -> Mapping[str, Any]:
    """The open polls of the server, closing soonest first (an anonymous poll's votes are not shown)."""
    polls = await store.open_polls(services.db, guild_id)
    return {"polls": polls, "channel_ids": [p.channel_id for p in polls]}  # shown by name


PANELS = (
    Panel(title="Open polls", template="panel.html"),
    Panel(title="Open polls", template="open.html", slug="open", data=open_data),
)
