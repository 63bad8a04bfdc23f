"""The starboard's dashboard: how it works here (a panel on its settings page) and the most starred messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.modules.starboard import store
from wolaro.sdk import Panel


async def top_data(services: Any, guild_id: int) -> Mapping[str, Any]:
    """The ten most starred messages, with their channel and author shown by name."""
    posts = await store.top(services.db, guild_id)
    return {
        "posts": posts,
        "channel_ids": [p.source.channel_id for p in posts],
        "member_ids": [p.source.author_id for p in posts],
    }


PANELS = (
    Panel(title="How the starboard works here", template="panel.html"),
    Panel(title="Most starred messages", template="top.html", slug="top", data=top_data),
)
