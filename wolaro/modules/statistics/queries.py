"""Read-only statistics queries. They read rollups only (daily, or hourly for a channel's members), never events.

Every query takes the server and a range of local days (both included) and returns JSON-ready values: ids as
text, days as ISO dates, voice time in seconds.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.statistics import store
from wolaro.modules.statistics.models import BLOCK_SIZES, block_days
from wolaro.modules.statistics.times import day_date, zone
from wolaro.sdk import Database

Metric = Literal["messages", "voice"]
COLUMN = {"messages": "messages", "voice": "voice_seconds"}
SIZES = tuple(sorted(BLOCK_SIZES, reverse=True))


def hour_range(first_day: int, last_day: int, timezone: str) -> tuple[int, int]:
    """The UTC hours [first, last) covering local days first_day..last_day."""
    from datetime import datetime, time

    tz = zone(timezone)

    def start(day: int) -> int:
        return int(datetime.combine(day_date(day), time(0), tzinfo=tz).timestamp() // 3600)

    return start(first_day), start(last_day + 1)


Piece = tuple[int, int, int, int]
"""(sign, size, a, b): blocks a..b of `size` days (size 1: days a..b), added (sign 1) or taken away (sign -1)."""
ACTIVE_SHARE = 1 / 3
"""For choosing how to cut a range: the share of days a member is active (the benchmark's busiest members)."""


def _rows(size: int) -> float:
    """Expected rows per member for one block of `size` days (a row exists only if they were active in it)."""
    return 1 - (1 - ACTIVE_SHARE) ** size


def pieces(first_day: int, last_day: int, built: Mapping[int, int], sizes: tuple[int, ...] = SIZES) -> list[Piece]:
    """A range of days cut into built blocks and loose days, whose signed sum is exactly the range: [Piece].

    Only blocks up to `built[size]` are used (`store.build_blocks`). At each size (8, 4, 2, 1 weeks) the range is
    either covered by the whole blocks inside it, or by blocks reaching past an edge with the days past the edge
    taken away again (the 4-week block minus 3 days instead of 3 weeks and 4 days), whichever reads the fewest
    rows per member; the rest goes to the smaller sizes, down to days. A 90-day range reads about 4 rows per
    member in the worst cases instead of one per active day.
    """
    return list(_cached_cut(first_day, last_day, tuple(sorted(built.items())), sizes))


@functools.lru_cache(maxsize=4096)
def _cached_cut(a: int, b: int, built: tuple[tuple[int, int], ...], sizes: tuple[int, ...]) -> tuple[Piece, ...]:
    """`pieces`, remembered: the same periods are asked again and again (last 7, 30, 90 days)."""
    return tuple(_cut(a, b, dict(built), sizes, {})[1])


def _cut(
    a: int,
    b: int,
    built: Mapping[int, int],
    sizes: tuple[int, ...],
    memo: dict[tuple[int, int, int], tuple[float, list[Piece]]],
) -> tuple[float, list[Piece]]:
    """The cheapest signed cut of days a..b with these sizes: (expected rows per member, pieces)."""
    if a > b:
        return 0.0, []
    if not sizes:
        return (b - a + 1) * ACTIVE_SHARE, [(1, 1, a, b)]
    known = memo.get((a, b, len(sizes)))
    if known is not None:
        return known
    size, smaller = sizes[0], sizes[1:]
    best = _cut(a, b, built, smaller, memo)
    top = built.get(size)
    if top is not None:
        for first in sorted({(a + 3 + size - 1) // size, (a + 3) // size}, reverse=True):  # inside a, or holding it
            for last in sorted({(b + 4) // size - 1, (b + 3) // size}):  # inside b, or holding it
                last = min(last, top)
                if first > last:
                    continue
                start, end = block_days(first, size)[0], block_days(last, size)[1]
                cost = (last - first + 1) * _rows(size)
                cut: list[Piece] = [(1, size, first, last)]
                for x, y, sign in ((a, start - 1, 1), (start, a - 1, -1), (end + 1, b, 1), (b + 1, end, -1)):
                    if x <= y:
                        more, parts = _cut(x, y, built, smaller, memo)
                        cost += more
                        cut += [(sign * s, z, u, v) for s, z, u, v in parts]
                if cost < best[0] - 1e-9:
                    best = (cost, cut)
    memo[(a, b, len(sizes))] = best
    return best


def member_rows_sql(column: str, days: tuple[int, int], built: Mapping[int, int]) -> tuple[str, dict[str, int]]:
    """`SELECT user_id, v ...` over the range: summed per member, v gives their total (see `pieces`).

    `column` is a counter, or "activity" (messages plus voice seconds: more than 0 for a member active in the
    range, since every day row counts a message or a second of voice).
    """
    parts = []
    params: dict[str, int] = {}
    # A block's or day's voice seconds fit an INTEGER (56 days are 4.8M s): PostgreSQL sums INTEGERs as BIGINT,
    # while SUM(BIGINT) is a much slower NUMERIC.
    value = {
        "messages": "messages",
        "voice_seconds": "CAST(voice_seconds AS INTEGER)",
        "activity": "messages + CAST(voice_seconds AS INTEGER)",
    }[column]
    for i, (sign, size, a, b) in enumerate(pieces(*days, built)):
        params[f"a{i}"], params[f"b{i}"] = a, b
        signed = value if sign > 0 else f"-({value})"
        if size == 1:
            parts.append(
                f"SELECT user_id, {signed} AS v FROM statistics_user_daily "
                f"WHERE guild_id = :g AND day BETWEEN :a{i} AND :b{i}"
            )
        else:
            parts.append(
                f"SELECT user_id, {signed} AS v FROM statistics_user_blocks "
                f"WHERE guild_id = :g AND size = {size} AND block BETWEEN :a{i} AND :b{i}"
            )
    return " UNION ALL ".join(parts) or "SELECT user_id, 0 AS v FROM statistics_user_daily WHERE 1 = 0", params


async def _all(source: Database | AsyncSession, sql: str, **params: Any) -> list[Any]:
    """The rows of one query, in the caller's session or in a session of its own."""
    if isinstance(source, AsyncSession):
        return list((await source.execute(text(sql), params)).all())
    async with source.session() as session:
        return list((await session.execute(text(sql), params)).all())


BUILT_TTL = 60.0
"""Seconds a reading of the blocks built is used before it is read again."""
_built: weakref.WeakKeyDictionary[Database, tuple[float, dict[int, int]]] = weakref.WeakKeyDictionary()


async def built_blocks(db: Database, session: AsyncSession) -> dict[int, int]:
    """The blocks built (`store.built_blocks`), read again at most once a minute per database.

    Marks only grow and a built block stays equal to its days, so an older reading is still exact: the days of
    blocks built since are read from the daily rows. It saves a round trip per query.
    """
    now = time.monotonic()
    known = _built.get(db)
    if known is None or now - known[0] > BUILT_TTL:
        known = _built[db] = (now, await store.built_blocks(session))
    return known[1]


async def _members(
    db: Database, column: str, days: tuple[int, int], query: str, session: AsyncSession | None = None, **params: Any
) -> list[Any]:
    """Run `query` over `{members}`, the member rows of the range (`member_rows_sql`), with the blocks built.

    In `session` when given (a query of several statements shares one transaction: fewer round trips).
    """
    if session is None:
        async with db.session() as own:
            return await _members(db, column, days, query, own, **params)
    if db.dialect == "postgresql" and not session.info.get("serial"):
        # A one-server read: starting parallel workers for it costs more than it (a 13 ms leaderboard took 21-28 ms
        # with two workers on a busy machine); a per-table `parallel_workers = 0` does not stop a Parallel Append.
        await session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        session.info["serial"] = True
    members, pieces_params = member_rows_sql(column, days, await built_blocks(db, session))
    return await _all(session, query.format(members=members), **params, **pieces_params)


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
        sql = (
            "SELECT user_id, SUM(v) AS total FROM ({members}) pieces GROUP BY user_id "
            "HAVING SUM(v) > 0 ORDER BY total DESC, user_id LIMIT :n"
        )
        rows = await _members(db, column, days, sql, g=guild_id, n=limit)
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
    # three reads at once, each on a connection of its own: the overview takes as long as its slowest one
    series, members_active, channels = await asyncio.gather(
        _all(
            db,
            "SELECT day, messages, voice_seconds, joins, leaves, members, active_members FROM statistics_guild_daily "
            "WHERE guild_id = :g AND day BETWEEN :a AND :b ORDER BY day",
            g=guild_id,
            a=a,
            b=b,
        ),
        _members(  # GROUP BY, not COUNT(DISTINCT): PostgreSQL hashes it instead of sorting
            db,
            "activity",
            days,
            "SELECT COUNT(*) FROM (SELECT user_id FROM ({members}) pieces GROUP BY user_id HAVING SUM(v) > 0) active",
            g=guild_id,
        ),
        _all(
            db,
            "SELECT channel_id, SUM(messages) AS total FROM statistics_channel_daily "
            "WHERE guild_id = :g AND day BETWEEN :a AND :b GROUP BY channel_id HAVING SUM(messages) > 0 "
            "ORDER BY total DESC, channel_id LIMIT 5",
            g=guild_id,
            a=a,
            b=b,
        ),
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
        ahead = await _members(
            db,
            "messages",
            days,
            "SELECT COUNT(*) FROM (SELECT user_id FROM ({members}) pieces GROUP BY user_id HAVING SUM(v) > :m) ahead",
            g=guild_id,
            m=messages,
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
