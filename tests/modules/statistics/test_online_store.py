"""The members-online tallies on SQLite and PostgreSQL: looks add up per hour and local day (the highest peak kept,
samples and sums added, the latest look kept), a write refused by the database keeps everything for the next one,
the range summary and the stat channel's latest look read them back, and the retention clean-up removes them."""

from __future__ import annotations

from sqlalchemy import text

from wolaro.modules.statistics import online
from wolaro.modules.statistics.times import day_of_hour

GUILD, OTHER = 1_000_000_000_000_000_001, 1_000_000_000_000_000_002
HOUR = 490_000  # 2025-11-24 16:00 UTC


class Looks:
    """Presences as the sampler reads them: a script of (peak since the last look, online now) per server."""

    def __init__(self) -> None:
        self.now: dict[int, int] = {}
        self.peak: dict[int, int] = {}

    def set(self, guild: int, peak: int, now: int) -> None:
        self.peak[guild], self.now[guild] = peak, now

    def count(self, guild_id: int) -> int:
        return self.now.get(guild_id, 0)

    def take_peak(self, guild_id: int) -> int:
        return self.peak.get(guild_id, 0)

    def guild_ids(self) -> list[int]:
        return list(self.now)


async def test_looks_add_up_and_survive_a_refused_write(migrated_db) -> None:
    looks = Looks()
    clock = [HOUR * 3600 + 600.0]

    async def counting(guild_id: int) -> str | None:
        return "Europe/Paris" if guild_id == GUILD else None

    sampler = online.OnlineSampler(migrated_db, looks, counting, clock=lambda: clock[0])
    looks.set(GUILD, 9, 5)
    looks.set(OTHER, 50, 50)
    assert await sampler.sample() == 1
    assert await sampler.flush()

    looks.set(GUILD, 7, 6)
    await sampler.sample()
    real = sampler.db
    sampler.db = None  # type: ignore[assignment]  # the database refuses: the tallies stay in memory
    assert not await sampler.flush()
    sampler.db = real
    looks.set(GUILD, 12, 4)
    await sampler.sample()
    clock[0] += 3600  # the next hour
    looks.set(GUILD, 4, 3)
    await sampler.sample()
    assert await sampler.flush()

    async with migrated_db.session() as session:
        hourly = (
            await session.execute(
                text("SELECT guild_id, hour, peak, samples, online_sum, latest FROM statistics_online_hourly")
            )
        ).all()
        daily = await session.execute(
            text("SELECT guild_id, day, peak, samples, online_sum FROM statistics_online_daily")
        )
        daily_rows = daily.all()
    assert sorted(hourly) == [(GUILD, HOUR, 12, 3, 5 + 6 + 4, 4), (GUILD, HOUR + 1, 4, 1, 3, 3)]
    day = day_of_hour(HOUR, "Europe/Paris")
    assert daily_rows == [(GUILD, day, 12, 4, 18)]

    assert await online.summary(migrated_db, GUILD, (day, day)) == {"peak": 12, "average": 4.5}
    assert await online.summary(migrated_db, OTHER, (day, day)) is None
    assert await online.days(migrated_db, GUILD, (day - 1, day + 1)) == [
        {"day": "2025-11-24", "peak": 12, "average": 4.5}
    ]
    assert await online.latest(migrated_db, GUILD, (HOUR + 1) * 3600 + 10) == 3
    assert await online.latest(migrated_db, GUILD, (HOUR + 5) * 3600) is None  # too old to be "online now"

    assert await online.clean_up(migrated_db, GUILD, oldest_hour=HOUR + 1, oldest_day=day) == 1
    assert await online.clean_up(migrated_db, GUILD, oldest_hour=HOUR + 2, oldest_day=day + 1) == 2
