"""Members online: the PRESENCE_UPDATE processor of statistics (off by default).

With the host's `PRESENCE_INTENT` on, the bot knows who is online in each server (`wolaro.core.online`, fed by
GUILD_CREATE's presences and every PRESENCE_UPDATE). For the servers that chose "Count members online", this
sampler looks once a minute: the most members online at once since its last look (so a peak between looks
counts), and how many are online now. It adds them up in memory per server and hour, and per local day, and
writes them with one upsert per table: the highest peak is kept, samples and their sum add up (`average =
online_sum / samples`), the hour keeps its latest look ("online now"). Nothing about any member is stored.

While the database is unreachable the tallies stay in memory (at most `MAX_PENDING` server-hours; past that the
oldest are dropped and counted in a log line) and are written at the next look; a graceful stop writes them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import text

from wolaro.modules.statistics.times import day_date, day_of_hour
from wolaro.sdk import Database, cancel_and_wait, every, get_logger, is_unavailable

log = get_logger(__name__)

SAMPLE_EVERY = 60.0
"""Seconds between two looks."""
MAX_PENDING = 100_000
"""Server-hours kept in memory while the database is unreachable."""
FRESH_HOURS = 1
"""A stat channel shows the latest look if it is from this hour or the one before; else Discord's own count."""

_UPSERT = {
    "hourly": (
        "INSERT INTO statistics_online_hourly AS t (guild_id, hour, peak, samples, online_sum, latest) "
        "VALUES (:g, :k, :peak, :samples, :total, :latest) ON CONFLICT (guild_id, hour) DO UPDATE SET "
        "peak = CASE WHEN excluded.peak > t.peak THEN excluded.peak ELSE t.peak END, "
        "samples = t.samples + excluded.samples, online_sum = t.online_sum + excluded.online_sum, "
        "latest = excluded.latest"
    ),
    "daily": (
        "INSERT INTO statistics_online_daily AS t (guild_id, day, peak, samples, online_sum) "
        "VALUES (:g, :k, :peak, :samples, :total) ON CONFLICT (guild_id, day) DO UPDATE SET "
        "peak = CASE WHEN excluded.peak > t.peak THEN excluded.peak ELSE t.peak END, "
        "samples = t.samples + excluded.samples, online_sum = t.online_sum + excluded.online_sum"
    ),
}


class Presences(Protocol):
    """What the sampler reads of the bot's `OnlineMembers`."""

    def count(self, guild_id: int) -> int:
        """Members online now."""
        ...

    def take_peak(self, guild_id: int) -> int:
        """The most members online at once since the last call."""
        ...

    def guild_ids(self) -> list[int]:
        """Servers whose presences are known."""
        ...


Counting = Callable[[int], Awaitable[str | None]]
"""guild_id -> the server's timezone if it counts members online now (module on, setting on), else None."""


@dataclass(slots=True)
class Tally:
    """Looks at one server over one hour (or one day)."""

    peak: int = 0
    samples: int = 0
    total: int = 0
    latest: int = 0

    def add(self, peak: int, now: int) -> None:
        """One look: the peak since the previous one, and the count now."""
        self.peak = max(self.peak, peak, now)
        self.samples += 1
        self.total += now
        self.latest = now

    def merge(self, newer: Tally) -> None:
        """Fold in the looks taken after these (a failed write given back)."""
        self.peak = max(self.peak, newer.peak)
        self.samples += newer.samples
        self.total += newer.total
        self.latest = newer.latest if newer.samples else self.latest


class OnlineSampler:
    """Looks at who is online once a minute and writes the tallies in batches."""

    def __init__(
        self,
        db: Database,
        presences: Presences,
        counting: Counting,
        *,
        interval: float = SAMPLE_EVERY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.presences = presences
        self.counting = counting
        self.interval = interval
        self.clock = clock
        self.hourly: dict[tuple[int, int], Tally] = {}
        self.daily: dict[tuple[int, int], Tally] = {}
        self.dropped = 0
        self._task: asyncio.Task[None] | None = None

    async def sample(self) -> int:
        """One look at every server that counts members online; how many servers were looked at."""
        hour = int(self.clock() // 3600)
        looked = 0
        for guild_id in self.presences.guild_ids():
            timezone = await self.counting(guild_id)
            if timezone is None:
                self.presences.take_peak(guild_id)  # not counted now: a later first look starts from then
                continue
            peak, now = self.presences.take_peak(guild_id), self.presences.count(guild_id)
            self.hourly.setdefault((guild_id, hour), Tally()).add(peak, now)
            self.daily.setdefault((guild_id, day_of_hour(hour, timezone)), Tally()).add(peak, now)
            looked += 1
        self._bound()
        return looked

    def _bound(self) -> None:
        for tallies in (self.hourly, self.daily):
            while len(tallies) > MAX_PENDING:
                tallies.pop(next(iter(tallies)))  # the oldest first (dicts keep insertion order)
                self.dropped += 1
        if self.dropped:
            log.error("members online not recorded: the database was unreachable too long", dropped=self.dropped)
            self.dropped = 0

    async def flush(self) -> bool:
        """Write the tallies (one upsert per table); False if the database refused (they are kept)."""
        hourly, self.hourly = self.hourly, {}
        daily, self.daily = self.daily, {}
        if not hourly and not daily:
            return True
        try:
            async with self.db.transaction() as session:
                for name, tallies in (("hourly", hourly), ("daily", daily)):
                    rows = [
                        {"g": g, "k": k, "peak": t.peak, "samples": t.samples, "total": t.total, "latest": t.latest}
                        for (g, k), t in sorted(tallies.items())
                    ]
                    if rows:
                        await session.execute(text(_UPSERT[name]), rows)
        except Exception as exc:
            self._give_back(hourly, daily)
            if is_unavailable(exc):
                log.warning("members online not written yet: the database is unavailable", error=repr(exc))
            else:
                log.exception("members online not written yet")
            return False
        return True

    def _give_back(self, hourly: dict[tuple[int, int], Tally], daily: dict[tuple[int, int], Tally]) -> None:
        for older, newer in ((hourly, self.hourly), (daily, self.daily)):
            for key, tally in newer.items():
                if key in older:
                    older[key].merge(tally)
                else:
                    older[key] = tally
        self.hourly, self.daily = hourly, daily
        self._bound()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Look and write every `interval` seconds."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(
                every(self.interval, self._look, failed="members online not looked at"), name="statistics-online"
            )

    async def stop(self) -> None:
        """Stop looking and write what is kept."""
        await cancel_and_wait(self._task)
        self._task = None
        await self.flush()

    async def _look(self) -> None:
        await self.sample()
        await asyncio.shield(self.flush())  # a stop that cancels the loop mid-write must not lose the tallies taken


# ---------------------------------------------------------------------- reading
async def days(db: Database, guild_id: int, first_last: tuple[int, int]) -> list[dict[str, Any]]:
    """Members online per local day of the range: the most at once and the average of the looks."""
    first, last = first_last
    async with db.session() as session:
        rows = await session.execute(
            text(
                "SELECT day, peak, samples, online_sum FROM statistics_online_daily "
                "WHERE guild_id = :g AND day BETWEEN :a AND :b ORDER BY day"
            ),
            {"g": guild_id, "a": first, "b": last},
        )
        return [
            {"day": day_date(int(day)).isoformat(), "peak": int(peak), "average": round(int(total) / int(samples), 1)}
            for day, peak, samples, total in rows
            if samples
        ]


async def summary(db: Database, guild_id: int, first_last: tuple[int, int]) -> dict[str, Any] | None:
    """Members online over the range: the most at once and the average of every look; None if never counted."""
    first, last = first_last
    async with db.session() as session:
        row = (
            await session.execute(
                text(
                    "SELECT MAX(peak), SUM(samples), SUM(online_sum) FROM statistics_online_daily "
                    "WHERE guild_id = :g AND day BETWEEN :a AND :b"
                ),
                {"g": guild_id, "a": first, "b": last},
            )
        ).one()
    peak, samples, total = row
    if not samples:
        return None
    return {"peak": int(peak), "average": round(int(total) / int(samples), 1)}


async def latest(db: Database, guild_id: int, now: float) -> int | None:
    """Members online at the latest look, if it is recent (this hour or the one before), else None."""
    hour = int(now // 3600)
    async with db.session() as session:
        value = await session.execute(
            text(
                "SELECT latest FROM statistics_online_hourly WHERE guild_id = :g AND hour BETWEEN :a AND :b "
                "ORDER BY hour DESC LIMIT 1"
            ),
            {"g": guild_id, "a": hour - FRESH_HOURS, "b": hour},
        )
        found = value.scalar()
    return None if found is None else int(found)


async def clean_up(db: Database, guild_id: int, *, oldest_hour: int, oldest_day: int) -> int:
    """Delete the server's hourly rows before `oldest_hour` and daily rows before `oldest_day`; rows removed."""
    removed = 0
    async with db.transaction() as session:
        for statement, bound in (
            ("DELETE FROM statistics_online_hourly WHERE guild_id = :g AND hour < :k", oldest_hour),
            ("DELETE FROM statistics_online_daily WHERE guild_id = :g AND day < :k", oldest_day),
        ):
            result = await session.execute(text(statement), {"g": guild_id, "k": bound})
            removed += int(getattr(result, "rowcount", 0) or 0)
    return removed
