"""What the command log keeps about a person: the commands they ran (`commandlog_entries.user_id`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, delete, select

from wolaro.modules.commandlog.models import CommandLogEntry
from wolaro.sdk import Database, jsonable


def _scope(user_id: int, guild_id: int | None) -> list[ColumnElement[bool]]:
    where = [CommandLogEntry.user_id == user_id]
    return where if guild_id is None else [*where, CommandLogEntry.guild_id == guild_id]


class CommandLogData:
    """`UserData` of the command log."""

    stores: Mapping[str, str] = {"commandlog_entries.user_id": "The commands you ran recently, per server"}

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """The person's recent commands."""
        async with db.session() as session:
            rows = (await session.scalars(select(CommandLogEntry).where(*_scope(user_id, guild_id)))).all()
        commands = [
            {"guild_id": r.guild_id, "command": r.command, "arguments": r.arguments, "at": r.at, "status": r.status}
            for r in rows
        ]
        return {"commands": jsonable(commands)} if commands else {}

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Remove the person's commands from the log; how many were removed."""
        async with db.transaction() as session:
            result: Any = await session.execute(delete(CommandLogEntry).where(*_scope(user_id, guild_id)))
            return result.rowcount or 0


PRIVACY = CommandLogData()
