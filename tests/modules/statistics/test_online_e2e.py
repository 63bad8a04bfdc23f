"""Members online end to end (statistics' PRESENCE_UPDATE processor, off by default): with the host's presence
intent on, the bot asks Discord for GUILD_PRESENCES, starts from GUILD_CREATE's presences, follows PRESENCE_UPDATE
through discord.py and the sandbox, and a server that counts members online gets exact per-hour and per-day
figures (the most at once, the average of the minute looks) in the dashboard API and its "online" stat channel.
Without the setting nothing is recorded; without the intent the sandbox sends no presence at all."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text

from tests.modules.statistics.conftest import Clock, Stats, dashboard_of, settings_for
from tests.modules.statistics.test_stat_channels_e2e import job_context, renames
from tests.modules.statistics.test_statistics_e2e import field, slash
from tests.support.harness import running_bot
from tests.support.web import Env
from wolaro.modules.statistics import jobs
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(90)


@pytest_asyncio.fixture
async def present(tmp_path: Path) -> AsyncIterator[Stats]:
    """Guild 0 with statistics on and counting members online; its owner online and alice idle before the start."""
    async with Sandbox(guilds=2, members_per_guild=6) as sandbox:
        guild = sandbox.guild_ids()[0]
        members = sandbox.member_ids(guild)
        sandbox.state.guild(guild).presences.update({members[0]: "online", members[2]: "idle"})
        async with running_bot(sandbox, settings_for(sandbox, tmp_path, presence_intent=True)) as bot:
            await bot.config.set_module_enabled(guild, "statistics", True, actor_id=None)
            await bot.config.update_module_config(guild, "statistics", {"count_online": True}, actor_id=None)
            stats = Stats.of(sandbox, bot)
            await stats.cog.online.stop()  # the test takes the looks itself, on a fixed clock
            stats.cog.online.clock = Clock(time.time())
            yield stats


@pytest_asyncio.fixture
async def present_dashboard(present: Stats) -> AsyncIterator[Env]:
    """The dashboard on the same services as the `present` bot."""
    async with dashboard_of(present) as env:
        yield env


async def test_members_online_are_counted_exactly(present: Stats, present_dashboard: Env, eventually) -> None:
    dashboard = present_dashboard
    stats, online = present, present.bot.online
    assert online is not None and stats.bot.intents.presences
    assert online.count(stats.guild) == 2  # owner and alice, from GUILD_CREATE
    carol, dan = stats.sandbox.member_ids(stats.guild)[4:6]
    sampler = stats.cog.online
    assert await sampler.sample() == 1  # guild 1 does not count members online: not looked at

    for user, status in [(stats.bob, "online"), (carol, "dnd"), (stats.bob, "offline")]:
        await stats.sandbox.set_presence(stats.guild, user, status)
    await eventually(lambda: online.count(stats.guild) == 3)
    await sampler.sample()  # 4 at once (owner, alice, bob, carol) since the first look; 3 now
    await stats.sandbox.set_presence(stats.guild, stats.owner, "offline")
    await stats.sandbox.member_remove(stats.guild, dan)  # not online: changes nothing
    await eventually(lambda: online.count(stats.guild) == 2)
    await sampler.sample()  # 3 at most since the last look, 2 now
    assert await sampler.flush()

    async with stats.bot.services.db.session() as session:
        hourly = (
            await session.execute(
                text("SELECT guild_id, peak, samples, online_sum, latest FROM statistics_online_hourly")
            )
        ).all()
    assert hourly == [(stats.guild, 4, 3, 2 + 3 + 2, 2)]

    client = await dashboard.as_user(stats.owner)
    overview = (await client.get(f"/api/guilds/{stats.guild}/modules/statistics/overview")).json()
    day = datetime.fromtimestamp(sampler.clock(), UTC).date()
    assert overview["online"] == [{"day": day.isoformat(), "peak": 4, "average": 2.3}]
    server = await slash(stats, "stats", {"period": "week"}, subcommand="server")
    assert field(server["embeds"][0], "Members online") == "4 at most, 2.3 on average"

    await stats.bot.config.update_module_config(
        stats.guild,
        "statistics",
        {"stat_channels": [{"channel_id": stats.voice[0], "figure": "online", "template": "Online: {value}"}]},
        actor_id=None,
    )
    await jobs.update_stat_channels(job_context(stats, jobs.STAT_CHANNELS_JOB, stats.guild), {})
    assert renames(stats, stats.voice[0]) == ["Online: 2"]  # the bot's latest look (the sandbox's approximate is 0)

    await stats.bot.config.update_module_config(stats.guild, "statistics", {"count_online": False}, actor_id=None)
    assert await sampler.sample() == 0 and sampler.hourly == {}


async def test_without_the_intent_nothing_about_presences_is_asked_or_kept(stats: Stats, eventually) -> None:
    assert stats.bot.online is None and stats.cog.online is None and not stats.bot.intents.presences
    await stats.bot.config.update_module_config(stats.guild, "statistics", {"count_online": True}, actor_id=None)
    data = await stats.sandbox.set_presence(stats.guild, stats.alice, "online")
    assert data["status"] == "online"
    sessions = stats.sandbox.gateway.sessions_for_guild(stats.guild)
    assert sessions and not any(s.wants("PRESENCE_UPDATE", False) for s in sessions)
