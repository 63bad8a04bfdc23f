"""A member's level for a giveaway's level requirement, through the leveling module's public interface only.

Levels can be required only where the leveling module is installed and on in the server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

LEVELING = "leveling"

LevelOf = Callable[[Any, int, int], Awaitable[int]]


def _member_level() -> LevelOf | None:
    try:
        from wolaro.modules.leveling.public import member_level
    except ImportError:  # leveling is not installed
        return None
    return member_level


def leveling_available(bot: Any, enabled_modules: Collection[str]) -> bool:
    """Whether levels can be required here: the leveling module is installed and on in this server."""
    return LEVELING in enabled_modules and LEVELING in bot.config.specs and _member_level() is not None


async def level_of(bot: Any, guild_id: int, user_id: int) -> int | None:
    """The member's level in the server, or None if levels are not available."""
    member_level = _member_level()
    if member_level is None:
        return None
    return int(await member_level(bot.services.db, guild_id, user_id))
