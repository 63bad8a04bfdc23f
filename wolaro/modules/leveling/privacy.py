"""What leveling keeps about a person, for `/privacy export` and `/privacy delete` (Wolaro's `UserData`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select

from wolaro.modules.leveling.models import LevelingMember
from wolaro.sdk import Database, jsonable


class LevelingData:
    """A member's XP per server, with the name and avatar shown on the leaderboard."""

    stores: Mapping[str, str] = {
        "leveling_members.user_id": "Your XP in each server (your level comes from it), with the name and picture "
        "the leaderboard shows",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """The person's XP, name and avatar in each server (or one)."""
        query = select(LevelingMember).where(LevelingMember.user_id == user_id)
        if guild_id is not None:
            query = query.where(LevelingMember.guild_id == guild_id)
        async with db.session() as session:
            rows = list(await session.scalars(query.order_by(LevelingMember.guild_id)))
        if not rows:
            return {}
        return {
            "xp": [
                jsonable(
                    {
                        "guild_id": row.guild_id,
                        "xp": row.xp,
                        "name": row.name,
                        "avatar": row.avatar,
                        "updated_at": row.updated_at,
                    }
                )
                for row in rows
            ]
        }

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete the person's XP rows (their level and leaderboard place go with them)."""
        query = delete(LevelingMember).where(LevelingMember.user_id == user_id)
        if guild_id is not None:
            query = query.where(LevelingMember.guild_id == guild_id)
        async with db.transaction() as session:
            result = await session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)


PRIVACY = LevelingData()
