"""Stat channels of a server the bot was removed from, through discord.py and the sandbox: the server can no longer
be read (Discord answers 404 Unknown Guild), so the durable job ends at once, renames nothing and plans no next run;
once the bot is added back the job is planned again and the channel shows its figure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.modules.statistics.conftest import Stats
from wolaro.modules.statistics import jobs

pytestmark = pytest.mark.timeout(90)


async def run_stat_channel_jobs(stats: Stats) -> int:
    """Run the server's due stat channel jobs as a worker does; how many ran."""
    scheduler: Any = stats.bot.services.jobs
    scheduler.bot = stats.bot
    ran = 0
    while claimed := await scheduler.run_due():
        ran += claimed
    return ran


def calls(stats: Stats, method: str, path: str) -> list[int]:
    """The statuses of the bot's `method path` calls, in order."""
    return [c.status for c in stats.sandbox.rest_log if c.method == method and c.path == path]


async def test_the_job_ends_when_the_server_cannot_be_read(stats: Stats, eventually: Any) -> None:
    voice = stats.voice[0]
    scheduler = stats.bot.services.jobs
    name_before = stats.sandbox.state.channel(voice).name
    await stats.sandbox.remove_bot(stats.guild)
    await eventually(lambda: stats.bot.get_guild(stats.guild) is None)
    await stats.bot.config.update_module_config(
        stats.guild,
        "statistics",
        {"stat_channels": [{"channel_id": voice, "figure": "members", "template": "👥 Members: {value}"}]},
        actor_id=None,
    )
    await jobs.schedule_stat_channels(scheduler, stats.guild)  # planned before the bot was removed
    assert len(await scheduler.pending(guild_id=stats.guild, kind=jobs.STAT_CHANNELS_JOB)) == 1

    assert await run_stat_channel_jobs(stats) == 1
    assert calls(stats, "GET", f"/guilds/{stats.guild}") == [404]  # Unknown Guild: read once, not retried
    assert stats.sandbox.rest_log[-1].response == {"message": "Unknown Guild", "code": 10004}
    assert calls(stats, "PATCH", f"/channels/{voice}") == []  # nothing renamed
    assert stats.sandbox.state.channel(voice).name == name_before
    assert await scheduler.pending(guild_id=stats.guild, kind=jobs.STAT_CHANNELS_JOB) == []  # the job ended

    # added back: the module plans the job again (on_guild_joined) and it renames the channel
    await stats.sandbox.add_bot(stats.guild)
    await eventually(lambda: scheduler.pending(guild_id=stats.guild, kind=jobs.STAT_CHANNELS_JOB))
    assert await run_stat_channel_jobs(stats) == 1
    assert calls(stats, "GET", f"/guilds/{stats.guild}") == [404, 200]
    assert calls(stats, "PATCH", f"/channels/{voice}") == [200]
    assert stats.sandbox.state.channel(voice).name == "👥 Members: 7"  # six members and the bot
