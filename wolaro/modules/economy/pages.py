"""The economy's dashboard pages: the shop editor panel and the leaderboard page (public when a server says so).

The leaderboard page is at `/guilds/{id}/modules/economy/leaderboard` for the server's managers (names and pictures
fresh from Discord, ten a page). When the server turns on `public_leaderboard`, the same page is also shown without
login at `/public/guilds/{id}/economy/leaderboard`, with the richest members' remembered names (`people.py`); that
address is 404 otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wolaro.modules.economy import people
from wolaro.modules.economy.bank import NAME
from wolaro.modules.economy.config import Config
from wolaro.sdk import Panel


def settings_of(stored: Any) -> Config:
    """A server's economy settings from its stored config (defaults when unreadable)."""
    try:
        return Config.model_validate(dict(stored or {}))
    except ValueError:
        return Config()


async def leaderboard_data(services: Any, guild_id: int) -> Mapping[str, Any]:
    """The leaderboard page's values: the richest members, how many hold money, the currency, public or not."""
    config = await services.config.get(guild_id)
    settings = settings_of(config.module_configs.get(NAME))
    board = [{**row, "money": settings.money(row["total"])} for row in await people.public_board(services.db, guild_id)]
    return {
        "board": board,
        "members": await people.ranked(services.db, guild_id),
        "public": settings.public_leaderboard,
    }


def leaderboard_is_public(stored: Mapping[str, Any]) -> bool:
    """Whether the server made its economy leaderboard public."""
    return bool(stored.get("public_leaderboard", False))


PANELS = (
    Panel(title="Shop", template="shop.html"),
    Panel(
        title="Economy leaderboard",
        template="leaderboard.html",
        slug="leaderboard",
        data=leaderboard_data,
        public=leaderboard_is_public,
    ),
)
