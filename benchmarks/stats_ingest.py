"""Statistics: ingest rate against a plain executemany of the same rows, and query latency over 10M events.

1. Ingest (SQLite file, then PostgreSQL): ``--events`` MESSAGE_CREATE counts in ``--guilds-ingest`` servers go
   through the real path (`Recorder.count_message` per event, a flush whenever ``--flush-keys`` distinct counters
   are buffered, the recorder's own size rule: opt-out read, rows built, one upsert per table in one
   transaction). The ceiling is the same rows (exactly those
   flushes wrote) inserted with a plain `executemany` into tables of the same shape and indexes, no conflict
   clause, one transaction per flush. Two ceilings, both as events/s: ``ratio`` = ingest / a plain executemany of
   the events themselves (one row per event, the rows as they arrive: what writing every event costs), and
   ``ratio_vs_aggregated_rows`` = ingest / a plain executemany of the aggregated rows the flushes wrote (that one
   excludes the per-event counting and the conflict handling the aggregation needs). Measured ``--rounds`` times,
   each measure on freshly created tables, the order alternating between rounds; the ratios are per round
   (``ratios``) and the figures their medians.
2. Queries: rollups standing for ``--target-events`` message events in ``--guilds`` servers (long-tailed: the
   biggest has ``--max-users`` members) are generated with SQL (`_stats_synthetic.py`); then leaderboards
   (messages and voice, random 1-90 day ranges) and overviews run in servers drawn half from the 10 biggest and
   half at random; p50/p99 in ms, with the biggest server's own p99, of the first pass, and (``_least_of_3``) of
   each query's least time over ``--query-passes`` passes (the shared machine's stalls left out).

Prints ONE JSON line. ``python benchmarks/stats_ingest.py [--skip-postgres] [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Index, MetaData, Table, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _stats_synthetic as synthetic

from wolaro.data.database import Database
from wolaro.modules.statistics import queries, store
from wolaro.modules.statistics.models import (
    BlockMark,
    ChannelDaily,
    GuildDaily,
    HourlyActivity,
    UserBlock,
    UserDaily,
)
from wolaro.modules.statistics.recorder import GuildRules, Recorder
from wolaro.sdk import Base

ROLLUPS = [HourlyActivity, UserDaily, ChannelDaily, GuildDaily, UserBlock]
OWN = [*(m.__table__ for m in ROLLUPS), BlockMark.__table__, Base.metadata.tables["statistics_optouts"]]
POSTGRES = os.environ.get("WOLARO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- schema
def plain_tables() -> tuple[MetaData, dict[str, Table]]:
    """Copies of the rollup tables without a primary key (rows repeat across flushes) but with the same index."""
    metadata = MetaData()
    tables = {}
    for model in ROLLUPS:
        source = model.__table__
        columns = [c._copy() for c in source.columns]
        for column in columns:
            column.primary_key = False
            column.nullable = True
        table = Table(f"plain_{source.name}", metadata, *columns)
        Index(f"ix_plain_{source.name}", *[table.c[c.name] for c in source.primary_key.columns])
        tables[source.name] = table
    return metadata, tables


async def create_schema(db: Database) -> dict[str, Table]:
    """The module's tables and the plain copies, dropped first if there: each measure starts from empty tables."""
    metadata, plain = plain_tables()
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(lambda sync: Base.metadata.drop_all(sync, tables=OWN))
        await conn.run_sync(lambda sync: Base.metadata.create_all(sync, tables=OWN))
        await conn.run_sync(metadata.create_all)
    return plain


# ---------------------------------------------------------------------------------------------- ingest
def synthetic_events(n: int, guilds: int, seed: int = 7) -> list[tuple[int, int, int, int]]:
    """(guild, hour, channel, user) of n messages, 100,000 an hour, 50 members and 5 channels per server.

    Chat is concentrated as in real servers: a few servers, channels and members carry most of it.
    """
    rng = random.Random(seed)
    start_hour = 490_000
    events = []
    for i in range(n):
        g = int(guilds * rng.random() ** 2)
        channel = int(5 * rng.random() ** 2)
        user = int(50 * rng.random() ** 3)
        events.append((1000 + g, start_hour + i // 100_000, 10_000 + g * 10 + channel, 50_000 + g * 100 + user))
    return events


async def _rules(guild_ids: set[int]) -> dict[int, GuildRules]:
    return dict.fromkeys(guild_ids, GuildRules())


async def ingest(db: Database, events: list[tuple[int, int, int, int]], flush_keys: int) -> tuple[float, list[Any]]:
    """Events/s through the real path, and the rows each flush wrote (for the ceiling).

    Flushes follow the recorder's own size rule (it wakes its flusher at `flush_keys` distinct counters), which
    is what decides under a heavy load; the age rule (every 5 s) only matters when chat is slow.
    """
    recorder = Recorder(db, rules=_rules, flush_keys=flush_keys)
    written: list[Any] = []
    original = store.write_rows

    async def capture(session: Any, rows: Any, *args: Any) -> None:
        written.append(rows)
        await original(session, rows, *args)

    store.write_rows = capture  # type: ignore[assignment]
    count = recorder.count_message
    wake = recorder._wake
    started = time.perf_counter()
    try:
        for start in range(0, len(events), 1000):
            for g, h, c, u in events[start : start + 1000]:
                count(g, h, c, u)
            if wake.is_set():
                wake.clear()
                assert await recorder.flush()
        assert await recorder.flush()
    finally:
        store.write_rows = original  # type: ignore[assignment]
    return len(events) / (time.perf_counter() - started), written


async def raw_events(db: Database, events: list[tuple[int, int, int, int]], flush_every: int) -> float:
    """Events/s of a plain executemany of the events themselves, one row each (what writing every event costs)."""
    async with db.engine.connect() as probe:
        marks = probe.dialect.paramstyle
    statement = (
        "INSERT INTO plain_statistics_hourly (guild_id, hour, channel_id, user_id, messages, voice_seconds) "
        f"VALUES ({store.placeholders(6, marks)})"
    )
    started = time.perf_counter()
    for start in range(0, len(events), flush_every):
        rows = [(g, h, c, u, 1, 0) for g, h, c, u in events[start : start + flush_every]]
        async with db.transaction() as session:
            await (await session.connection()).exec_driver_sql(statement, rows)
    return len(events) / (time.perf_counter() - started)


async def ceiling(db: Database, written: list[Any], events: int) -> float:
    """Events/s if the same rows were inserted with the driver's plain executemany (one transaction per flush)."""
    async with db.engine.connect() as probe:
        marks = probe.dialect.paramstyle
    statements = {}
    for name, (table, keys, added, latest) in store.TABLES.items():
        columns = [*keys, *added, *latest]
        statements[name] = (
            f"INSERT INTO plain_{table} ({', '.join(columns)}) VALUES ({store.placeholders(len(columns), marks)})"
        )
    started = time.perf_counter()
    for rows in written:
        async with db.transaction() as session:
            connection = await session.connection()
            for name in store.TABLES:
                batch = getattr(rows, name)
                if batch:
                    await connection.exec_driver_sql(statements[name], batch)
    return events / (time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------- queries
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def query_latency(db: Database, args: argparse.Namespace, last_day: int) -> dict[str, Any]:
    """p50/p99 of the first pass over the queries; `_least_of_N` figures take each query's least time of
    `--query-passes` passes (the same queries again: what a query costs with the shared machine's stalls left out).
    """
    rng = random.Random(11)
    biggest = [synthetic.GUILD_BASE + i for i in range(10)]
    plan = []
    for i in range(args.queries):
        guild = biggest[i % 10] if i % 2 == 0 else synthetic.GUILD_BASE + rng.randrange(args.guilds)
        length = rng.randint(1, 90)
        first = last_day - rng.randint(0, 90 - length) - length + 1
        plan.append((guild, rng.choice(["messages", "voice"]), (first, first + length - 1)))
    passes: list[dict[str, list[float]]] = []
    for _ in range(args.query_passes):
        timings: dict[str, list[float]] = {"leaderboard": [], "overview": [], "biggest": []}
        for guild, metric, days in plan:
            started = time.perf_counter()
            await queries.leaderboard(db, guild, metric, days)  # type: ignore[arg-type]
            lap = (time.perf_counter() - started) * 1000
            timings["leaderboard"].append(lap)
            started = time.perf_counter()
            await queries.overview(db, guild, days)
            lap2 = (time.perf_counter() - started) * 1000
            timings["overview"].append(lap2)
            if guild == synthetic.GUILD_BASE:
                timings["biggest"] += [lap, lap2]
        passes.append(timings)
    least = {name: [min(times) for times in zip(*(p[name] for p in passes), strict=True)] for name in passes[0]}
    figures = {}
    for suffix, timings in (("", passes[0]), (f"_least_of_{len(passes)}", least)):
        figures |= {
            f"leaderboard_p50_ms{suffix}": pct(timings["leaderboard"], 0.5),
            f"leaderboard_p99_ms{suffix}": pct(timings["leaderboard"], 0.99),
            f"overview_p50_ms{suffix}": pct(timings["overview"], 0.5),
            f"overview_p99_ms{suffix}": pct(timings["overview"], 0.99),
            f"biggest_guild_p99_ms{suffix}": pct(timings["biggest"], 0.99),
        }
    return figures


async def measure_ingest(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    """`--rounds` rounds of: the real path, the plain executemany of the events, of the aggregated rows.

    Each measure starts from freshly created, empty tables, and the first of each round alternates (ingest first
    in even rounds, the events' executemany first in odd ones), so a drift of the shared machine's load falls on
    both, after an unmeasured warm-up of both on a tenth of the events. The ratios are per round; the figures
    reported are their medians.
    """
    events = synthetic_events(args.events, args.guilds_ingest)
    for warm in ("ingest", "raw"):  # not measured: connections, caches and the server's catalog warm for both
        await create_schema(db)
        if warm == "ingest":
            await ingest(db, events[: len(events) // 10], args.flush_keys)
        else:
            await raw_events(db, events[: len(events) // 10], args.flush_every)
    rounds: list[dict[str, float]] = []
    for round_ in range(args.rounds):
        figures: dict[str, float] = {}
        for step in ("ingest", "raw") if round_ % 2 == 0 else ("raw", "ingest"):
            await create_schema(db)
            if step == "ingest":
                figures["ingest"], written = await ingest(db, events, args.flush_keys)
            else:
                figures["raw"] = await raw_events(db, events, args.flush_every)
        await create_schema(db)
        figures["aggregated"] = await ceiling(db, written, len(events))
        figures["rows"] = sum(len(getattr(r, name)) for r in written for name in store.TABLES)
        figures["flushes"] = len(written)
        rounds.append(figures)
        say(
            f"round {round_ + 1}: ingest {figures['ingest']:,.0f} events/s; plain executemany of the events "
            f"{figures['raw']:,.0f}/s (ratio {figures['ingest'] / figures['raw']:.3f}), of the aggregated rows "
            f"({figures['rows']:,.0f}) {figures['aggregated']:,.0f} events/s"
        )
    ratios = [r["ingest"] / r["raw"] for r in rounds]
    return {
        "ingest_eps": round(statistics.median(r["ingest"] for r in rounds)),
        "executemany_events_eps": round(statistics.median(r["raw"] for r in rounds)),
        "ratio": round(statistics.median(ratios), 3),
        "ratios": [round(r, 3) for r in ratios],
        "executemany_aggregated_rows_eps": round(statistics.median(r["aggregated"] for r in rounds)),
        "ratio_vs_aggregated_rows": round(statistics.median(r["ingest"] / r["aggregated"] for r in rounds), 3),
        "rows_per_flush": round(rounds[0]["rows"] / max(1, rounds[0]["flushes"])),
    }


async def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = Database(url, pool_size=2, max_overflow=0)
    try:
        figures = await measure_ingest(db, args)
        say(f"{name}: {figures}")
        await create_schema(db)
        started = time.perf_counter()
        last_day = 20_500
        async with db.engine.begin() as conn:
            await synthetic.build(conn, guilds=args.guilds, days=90, max_users=args.max_users, last_day=last_day)
            total, user_rows, biggest_rows = await synthetic.message_events(conn)
        if db.dialect == "postgresql":  # what autovacuum does after inserts (PostgreSQL 13+): statistics, and
            # the visibility map index-only scans rely on (`--no-vacuum`: right after the bulk load, ANALYZE only)
            async with db.engine.connect() as conn:
                command = "ANALYZE" if args.no_vacuum else "VACUUM ANALYZE"
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(text(command))
        else:
            async with db.engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        say(
            f"{name}: {total:,} synthetic message events ({user_rows:,} member-day rows, biggest server "
            f"{biggest_rows:,}) in {time.perf_counter() - started:.1f}s"
        )
        latency = await query_latency(db, args, last_day)
        say(f"{name}: {latency}")
        return {
            **figures,
            "synthetic_events": total,
            "member_day_rows": user_rows,
            "biggest_guild_member_day_rows": biggest_rows,
            **latency,
        }
    finally:
        await db.dispose()


async def with_postgres_database(args: argparse.Namespace) -> dict[str, Any]:
    name = f"wolaro_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return await run_backend("postgresql", f"{base}/{name}", args)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"events": args.events, "flush_keys": args.flush_keys, "guilds": args.guilds}
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite"] = await run_backend("sqlite", f"sqlite+aiosqlite:///{folder}/stats.db", args)
    if not args.skip_postgres:
        result["postgresql"] = await with_postgres_database(args)
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300_000, help="message events ingested")
    parser.add_argument("--flush-keys", type=int, default=20_000, help="distinct counters that trigger a flush")
    parser.add_argument("--flush-every", type=int, default=20_000, help="events per transaction of the raw baseline")
    parser.add_argument("--rounds", type=int, default=3, help="ingest and baseline measures, alternating")
    parser.add_argument("--guilds-ingest", type=int, default=200, help="servers the ingested events fall in")
    parser.add_argument("--guilds", type=int, default=1000, help="servers in the query world")
    parser.add_argument("--max-users", type=int, default=5000, help="members of the biggest server")
    parser.add_argument("--queries", type=int, default=400, help="leaderboard + overview pairs timed")
    parser.add_argument("--query-passes", type=int, default=3, help="passes over the same queries")
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-vacuum", action="store_true", help="PostgreSQL: ANALYZE only after the bulk load")
    parser.add_argument("--quick", action="store_true", help="a small world (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.guilds, args.max_users, args.queries = 40_000, 50, 300, 40
    return args


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(parse_args()))))
