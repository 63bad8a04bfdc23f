"""The statistics module's database writes: one upsert per table per flush, sessions, opt-outs, clean-up.

Every statement is plain SQL that runs unchanged on SQLite and PostgreSQL. Counters only ever add
(`SET n = t.n + excluded.n`), so any number of bot processes may flush into the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.statistics.ingest import Rows, late_blocks
from wolaro.modules.statistics.models import BLOCK_SIZES, block_days, block_of
from wolaro.sdk import Database


def upsert_sql(
    table: str, keys: Sequence[str], added: Sequence[str], latest: Sequence[str] = (), *, marks: str = "qmark"
) -> str:
    """`INSERT ... ON CONFLICT (keys) DO UPDATE` adding `added` and keeping the newest non-null `latest`.

    The statement is the same on SQLite and PostgreSQL; only the driver's placeholders differ (`?` for sqlite3,
    `$1` for asyncpg), since it is sent as it is with the driver's own executemany.
    """
    columns = [*keys, *added, *latest]
    sets = [f"{c} = {table}.{c} + excluded.{c}" for c in added]
    sets += [f"{c} = COALESCE(excluded.{c}, {table}.{c})" for c in latest]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(len(columns), marks)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(sets)}"
    )


def placeholders(count: int, marks: str) -> str:
    """`?, ?, ?` (qmark) or `$1, $2, $3` (numeric_dollar)."""
    return ", ".join("?" * count) if marks == "qmark" else ", ".join(f"${i + 1}" for i in range(count))


COUNTERS = ("messages", "voice_seconds")
TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # Rows attribute -> (table, key columns, added columns, latest columns): the order of `Rows`' tuples.
    # The server's day row first: its row lock orders concurrent flushes of one server's day on PostgreSQL, so
    # the active member recount that ends a flush sees every member row committed before it.
    "guild_daily": ("statistics_guild_daily", ("guild_id", "day"), (*COUNTERS, "joins", "leaves"), ("members",)),
    "hourly": ("statistics_hourly", ("guild_id", "hour", "channel_id", "user_id"), COUNTERS, ()),
    "user_daily": ("statistics_user_daily", ("guild_id", "day", "user_id"), COUNTERS, ()),
    "channel_daily": ("statistics_channel_daily", ("guild_id", "day", "channel_id"), COUNTERS, ()),
}
BLOCKS = ("statistics_user_blocks", ("guild_id", "size", "block", "user_id"), COUNTERS, ())
"""The member blocks' upsert: late counts added to blocks already built (`ingest.late_blocks`)."""
ARRAY_TYPES = {
    "guild_id": "bigint",
    "hour": "int",
    "day": "int",
    "size": "int",
    "block": "int",
    "channel_id": "bigint",
    "user_id": "bigint",
    "messages": "int",
    "voice_seconds": "bigint",
    "joins": "int",
    "leaves": "int",
    "members": "int",
}


def unnest_upsert_sql(table: str, keys: Sequence[str], added: Sequence[str], latest: Sequence[str] = ()) -> str:
    """The same upsert for PostgreSQL taking one array per column (`SELECT * FROM unnest($1::bigint[], ...)`).

    One statement per table instead of one per row: the rows of a flush have distinct keys (they are already
    summed), which `ON CONFLICT DO UPDATE` in one statement requires.
    """
    columns = [*keys, *added, *latest]
    arrays = ", ".join(f"${i + 1}::{ARRAY_TYPES[c]}[]" for i, c in enumerate(columns))
    values = upsert_sql(table, keys, added, latest, marks="numeric_dollar")
    head, _, tail = values.partition(" VALUES (")
    return f"{head} SELECT * FROM unnest({arrays}) {tail.partition(') ')[2]}"


def upserts(marks: str) -> dict[str, str]:
    """Each table's upsert with the driver's placeholders (arrays on PostgreSQL), the blocks' under "user_blocks"."""
    specs = {**TABLES, "user_blocks": BLOCKS}
    if marks == "numeric_dollar":
        return {name: unnest_upsert_sql(*spec) for name, spec in specs.items()}
    return {name: upsert_sql(*spec, marks=marks) for name, spec in specs.items()}


UPSERTS = {marks: upserts(marks) for marks in ("qmark", "numeric_dollar")}
ACTIVE_RECOUNT = (
    "UPDATE statistics_guild_daily SET active_members = (SELECT COUNT(*) FROM statistics_user_daily u "
    "WHERE u.guild_id = statistics_guild_daily.guild_id AND u.day = statistics_guild_daily.day) "
    "WHERE guild_id = :g AND day = :d"
)
SESSION_UPSERT = (
    "INSERT INTO statistics_voice_sessions (guild_id, user_id, channel_id, started_at, counted_until) "
    "VALUES (:guild_id, :user_id, :channel_id, :started_at, :counted_until) "
    "ON CONFLICT (guild_id, user_id) DO UPDATE SET channel_id = excluded.channel_id, "
    "started_at = excluded.started_at, counted_until = excluded.counted_until"
)
SESSION_DELETE = "DELETE FROM statistics_voice_sessions WHERE guild_id = :guild_id AND user_id = :user_id"


BLOCKS_LOCK_KEY = 5_781_203_977_145_210_301
"""PostgreSQL advisory lock between flushes (shared) and the building of member blocks (exclusive): a block is
built from the daily rows only once every flush that could add to its days without adding to it has committed."""


async def built_blocks(session: AsyncSession, *, for_flush: bool = False) -> dict[int, int]:
    """Block size -> the last block of that size built (`BlockMark`); sizes never built are absent.

    `for_flush`: on PostgreSQL, first take the blocks lock shared until the transaction ends, so no block is built
    between this read and the commit (SQLite's write transactions already run one at a time).
    """
    if for_flush and (await session.connection()).dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": BLOCKS_LOCK_KEY})
    result = await session.execute(text("SELECT size, built_until FROM statistics_block_marks"))
    return {int(size): int(last) for size, last in result.all()}


async def _send(connection: Any, marks: str, statement: str, batch: list[tuple[Any, ...]]) -> None:
    if marks == "numeric_dollar":  # in key order: index pages are filled in turn, and concurrent flushes of
        # the same rows lock them in the same order (no deadlock between processes)
        batch.sort()
        await connection.exec_driver_sql(statement, tuple(map(list, zip(*batch, strict=True))))
    else:
        await connection.exec_driver_sql(statement, batch)


async def write_rows(
    session: AsyncSession,
    rows: Rows,
    open_sessions: Sequence[dict[str, int]] = (),
    closed_sessions: Iterable[tuple[int, int]] = (),
) -> None:
    """Write one flush in the caller's transaction: each table's upsert once, then the voice sessions' state.

    The rows go to the driver as they are, without per-row work by SQLAlchemy: to sqlite3's executemany as
    tuples, to PostgreSQL as one array per column in a single statement, rows in key order. Counts for days whose
    member blocks are already built are added to those blocks too. Then the active members of every server day
    touched are recounted from the member rows (one indexed count per server day).
    """
    connection = await session.connection()
    marks = connection.dialect.paramstyle
    statements = UPSERTS[marks]
    built = await built_blocks(session, for_flush=True) if rows.user_daily else {}
    for name in TABLES:
        batch: list[tuple[Any, ...]] = getattr(rows, name)
        if batch:
            await _send(connection, marks, statements[name], batch)
    late = late_blocks(rows.user_daily, built)
    if late:
        await _send(connection, marks, statements["user_blocks"], late)
    if rows.user_daily:
        touched = sorted({(g, d) for g, d, *_ in rows.user_daily})
        await session.execute(text(ACTIVE_RECOUNT), [{"g": g, "d": d} for g, d in touched])
    closed = [{"guild_id": g, "user_id": u} for g, u in closed_sessions]
    if closed:
        await session.execute(text(SESSION_DELETE), closed)
    if open_sessions:
        await session.execute(text(SESSION_UPSERT), list(open_sessions))


def last_complete_block(size: int, utc_day: int) -> int:
    """The last block of `size` days whose days are over in every timezone (they ended 2 days ago or more in UTC)."""
    return (utc_day + 2) // size - 1


async def build_blocks(db: Database, utc_day: int) -> int:
    """Build every member block whose days are over and which is not built yet, from the daily rows; rows written.

    One transaction for all servers: per block size, the blocks after its mark up to the last complete one are
    (re)written from `statistics_user_daily` and the mark moves on. Blocks never built start at the oldest day
    kept. On PostgreSQL the blocks lock is taken exclusively first: it waits for flushes in progress (which took it
    shared and may be adding days of these blocks) and holds back new ones until the marks have moved, so a late
    count lands either in the daily rows read here or, after, in the built block too.
    """
    written = 0
    async with db.transaction() as session:
        if db.dialect == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BLOCKS_LOCK_KEY})
        built = await built_blocks(session)
        oldest = (await session.execute(text("SELECT MIN(day) FROM statistics_user_daily"))).scalar()
        for size in BLOCK_SIZES:
            last = last_complete_block(size, utc_day)
            first = built[size] + 1 if size in built else last + 1 if oldest is None else block_of(int(oldest), size)
            if first <= last:
                await session.execute(  # anything there was left by an older version writing blocks at flush time
                    text(f"DELETE FROM statistics_user_blocks WHERE size = {size} AND block BETWEEN :first AND :last"),
                    {"first": first, "last": last},
                )
                bounds = {"a": block_days(first, size)[0], "b": block_days(last, size)[1]}
                result = await session.execute(
                    text(
                        "INSERT INTO statistics_user_blocks (guild_id, size, block, user_id, messages, voice_seconds) "
                        f"SELECT guild_id, {size}, (day + 3) / {size}, user_id, SUM(messages), SUM(voice_seconds) "
                        "FROM statistics_user_daily WHERE day BETWEEN :a AND :b "
                        f"GROUP BY guild_id, (day + 3) / {size}, user_id"
                    ),
                    bounds,
                )
                written += int(getattr(result, "rowcount", 0) or 0)
            await session.execute(
                text(
                    "INSERT INTO statistics_block_marks (size, built_until) VALUES (:s, :last) ON CONFLICT (size) "
                    "DO UPDATE SET built_until = excluded.built_until "
                    "WHERE excluded.built_until > statistics_block_marks.built_until"
                ),
                {"s": size, "last": max(last, first - 1)},
            )
    return written


async def opted_out(db: Database, guild_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(guild_id, user_id) of every member who opted out in these servers."""
    ids = sorted(set(guild_ids))
    found: set[tuple[int, int]] = set()
    async with db.session() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(f":g{i}" for i in range(len(chunk)))
            result = await session.execute(
                text(f"SELECT guild_id, user_id FROM statistics_optouts WHERE guild_id IN ({marks})"),
                {f"g{i}": g for i, g in enumerate(chunk)},
            )
            found.update((int(g), int(u)) for g, u in result.all())
    return found


async def set_opt_out(db: Database, guild_id: int, user_id: int, *, out: bool, now: int) -> bool:
    """Record (or lift) a member's opt-out; False if nothing changed. Opting out also ends their voice session."""
    async with db.transaction() as session:
        if out:
            result = await session.execute(
                text(
                    "INSERT INTO statistics_optouts (guild_id, user_id, since) VALUES (:g, :u, :now) "
                    "ON CONFLICT (guild_id, user_id) DO NOTHING"
                ),
                {"g": guild_id, "u": user_id, "now": now},
            )
            await session.execute(text(SESSION_DELETE), {"guild_id": guild_id, "user_id": user_id})
        else:
            result = await session.execute(
                text("DELETE FROM statistics_optouts WHERE guild_id = :g AND user_id = :u"),
                {"g": guild_id, "u": user_id},
            )
    return bool(getattr(result, "rowcount", 0))


async def sessions_of(db: Database, guild_ids: Iterable[int]) -> list[tuple[int, int, int, int, int]]:
    """Voice sessions left open (by a stop or a crash) in these servers: (guild, user, channel, start, counted)."""
    ids = sorted(set(guild_ids))
    rows: list[tuple[int, int, int, int, int]] = []
    async with db.session() as session:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(f":g{i}" for i in range(len(chunk)))
            result = await session.execute(
                text(
                    "SELECT guild_id, user_id, channel_id, started_at, counted_until FROM statistics_voice_sessions "
                    f"WHERE guild_id IN ({marks})"
                ),
                {f"g{i}": g for i, g in enumerate(chunk)},
            )
            rows += [(int(g), int(u), int(c), int(s), int(t)) for g, u, c, s, t in result.all()]
    return rows


async def delete_sessions(db: Database, keys: Iterable[tuple[int, int]]) -> None:
    """Forget sessions closed at their checkpoint (their time is already counted)."""
    closed = [{"guild_id": g, "user_id": u} for g, u in keys]
    if closed:
        async with db.transaction() as session:
            await session.execute(text(SESSION_DELETE), closed)


async def clean_up(db: Database, guild_id: int, *, oldest_hour: int, oldest_day: int) -> int:
    """Delete one server's hourly rows before `oldest_hour` and daily rows before `oldest_day`; rows removed.

    A block of days partly expired first loses the expired days' counts (so a block always sums the daily rows
    kept), then blocks wholly expired go.
    """
    removed = 0
    async with db.transaction() as session:
        for size in BLOCK_SIZES:
            await session.execute(text(BLOCK_TRIM.format(size=size)), {"g": guild_id, "limit": oldest_day})
        statements = [
            ("DELETE FROM statistics_user_blocks WHERE guild_id = :g AND block * size + size - 4 < :limit", oldest_day),
            ("DELETE FROM statistics_hourly WHERE guild_id = :g AND hour < :limit", oldest_hour),
            ("DELETE FROM statistics_user_daily WHERE guild_id = :g AND day < :limit", oldest_day),
            ("DELETE FROM statistics_channel_daily WHERE guild_id = :g AND day < :limit", oldest_day),
            ("DELETE FROM statistics_guild_daily WHERE guild_id = :g AND day < :limit", oldest_day),
        ]
        for sql, limit in statements:
            result = await session.execute(text(sql), {"g": guild_id, "limit": limit})
            removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


BLOCK_TRIM = (
    "UPDATE statistics_user_blocks SET "
    "messages = messages - (SELECT COALESCE(SUM(d.messages), 0) FROM statistics_user_daily d {match}), "
    "voice_seconds = voice_seconds - (SELECT COALESCE(SUM(d.voice_seconds), 0) FROM statistics_user_daily d {match}) "
    "WHERE guild_id = :g AND size = {{size}} AND block * size - 3 < :limit AND block * size + size - 4 >= :limit"
).format(
    match="WHERE d.guild_id = :g AND d.user_id = statistics_user_blocks.user_id "
    "AND d.day >= statistics_user_blocks.block * {size} - 3 AND d.day < :limit"
)
"""Take the days before :limit out of the blocks of `size` days that straddle it."""


async def guilds_with_statistics(db: Database) -> list[int]:
    """Every server that has daily statistics."""
    async with db.session() as session:
        result = await session.execute(text("SELECT DISTINCT guild_id FROM statistics_guild_daily"))
        return sorted(int(g) for (g,) in result.all())
