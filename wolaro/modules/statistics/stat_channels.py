"""Stat channels: a voice channel's name shows a live figure, renamed without ever meeting Discord's rate limit.

Discord lets a channel be renamed twice per 10 minutes. A rename is claimed first in the database with an atomic
conditional update (only if the name changes and the last rename is at least `RENAME_EVERY` seconds old), so any
number of processes together rename a channel at most once per `RENAME_EVERY` (> 5 minutes): never a 429.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from wolaro.modules.statistics.config import Figure, StatChannel
from wolaro.sdk import Database, format_number

RENAME_EVERY = 330
"""Seconds between two renames of one channel (Discord allows 2 per 600 s; 330 leaves a margin)."""
NAME_MAX = 100


def channel_name(template: str, value: int, language: str = "en") -> str:
    """The channel's name for a figure, written as the server's language does (`12,345`, `12 345` in French).

    At most 100 characters, as Discord requires.
    """
    return template.replace("{value}", format_number(value, language))[:NAME_MAX].strip() or str(value)


def figure_value(figure: Figure, figures: dict[str, int]) -> int:
    """The figure a stat channel shows, from the server's current figures."""
    return int(figures.get(figure.value, 0))


async def claim_rename(db: Database, guild_id: int, channel_id: int, name: str, now: int) -> bool:
    """Claim the right to rename the channel to `name` now; False if unchanged or renamed too recently."""
    async with db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO statistics_stat_channels (guild_id, channel_id, name, renamed_at) "
                "VALUES (:g, :c, '', 0) ON CONFLICT (guild_id, channel_id) DO NOTHING"
            ),
            {"g": guild_id, "c": channel_id},
        )
        result = await session.execute(
            text(
                "UPDATE statistics_stat_channels SET name = :name, renamed_at = :now "
                "WHERE guild_id = :g AND channel_id = :c AND name <> :name AND renamed_at <= :limit"
            ),
            {"g": guild_id, "c": channel_id, "name": name, "now": now, "limit": now - RENAME_EVERY},
        )
    return bool(getattr(result, "rowcount", 0))


async def next_rename_at(db: Database, guild_id: int, now: int) -> int:
    """When the next rename of any of the server's stat channels may happen (epoch seconds)."""
    async with db.session() as session:
        result = await session.execute(
            text("SELECT MIN(renamed_at) FROM statistics_stat_channels WHERE guild_id = :g"), {"g": guild_id}
        )
        oldest = result.scalar()
    return max(now + 60, int(oldest or 0) + RENAME_EVERY)


def configured(raw: dict[str, Any]) -> list[StatChannel]:
    """The server's valid stat channels (an invalid entry is skipped)."""
    found = []
    for entry in raw.get("stat_channels") or []:
        try:
            found.append(StatChannel.model_validate(entry))
        except ValueError:
            continue
    return found
