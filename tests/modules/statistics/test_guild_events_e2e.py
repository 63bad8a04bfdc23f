"""Statistics and the server itself, through the sandbox and discord.py: the bot removed from a server (GUILD_DELETE
without `unavailable`) ends its voice sessions at that moment and still writes what was buffered for it; the AFK
channel changed (GUILD_UPDATE) stops or starts the time of the members in it; the server coming back or the bot
added back (GUILD_CREATE once ready) gives its member count and picks up who is in voice. Durations are exact on
the recorder's clock."""

from __future__ import annotations

import time

import pytest

from tests.modules.statistics.conftest import Stats
from wolaro.modules.statistics import queries
from wolaro.modules.statistics.times import period_days

pytestmark = pytest.mark.timeout(60)


async def totals(stats: Stats) -> tuple[int, int]:
    """(messages, voice seconds) of the server over the last week, from the rollups."""
    result = await queries.overview(stats.bot.services.db, stats.guild, period_days("week", "UTC"))
    return result["messages"], result["voice_seconds"]


async def test_bot_removed_closes_voice_sessions_then_and_keeps_what_was_buffered(stats, eventually):
    sessions = stats.cog.recorder.voice.sessions
    start = stats.clock.now = float(int(time.time()) - 3600)
    for _ in range(3):
        await stats.sandbox.send_message(stats.text[0], stats.alice, "hello")
    await eventually(lambda: stats.cog.recorder.buffer.batch.events >= 3)
    await stats.sandbox.voice_state(stats.guild, stats.alice, stats.voice[0])
    await eventually(lambda: (stats.guild, stats.alice) in sessions)

    stats.clock.now = start + 300
    await stats.sandbox.remove_bot(stats.guild)
    await eventually(lambda: stats.bot.get_guild(stats.guild) is None and (stats.guild, stats.alice) not in sessions)

    stats.clock.now = start + 5000  # long after: none of this time is counted
    await stats.flush()
    assert await totals(stats) == (3, 300)
    assert stats.cog.recorder.voice.sessions == {}


async def test_afk_channel_change_stops_and_restarts_voice_time(stats, eventually):
    sessions = stats.cog.recorder.voice.sessions
    key = (stats.guild, stats.alice)
    start = stats.clock.now = float(int(time.time()) - 3600)
    await stats.sandbox.voice_state(stats.guild, stats.alice, stats.voice[0])
    await eventually(lambda: key in sessions)

    stats.clock.now = start + 100
    await stats.sandbox.set_afk_channel(stats.guild, stats.voice[0])  # alice now sits in the AFK channel
    await eventually(lambda: key not in sessions)
    stats.clock.now = start + 400
    await stats.sandbox.set_afk_channel(stats.guild, None)  # no AFK channel any more: her time counts again
    await eventually(lambda: key in sessions)
    stats.clock.now = start + 500
    await stats.sandbox.voice_state(stats.guild, stats.alice, None)
    await eventually(lambda: key not in sessions)

    await stats.flush()
    assert await totals(stats) == (0, 200)


async def test_server_back_gives_its_member_count_and_who_is_in_voice(stats, eventually):
    sessions = stats.cog.recorder.voice.sessions
    key = (stats.guild, stats.bob)
    start = stats.clock.now = float(int(time.time()) - 3600)
    await stats.sandbox.voice_state(stats.guild, stats.bob, stats.voice[0])
    await eventually(lambda: key in sessions)
    stats.cog.recorder.voice.forget(stats.guild)  # as if the process had lost track of the server (an outage)
    stats.cog.recorder.buffer.take()

    stats.clock.now = start + 60
    guild = stats.bot.get_guild(stats.guild)
    stats.bot.dispatch("guild_available", guild)  # GUILD_CREATE of a server back from an outage, once ready
    await eventually(lambda: key in sessions)
    hour = int(stats.clock.now // 3600)
    assert stats.cog.recorder.buffer.batch.members[(stats.guild, hour)][2] == guild.member_count == 7
    assert sessions[key].started_at == start + 60

    stats.clock.now = start + 100
    await stats.flush()
    assert await totals(stats) == (0, 40)


async def test_bot_added_back_counts_the_server_again(stats, eventually):
    sessions = stats.cog.recorder.voice.sessions
    key = (stats.guild, stats.bob)
    start = stats.clock.now = float(int(time.time()) - 3600)
    await stats.sandbox.remove_bot(stats.guild)
    await eventually(lambda: stats.bot.get_guild(stats.guild) is None)
    await stats.sandbox.voice_state(stats.guild, stats.bob, stats.voice[0])  # while the bot is away: not seen
    stats.cog.recorder.buffer.take()

    stats.clock.now = start + 30
    await stats.sandbox.add_bot(stats.guild)  # GUILD_CREATE once ready: discord.py's guild_join
    await eventually(lambda: key in sessions)
    guild = stats.bot.get_guild(stats.guild)
    assert guild is not None and guild.member_count == 7
    assert stats.cog.recorder.buffer.batch.members[(stats.guild, int(stats.clock.now // 3600))][2] == 7
    stats.clock.now = start + 90
    await stats.flush()
    assert await totals(stats) == (0, 60)
