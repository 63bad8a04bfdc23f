"""The command log's database work: add a command, keep the newest `KEEP` of the server, read them back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from wolaro.modules.commandlog.models import CommandLogEntry
from wolaro.sdk import Database, utcnow

#: Commands kept per server (older ones are removed as new ones come).
KEEP = 500
#: A server is cut back to `KEEP` once this many of its commands were written since its last cut.
TRIM_EVERY = 25


def _text(value: Any, limit: int) -> str:
    text = str(value or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def entry_row(guild_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """The table row of one recorded command (texts cut to their columns)."""
    channel = data.get("channel_id")
    return {
        "guild_id": guild_id,
        "user_id": int(data["user_id"]),
        "user_name": _text(data.get("user"), 100),
        "command": _text(data.get("command"), 100),
        "arguments": _text(data.get("arguments"), 200),
        "channel_id": int(channel) if channel else None,
        "channel_name": _text(data.get("channel"), 100),
        "status": _text(data.get("status"), 16),
        "at": utcnow(),
    }


async def record_many(db: Database, rows: list[dict[str, Any]], trim: set[int]) -> None:
    """Add rows (one statement), then cut the servers in `trim` back to their newest `KEEP` (idempotent)."""
    async with db.transaction() as session:
        if rows:
            await session.execute(insert(CommandLogEntry), rows)
        for guild_id in sorted(trim):
            oldest_kept = await session.scalar(
                select(CommandLogEntry.id)
                .where(CommandLogEntry.guild_id == guild_id)
                .order_by(CommandLogEntry.id.desc())
                .offset(KEEP - 1)
                .limit(1)
            )
            if oldest_kept is not None:
                await session.execute(
                    delete(CommandLogEntry).where(
                        CommandLogEntry.guild_id == guild_id, CommandLogEntry.id < oldest_kept
                    )
                )


async def recent(db: Database, guild_id: int, limit: int) -> list[CommandLogEntry]:
    """The server's newest commands, newest first."""
    async with db.session() as session:
        rows = await session.scalars(
            select(CommandLogEntry)
            .where(CommandLogEntry.guild_id == guild_id)
            .order_by(CommandLogEntry.id.desc())
            .limit(limit)
        )
        return list(rows)
