"""Read-only statistics queries. They read rollups only (daily, or hourly for a channel's members), never events.

Every query takes the server and a range of local days (both included) and returns JSON-ready values: ids as
text, days as ISO dates, voice time in seconds.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import text

from wolaro.modules.statistics.models import block_days
from wolaro.modules.statistics.times import day_date, zone
from wolaro.sdk import Database

Metric = Literal["messages", "voice"]
COLUMN = {"messages": "messages", "voice": "voice_seconds"}


def hour_range(first_day: int, last_day: int, timezone: str) -> tuple[int, int]:
    """The UTC hours [first, last) covering local days first_day..last_day."""
    from datetime import datetime, time

    tz = zone(timezone)

    def start(day: int) -> int:
        return int(datetime.combine(day_date(day), time(0), tzinfo=tz).timestamp() // 3600)

    return start(first_day), start(last_day + 1)


def pieces(first_day: int, last_day: int, sizes: tuple[int, ...] = (28, 7)) -> list[tuple[int, int, int]]:
    """A range of days cut into whole blocks (largest first) and the loose days at its edges: [(size, a, b)].

    `(size, a, b)` is blocks a..b of `size` days (size 1: days a..b). A 90-day range is at most one run of
    4-week blocks, two runs of weeks and two runs of days.
    """
    if first_day > last_day:
        return []
    if not sizes:
        return [(1, first_day, last_day)]
    size = sizes[0]
    first = (first_day + 3 + size - 1) // size  # the first block starting on or after first_day
    last = (last_day + 4) // size - 1  # the last block ending on or before last_day
    if first > last:
        return pieces(first_day, last_day, sizes[1:])
    before = pieces(first_day, block_days(first, size)[0] - 1, sizes[1:])
    after = pieces(block_days(last, size)[1] + 1, last_day, sizes[1:])
    return [(size, first, last), *before, *after]


def member_rows_sql(column: str, days: tuple[int, int]) -> tuple[str, dict[str, int]]:
    """`SELECT user_id, <column> AS v ...` over the range, reading blocks where they fit (see `pieces`)."""
    parts = []
    params: dict[str, int] = {}
    # A block's or day's voice seconds fit an INTEGER (28 days are 2.4M s): PostgreSQL sums INTEGERs as BIGINT,
    # while SUM(BIGINT) is a much slower NUMERIC.
    column = f"CAST({column} AS INTEGER)" if column == "voice_seconds" else column
    for i, (size, a, b) in enumerate(pieces(*days)):
        params[f"a{i}"], params[f"b{i}"] = a, b
        if size == 1:
            parts.append(
                f"SELECT user_id, {column} AS v FROM statistics_user_daily "
                f"WHERE guild_id = :g AND day BETWEEN :a{i} AND :b{i}"
            )
        else:
            parts.append(
                f"SELECT user_id, {column} AS v FROM statistics_user_blocks "
                f"WHERE guild_id = :g AND size = {size} AND block BETWEEN :a{i} AND :b{i}"
            )
    return " UNION ALL ".join(parts) or "SELECT user_id, 0 AS v FROM statistics_user_daily WHERE 1 = 0", params


async def _all(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.session() as session:
        return list((await session.execute(text(sql), params)).all())


async def leaderboard(
    db: Database,
    guild_id: int,
    metric: Metric,
    days: tuple[int, int],
    *,
    limit: int = 10,
    channel_id: int | None = None,
    timezone: str = "UTC",
) -> list[dict[str, Any]]:
    """The members with the most messages (or voice time) in the range, best first: [{user_id, value, rank}]."""
    column = COLUMN[metric]
    if channel_id is None:
        members, params = member_rows_sql(column, days)
        sql = (
            f"SELECT user_id, SUM(v) AS total FROM ({members}) pieces GROUP BY user_id "
            "HAVING SUM(v) > 0 ORDER BY total DESC, user_id LIMIT :n"
        )
        rows = await _all(db, sql, g=guild_id, n=limit, **params)
    else:
        first, last = hour_range(days[0], days[1], timezone)
        sql = (
            f"SELECT user_id, SUM({column}) AS total FROM statistics_hourly "
            "WHERE guild_id = :g AND hour >= :a AND hour < :b AND channel_id = :c GROUP BY user_id "
            f"HAVING SUM({column}) > 0 ORDER BY total DESC, user_id LIMIT :n"
        )
        rows = await _all(db, sql, g=guild_id, a=first, b=last, c=channel_id, n=limit)
    return [{"rank": i + 1, "user_id": str(u), "value": int(v)} for i, (u, v) in enumerate(rows)]


async def overview(db: Database, guild_id: int, days: tuple[int, int]) -> dict[str, Any]:
    """Messages, voice time, active members, joins and leaves per day; totals; the top channels."""
    a, b = days
    series = await _all(
        db,
        "SELECT day, messages, voice_seconds, joins, leaves, members, active_members FROM statistics_guild_daily "
        "WHERE guild_id = :g AND day BETWEEN :a AND :b ORDER BY day",
        g=guild_id,
        a=a,
        b=b,
    )
    members, params = member_rows_sql("messages", days)
    members_active = await _all(  # GROUP BY, not COUNT(DISTINCT): PostgreSQL hashes it instead of sorting
        db,
        f"SELECT COUNT(*) FROM (SELECT user_id FROM ({members}) pieces GROUP BY user_id) active",
        g=guild_id,
        **params,
    )
    channels = await _all(
        db,
        "SELECT channel_id, SUM(messages) AS total FROM statistics_channel_daily "
        "WHERE guild_id = :g AND day BETWEEN :a AND :b GROUP BY channel_id HAVING SUM(messages) > 0 "
        "ORDER BY total DESC, channel_id LIMIT 5",
        g=guild_id,
        a=a,
        b=b,
    )
    days_out = [
        {
            "day": day_date(d).isoformat(),
            "messages": int(m),
            "voice_seconds": int(v),
            "active_members": int(active),
            "joins": int(j),
            "leaves": int(left),
            "members": None if n is None else int(n),
        }
        for d, m, v, j, left, n, active in series
    ]
    return {
        "messages": sum(d["messages"] for d in days_out),
        "voice_seconds": sum(d["voice_seconds"] for d in days_out),
        "active_members": int(members_active[0][0] or 0),
        "joins": sum(d["joins"] for d in days_out),
        "leaves": sum(d["leaves"] for d in days_out),
        "days": days_out,
        "top_channels": [{"channel_id": str(c), "messages": int(n)} for c, n in channels],
    }


async def user_stats(db: Database, guild_id: int, user_id: int, days: tuple[int, int]) -> dict[str, Any]:
    """A member's messages and voice time per day and in total, and their rank by messages in the server."""
    a, b = days
    series = await _all(
        db,
        "SELECT day, messages, voice_seconds FROM statistics_user_daily "
        "WHERE guild_id = :g AND user_id = :u AND day BETWEEN :a AND :b ORDER BY day",
        g=guild_id,
        u=user_id,
        a=a,
        b=b,
    )
    messages = sum(int(m) for _, m, _ in series)
    voice = sum(int(v) for _, _, v in series)
    rank = None
    if messages:
        members, params = member_rows_sql("messages", days)
        ahead = await _all(
            db,
            f"SELECT COUNT(*) FROM (SELECT user_id FROM ({members}) pieces GROUP BY user_id HAVING SUM(v) > :m) ahead",
            g=guild_id,
            m=messages,
            **params,
        )
        rank = int(ahead[0][0]) + 1
    return {
        "user_id": str(user_id),
        "messages": messages,
        "voice_seconds": voice,
        "rank": rank,
        "days": [{"day": day_date(d).isoformat(), "messages": int(m), "voice_seconds": int(v)} for d, m, v in series],
    }


async def channel_stats(
    db: Database, guild_id: int, channel_id: int, days: tuple[int, int], timezone: str = "UTC"
) -> dict[str, Any]:
    """A channel's messages and voice time per day and in total, and its most active members."""
    a, b = days
    series = await _all(
        db,
        "SELECT day, messages, voice_seconds FROM statistics_channel_daily "
        "WHERE guild_id = :g AND channel_id = :c AND day BETWEEN :a AND :b ORDER BY day",
        g=guild_id,
        c=channel_id,
        a=a,
        b=b,
    )
    top = await leaderboard(db, guild_id, "messages", days, limit=5, channel_id=channel_id, timezone=timezone)
    return {
        "channel_id": str(channel_id),
        "messages": sum(int(m) for _, m, _ in series),
        "voice_seconds": sum(int(v) for _, _, v in series),
        "days": [{"day": day_date(d).isoformat(), "messages": int(m), "voice_seconds": int(v)} for d, m, v in series],
        "top_members": top,
    }


async def growth(db: Database, guild_id: int, days: tuple[int, int]) -> list[dict[str, Any]]:
    """Joins, leaves and the member count per day."""
    rows = await _all(
        db,
        "SELECT day, joins, leaves, members FROM statistics_guild_daily "
        "WHERE guild_id = :g AND day BETWEEN :a AND :b AND (joins > 0 OR leaves > 0 OR members IS NOT NULL) "
        "ORDER BY day",
        g=guild_id,
        a=days[0],
        b=days[1],
    )
    return [
        {"day": day_date(d).isoformat(), "joins": int(j), "leaves": int(left), "members": None if n is None else int(n)}
        for d, j, left, n in rows
    ]


async def messages_on(db: Database, guild_id: int, day: int) -> int:
    """The server's messages on one local day."""
    rows = await _all(
        db, "SELECT messages FROM statistics_guild_daily WHERE guild_id = :g AND day = :d", g=guild_id, d=day
    )
    return int(rows[0][0]) if rows else 0
