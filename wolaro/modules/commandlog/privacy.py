"""What the command log keeps about a person: the commands they ran (`commandlog_entries.user_id`).

Others' commands that named them (`!warn @them`) keep their row; the person's id is taken out of the arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, delete, select

from wolaro.modules.commandlog.models import CommandLogEntry
from wolaro.sdk import Database, jsonable, scrub_text


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
        """Remove the person's commands from the log, and their id from others' commands that named them.

        How many rows were removed or changed.
        """
        needle = str(user_id)
        others = [CommandLogEntry.arguments.contains(needle, autoescape=True)]
        if guild_id is not None:
            others.append(CommandLogEntry.guild_id == guild_id)
        async with db.transaction() as session:
            result: Any = await session.execute(delete(CommandLogEntry).where(*_scope(user_id, guild_id)))
            count = result.rowcount or 0
            named = (await session.scalars(select(CommandLogEntry).where(*others))).all()
            for row in named:
                row.arguments = scrub_text(row.arguments, user_id) or ""
            return count + len(named)


PRIVACY = CommandLogData()
