"""The leveling module's dashboard panel and pages: how it works, the role rewards, the leaderboard.

The role rewards are edited in the settings form above the panel (a list of level + role, with the server's real
role names). The leaderboard page can be public: anyone may see it without logging in once the server turns on
`public_leaderboard` (and the module is on); its address is 404 otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.modules.leveling.api import board, settings_of
from wolaro.modules.leveling.config import NAME
from wolaro.sdk import Panel

LEADERBOARD_SIZE = 100


async def leaderboard_data(services: Any, guild_id: int) -> Mapping[str, Any]:
    """The leaderboard page's values: the top members with their level, avatar and name."""
    config = await services.config.get(guild_id)
    settings = settings_of(config.module_configs.get(NAME))
    found = await board(services.db, guild_id, settings, limit=LEADERBOARD_SIZE)
    rewards = sorted(settings.role_rewards, key=lambda reward: reward.level)
    return {"leaderboard": found, "public": settings.public_leaderboard, "rewards": rewards}


def leaderboard_is_public(stored: Mapping[str, Any]) -> bool:
    """Whether the server made its leaderboard public."""
    return bool(stored.get("public_leaderboard", False))


PANELS = (
    Panel(title="How leveling works here", template="panel.html"),
    Panel(
        title="Leaderboard",
        template="leaderboard.html",
        slug="leaderboard",
        data=leaderboard_data,
        public=leaderboard_is_public,
    ),
)
