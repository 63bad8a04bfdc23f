"""Stat channels through the sandbox: the voice channel's name shows the figure, a rename is claimed in the database
first so a channel is renamed at most once per 330 s whatever runs the job (never a 429: Discord allows 2 per
600 s), and the job keeps itself scheduled; the retention clean-up deletes what the settings no longer keep."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import discord
import pytest
from sqlalchemy import text

from tests.modules.statistics.conftest import Stats
from wolaro.jobs import JobContext
from wolaro.modules.statistics import jobs, stat_channels
from wolaro.modules.statistics.times import today
from wolaro.sandbox.rest_renames import rename_limit


def job_context(stats: Stats, kind: str, guild_id: int | None) -> JobContext:
    return JobContext(
        job_id=1,
        kind=kind,
        guild_id=guild_id,
        attempt=1,
        max_attempts=8,
        run_at=datetime.now(UTC),
        scheduler=stats.bot.services.jobs,
        bot=stats.bot,
    )


def renames(stats: Stats, channel: int) -> list[str]:
    calls = [c for c in stats.sandbox.rest_log if c.method == "PATCH" and c.path == f"/channels/{channel}"]
    return [c.json["name"] for c in calls]


async def age_renames(stats: Stats, seconds: int) -> None:
    """As if the last renames happened `seconds` earlier."""
    async with stats.bot.services.db.transaction() as session:
        await session.execute(text("UPDATE statistics_stat_channels SET renamed_at = renamed_at - :s"), {"s": seconds})


async def test_a_stat_channel_shows_its_figure_and_is_renamed_at_most_once_per_330_seconds(stats):
    voice = stats.voice[0]
    await stats.bot.config.update_module_config(
        stats.guild,
        "statistics",
        {"stat_channels": [{"channel_id": voice, "figure": "members", "template": "👥 Members: {value}"}]},
        actor_id=None,
    )
    run = jobs.update_stat_channels
    await run(job_context(stats, jobs.STAT_CHANNELS_JOB, stats.guild), {})
    assert renames(stats, voice) == ["👥 Members: 7"]  # six members and the bot
    assert stats.sandbox.state.channel(voice).name == "👥 Members: 7"
    (planned,) = await stats.bot.services.jobs.pending(guild_id=stats.guild, kind=jobs.STAT_CHANNELS_JOB)
    assert planned.run_at.timestamp() >= time.time() + stat_channels.RENAME_EVERY - 5

    await stats.sandbox.member_join(stats.guild)  # the figure changes at once...
    await asyncio.gather(*(run(job_context(stats, jobs.STAT_CHANNELS_JOB, stats.guild), {}) for _ in range(3)))
    assert renames(stats, voice) == ["👥 Members: 7"]  # ...but the channel was renamed moments ago: not now

    await age_renames(stats, stat_channels.RENAME_EVERY - 10)
    await run(job_context(stats, jobs.STAT_CHANNELS_JOB, stats.guild), {})
    assert len(renames(stats, voice)) == 1  # 320 s later: still too soon
    await age_renames(stats, 10)
    await asyncio.gather(*(run(job_context(stats, jobs.STAT_CHANNELS_JOB, stats.guild), {}) for _ in range(3)))
    assert renames(stats, voice) == ["👥 Members: 7", "👥 Members: 8"]  # once, by one of the three runs
    await age_renames(stats, stat_channels.RENAME_EVERY)
    await run(job_context(stats, jobs.STAT_CHANNELS_JOB, stats.guild), {})
    assert len(renames(stats, voice)) == 2  # the figure did not change: no rename at all

    patches = [c for c in stats.sandbox.rest_log if c.method == "PATCH" and c.path == f"/channels/{voice}"]
    assert [c.status for c in patches] == [200, 200] and rename_limit(stats.sandbox).refused == []
    with pytest.raises(discord.HTTPException) as refused:  # the sandbox does enforce Discord's limit:
        await stats.bot.http.edit_channel(voice, name="a third rename within 10 minutes")
    assert refused.value.status == 429 and rename_limit(stats.sandbox).refused == [voice]


async def test_the_clean_up_keeps_what_the_retention_settings_keep(stats):
    # the clean-up the bot plans at start is the run made below (a worker running it: no longer pending)
    for _ in range(600):
        if cancelled := await stats.bot.services.jobs.cancel(dedupe_key=jobs.CLEANUP_JOB):
            break
        await asyncio.sleep(0.05)
    assert cancelled, "the bot plans its clean-up at start"
    await stats.bot.config.update_module_config(
        stats.guild, "statistics", {"hourly_days": 2, "retention_days": 10}, actor_id=None
    )
    last, now_hour = today("UTC"), int(time.time() // 3600)
    async with stats.bot.services.db.transaction() as session:
        for back in (0, 9, 10, 30):
            await session.execute(
                text("INSERT INTO statistics_user_daily VALUES (:g, :d, 1, 1, 0)"), {"g": stats.guild, "d": last - back}
            )
        for back in (0, 47, 49):
            await session.execute(
                text("INSERT INTO statistics_hourly VALUES (:g, :h, 1, 1, 1, 0)"),
                {"g": stats.guild, "h": now_hour - back},
            )
        await session.execute(
            text("INSERT INTO statistics_guild_daily (guild_id, day) VALUES (:g, :d)"),
            {"g": stats.guild, "d": last - 30},
        )
    await jobs.clean_up(job_context(stats, jobs.CLEANUP_JOB, None), {})
    async with stats.bot.services.db.session() as session:
        days = sorted(last - d for (d,) in await session.execute(text("SELECT day FROM statistics_user_daily")))
        hours = sorted(now_hour - h for (h,) in await session.execute(text("SELECT hour FROM statistics_hourly")))
        guild_days = (await session.execute(text("SELECT COUNT(*) FROM statistics_guild_daily"))).scalar()
    assert days == [0, 9] and hours == [0, 47] and guild_days == 0
    (next_run,) = await stats.bot.services.jobs.pending(guild_id=None, kind=jobs.CLEANUP_JOB)
    assert next_run.run_at.timestamp() > time.time() + 23 * 3600  # and again tomorrow
