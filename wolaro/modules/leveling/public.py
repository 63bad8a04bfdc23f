"""What other modules may use of leveling (import only this file, never the module's insides).

from wolaro.modules.leveling.public import member_level

if await member_level(db, guild_id, user_id) < 5:
    raise UserFacingError("You need level 5 to enter this giveaway.")
"""

from __future__ import annotations

from sqlalchemy import select

from wolaro.modules.leveling.config import NAME, Config
from wolaro.modules.leveling.curves import CurveSpec, level_for_xp
from wolaro.modules.leveling.models import LevelingMember
from wolaro.sdk import Database, stored_module_config

__all__ = ["member_level"]


async def member_level(db: Database, guild_id: int, user_id: int) -> int:
    """A member's level in a server by its leveling settings (0 if they have no XP or leveling was never set up).

    Reads the stored XP (what the last batched write holds: a member's last second of chat may not count yet) and
    the server's curve from its stored settings. Two small queries; fine for a command, not for every message.
    """
    async with db.session() as session:
        xp = await session.scalar(
            select(LevelingMember.xp).where(LevelingMember.guild_id == guild_id, LevelingMember.user_id == user_id)
        )
    if not xp:
        return 0
    stored = await stored_module_config(db, guild_id, NAME)
    known = {k: v for k, v in stored.items() if k in Config.model_fields}
    try:
        settings = Config.model_validate(known)
    except ValueError:
        settings = Config()
    return level_for_xp(int(xp), CurveSpec.of(settings))
