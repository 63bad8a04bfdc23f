"""Synthetic statistics rollups for the query benchmark, generated inside the database with one INSERT ... SELECT
per table (a recursive counter, the same SQL on SQLite and PostgreSQL): no Python loop over millions of rows.

The world: `guilds` servers over `days` days. Server g has `users(g)` members (a long tail: the biggest has
`max_users`, most have a few dozen) and 8 channels. A member is active on about one day in three and sends 1 to 9
messages then (5 on average), spread over channels. Member g's figures are deterministic (modular arithmetic), so
two runs build the same data. `message_events()` says how many message events the rollups stand for.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from wolaro.modules.statistics.models import BLOCK_SIZES

GUILD_BASE = 100_000_000_000_000_000
USER_BASE = 200_000_000_000_000_000
CHANNEL_BASE = 300_000_000_000_000_000
CHANNELS = 8


def users_sql(max_users: int) -> str:
    """Members of server g: max_users for g = 0, then a long tail (about max_users / (g + 1), at least 32)."""
    return f"(CASE WHEN ({max_users} / (g.n + 1)) > 32 THEN ({max_users} / (g.n + 1)) ELSE 32 END + (g.n % 23))"


ACTIVE = "((u.n * 31 + d.n * 17 + g.n) % 3 = 0)"
MESSAGES = "(1 + (u.n * 7 + d.n * 13 + g.n) % 9)"


def _counter(name: str, upto: int) -> str:
    return f"{name}(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM {name} WHERE n < {upto - 1})"


def _world(guilds: int, days: int, max_users: int) -> str:
    top = max_users + 23
    return (
        f"WITH RECURSIVE {_counter('g', guilds)}, {_counter('d', days)}, {_counter('u', top)} "
    ), f"FROM g JOIN u ON u.n < {users_sql(max_users)} CROSS JOIN d WHERE {ACTIVE}"


async def build(conn: AsyncConnection, *, guilds: int, days: int, max_users: int, last_day: int) -> None:
    """Fill the rollup tables (user, channel and server per day, member blocks; hourly for the last `days` days)."""
    head, world = _world(guilds, days, max_users)
    day = f"({last_day} - d.n)"
    await conn.execute(
        text(
            f"{head} INSERT INTO statistics_user_daily (guild_id, day, user_id, messages, voice_seconds) "
            f"SELECT {GUILD_BASE} + g.n, {day}, {USER_BASE} + u.n, {MESSAGES}, (u.n % 5) * 600 {world}"
        )
    )
    hour = f"({day} * 24 + (u.n * 5 + d.n) % 24)"
    channel = f"({CHANNEL_BASE} + g.n * 16 + (u.n + d.n) % {CHANNELS})"
    await conn.execute(
        text(
            f"{head} INSERT INTO statistics_hourly (guild_id, hour, channel_id, user_id, messages, voice_seconds) "
            f"SELECT {GUILD_BASE} + g.n, {hour}, {channel}, {USER_BASE} + u.n, {MESSAGES}, (u.n % 5) * 600 {world}"
        )
    )
    await conn.execute(
        text(
            "INSERT INTO statistics_channel_daily (guild_id, day, channel_id, messages, voice_seconds) "
            "SELECT guild_id, hour / 24, channel_id, SUM(messages), SUM(voice_seconds) FROM statistics_hourly "
            "GROUP BY guild_id, hour / 24, channel_id"
        )
    )
    await conn.execute(
        text(
            "INSERT INTO statistics_guild_daily (guild_id, day, messages, voice_seconds, joins, leaves, members, "
            "active_members) SELECT guild_id, day, SUM(messages), SUM(voice_seconds), COUNT(*) % 7, COUNT(*) % 3, "
            "COUNT(*) * 3, COUNT(*) FROM statistics_user_daily GROUP BY guild_id, day"
        )
    )
    for size in BLOCK_SIZES:  # what the daily job builds (`store.build_blocks`)
        await conn.execute(
            text(
                "INSERT INTO statistics_user_blocks (guild_id, size, block, user_id, messages, voice_seconds) "
                f"SELECT guild_id, {size}, (day + 3) / {size}, user_id, SUM(messages), SUM(voice_seconds) "
                f"FROM statistics_user_daily GROUP BY guild_id, (day + 3) / {size}, user_id"
            )
        )
    await conn.execute(  # every block is built (the world's days are over): queries may read them all
        text(
            "INSERT INTO statistics_block_marks (size, built_until) "
            "SELECT size, MAX(block) FROM statistics_user_blocks GROUP BY size"
        )
    )


async def message_events(conn: AsyncConnection) -> tuple[int, int, int]:
    """(message events the rollups stand for, user-day rows, rows of the biggest server)."""
    total, rows = (await conn.execute(text("SELECT SUM(messages), COUNT(*) FROM statistics_user_daily"))).one()
    biggest = (
        await conn.execute(text(f"SELECT COUNT(*) FROM statistics_user_daily WHERE guild_id = {GUILD_BASE}"))
    ).scalar()
    return int(total), int(rows), int(biggest or 0)
