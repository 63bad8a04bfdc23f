"""What statistics keep about a person, for `/privacy export` and `/privacy delete`.

Every row naming a person is covered: hourly, daily and per-block activity, an open voice session, an opt-out.
The server's and channels' totals name nobody and stay (they were counted before the erasure). The opt-out is
exported but kept by an erasure (`kept`): it is the person's own choice not to be counted, and erasing it would
have them counted again; `/stats optin` removes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text

from wolaro.sdk import Database

_TABLES = (
    ("statistics_hourly", "hour, channel_id, messages, voice_seconds", "hour"),
    ("statistics_user_daily", "day, messages, voice_seconds", "day"),
    ("statistics_user_blocks", "size, block, messages, voice_seconds", "size, block"),
    ("statistics_voice_sessions", "channel_id, started_at, counted_until", "started_at"),
    ("statistics_optouts", "since", "since"),
)


class StatisticsData:
    """The statistics module's privacy hooks."""

    stores: Mapping[str, str] = {
        "statistics_hourly.user_id": "How many messages you sent and how long you spent in voice, per channel and hour",
        "statistics_user_daily.user_id": "How many messages you sent and how long you spent in voice, per day",
        "statistics_user_blocks.user_id": "The same, added up per 1, 2, 4 and 8 weeks",
        "statistics_voice_sessions.user_id": "The voice channel you are in now and since when",
        "statistics_optouts.user_id": "That you asked not to be counted in a server's statistics",
    }
    kept: Mapping[str, str] = {
        "statistics_optouts.user_id": "Your choice not to be counted: erasing it would have you counted again "
        "(/stats optin removes it)",
    }

    async def export_user_data(self, db: Database, user_id: int, guild_id: int | None) -> dict[str, Any]:
        """Every row about the person, per table (ids as text)."""
        data: dict[str, Any] = {}
        where = "user_id = :u" + ("" if guild_id is None else " AND guild_id = :g")
        async with db.session() as session:
            for table, columns, order in _TABLES:
                result = await session.execute(
                    text(f"SELECT guild_id, {columns} FROM {table} WHERE {where} ORDER BY guild_id, {order}"),
                    {"u": user_id, "g": guild_id},
                )
                rows = [
                    {k: (str(v) if k.endswith("_id") else v) for k, v in row._mapping.items()} for row in result.all()
                ]
                if rows:
                    data[table.removeprefix("statistics_")] = rows
        return data

    async def delete_user_data(self, db: Database, user_id: int, guild_id: int | None) -> int:
        """Delete every row about the person's activity; their opt-out stays, so they stay uncounted (`kept`)."""
        where = "user_id = :u" + ("" if guild_id is None else " AND guild_id = :g")
        removed = 0
        async with db.transaction() as session:
            for table, _, _ in _TABLES:
                if f"{table}.user_id" in self.kept:
                    continue
                result = await session.execute(
                    text(f"DELETE FROM {table} WHERE {where}"), {"u": user_id, "g": guild_id}
                )
                removed += int(getattr(result, "rowcount", 0) or 0)
        return removed


PRIVACY = StatisticsData()
