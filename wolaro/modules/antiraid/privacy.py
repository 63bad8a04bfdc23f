"""What anti-raid keeps about a person: that they turned raid mode on by hand (`antiraid_state.started_by`).

Erasure clears it (raid mode itself stays as it is); the audit rows of raid mode are the platform's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, select, update

from wolaro.core.jsonsafe import jsonable
from wolaro.data.database import Database
from wolaro.modules.antiraid.models import RaidState


def _scope(user_id: int, guild_id: int | None) -> list[ColumnElement[bool]]:
    where = [RaidState.started_by == user_id]
    return where if guild_id is None else [*where, RaidState.guild_id == guild_id]


class AntiraidData:
    """`UserData` of the anti-raid module."""

    stores: Mapping[str, str] = {"antiraid_state.started_by": "Servers where you turned raid mode on"}

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """The servers whose current or last raid mode the person started."""
        async with db.session() as session:
            rows = (await session.execute(select(RaidState).where(*_scope(user_id, guild_id)))).scalars()
            started = [{"guild_id": r.guild_id, "at": r.started_at, "active": r.active} for r in rows]
        return {"raid_mode_started": jsonable(started)} if started else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Forget who started raid mode; how many servers' state changed."""
        async with db.transaction() as session:
            result: Any = await session.execute(
                update(RaidState)
                .where(*_scope(user_id, guild_id))
                .values(started_by=None)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount or 0


PRIVACY = AntiraidData()
