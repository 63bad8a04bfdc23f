"""The suggestions module's dashboard: a panel on its settings page and the queue of suggestions to decide."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.modules.suggestions import store
from wolaro.sdk import Panel


async def queue_data(services: Any, guild_id: int) -> Mapping[str, Any]:
    """The suggestions waiting for a decision, oldest first, with their votes."""
    suggestions = await store.queue(services.db, guild_id)
    return {"suggestions": suggestions, "member_ids": [s.author_id for s in suggestions]}  # shown by name


PANELS = (
    Panel(title="Suggestions waiting for a decision", template="panel.html"),
    Panel(title="Suggestions queue", template="queue.html", slug="queue", data=queue_data),
)
