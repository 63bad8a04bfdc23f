"""What welcome keeps about a person: the roles they had in a server (for sticky roles)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, delete, select

from wolaro.modules.welcome.models import StickyRoles
from wolaro.sdk import Database, jsonable


def _scope(user_id: int, guild_id: int | None) -> list[ColumnElement[bool]]:
    where = [StickyRoles.user_id == user_id]
    return where if guild_id is None else [*where, StickyRoles.guild_id == guild_id]


class WelcomeData:
    """`UserData` of the welcome module."""

    stores: Mapping[str, str] = {
        "welcome_sticky_roles.user_id": "The roles you had in servers that give roles back when members return",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """The remembered roles, per server."""
        async with db.session() as session:
            rows = (await session.execute(select(StickyRoles).where(*_scope(user_id, guild_id)))).scalars()
            kept = [{"guild_id": r.guild_id, "role_ids": r.role_ids, "updated_at": r.updated_at} for r in rows]
        return {"sticky_roles": jsonable(kept)} if kept else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Forget the remembered roles; how many rows went."""
        async with db.transaction() as session:
            result: Any = await session.execute(
                delete(StickyRoles).where(*_scope(user_id, guild_id)).execution_options(synchronize_session=False)
            )
            return result.rowcount or 0


PRIVACY = WelcomeData()
