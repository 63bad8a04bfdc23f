"""A member's level for a giveaway's level requirement, through the leveling module's public interface only.

The leveling module is optional: when it is not installed, or is off in the server, no level can be required.
"""

from __future__ import annotations

from typing import Any

LEVELING = "leveling"


def leveling_available(bot: Any, enabled_modules: Any) -> bool:
    """Whether levels can be required here: the leveling module is installed and on in this server."""
    return LEVELING in enabled_modules and LEVELING in bot.config.specs and _public() is not None


def _public() -> Any:
    try:
        from wolaro.modules.leveling import public
    except ImportError:
        return None
    return public if hasattr(public, "level_of") else None


async def level_of(bot: Any, guild_id: int, user_id: int) -> int | None:
    """The member's level in the server, or None if levels are not available."""
    public = _public()
    if public is None:
        return None
    return int(await public.level_of(bot.services.db, guild_id, user_id))
