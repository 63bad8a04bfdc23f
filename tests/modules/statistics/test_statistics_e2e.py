"""Statistics end to end: scripted chat and voice through the sandbox give exact figures in /stats, /top and the
dashboard API; a chart PNG comes with each answer; opting out stops counting."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tests.modules.statistics.conftest import Stats
from wolaro.core.privacy import announce_erasure
from wolaro.modules.statistics.views import voice_time

pytestmark = pytest.mark.timeout(90)
PNG = b"\x89PNG\r\n\x1a\n"


async def chat(stats: Stats, eventually) -> None:
    """alice: 5 messages in #0; bob: 2 in #0 and 2 in #1 (9 in all), then flushed."""
    a, b = stats.text[0], stats.text[1]
    script = [(a, stats.alice)] * 5 + [(a, stats.bob)] * 2 + [(b, stats.bob)] * 2
    for channel, author in script:
        await stats.sandbox.send_message(channel, author, "hello there")
    await eventually(lambda: stats.cog.recorder.buffer.batch.events >= 9)
    await stats.flush()


async def voice(stats: Stats, eventually) -> None:
    """alice 10 min in voice 0; bob 5 min in voice 0 then 10 min in voice 1 (a move). Exact, on the fake clock."""
    sessions = stats.cog.recorder.voice.sessions
    start = stats.clock.now = float(int(time.time()) - 3600)
    v0, v1 = stats.voice[0], stats.voice[1] if len(stats.voice) > 1 else stats.voice[0]

    async def move(user: int, channel: int | None, at: float) -> None:
        stats.clock.now = start + at
        await stats.sandbox.voice_state(stats.guild, user, channel)
        key = (stats.guild, user)
        if channel is None:
            await eventually(lambda: key not in sessions)
        else:
            await eventually(lambda: key in sessions and sessions[key].channel_id == channel)

    await move(stats.alice, v0, 0)
    await move(stats.bob, v0, 100)
    await move(stats.bob, v1, 400)
    await move(stats.alice, None, 600)
    await move(stats.bob, None, 1000)
    stats.clock.now = start + 1000
    await stats.flush()


def field(embed: dict, name: str) -> str:
    return next(f["value"] for f in embed["fields"] if f["name"] == name)


async def slash(stats: Stats, name: str, options=None, subcommand=None) -> dict:
    record = await stats.sandbox.invoke_slash(
        stats.guild, stats.text[0], stats.owner, name, options or {}, subcommand=subcommand
    )
    return await stats.sandbox.wait_for_interaction_response(record, timeout=15)


def chart_of(stats: Stats, answer: dict) -> bytes:
    (attachment,) = answer["message"]["attachments"]
    assert attachment["filename"] == "statistics.png"
    data = stats.sandbox.state.attachments[int(attachment["id"])]
    assert data.startswith(PNG)
    return data


async def test_chat_and_voice_give_exact_figures_in_stats_top_and_the_dashboard(stats, dashboard, eventually, tmp_path):
    await chat(stats, eventually)
    await voice(stats, eventually)

    server = await slash(stats, "stats", {"period": "week"}, subcommand="server")
    (embed,) = server["embeds"]
    assert field(embed, "Messages") == "9"
    assert field(embed, "Voice time") == voice_time(600 + 900) == "25m 00s"
    assert field(embed, "Active members") == "2"
    assert field(embed, "Top channels") == f"<#{stats.text[0]}> · 7\n<#{stats.text[1]}> · 2"
    (tmp_path / "server.png").write_bytes(chart_of(stats, server))

    top = await slash(stats, "top", {"period": "week"}, subcommand="messages")
    assert top["embeds"][0]["description"] == f"1. <@{stats.alice}> · 5\n2. <@{stats.bob}> · 4"
    chart_of(stats, top)
    top_voice = await slash(stats, "top", {"period": "day"}, subcommand="voice")
    offered = await stats.sandbox.invoke_autocomplete(
        stats.guild, stats.text[0], stats.owner, "top", "period", "days", subcommand="messages"
    )
    assert [(c["name"], c["value"]) for c in offered] == [
        ("Last 7 days", "week"),
        ("Last 30 days", "month"),
        ("Last 90 days", "quarter"),
        ("Last 365 days", "year"),
    ]
    refused = await slash(stats, "top", {"period": "fortnight"}, subcommand="messages")
    assert refused["ephemeral"] and refused["content"].startswith("Unknown period fortnight: choose one of Today,"), (
        refused
    )
    assert top_voice["embeds"][0]["description"] == f"1. <@{stats.bob}> · 15m 00s\n2. <@{stats.alice}> · 10m 00s"

    user = await slash(stats, "stats", {"member": str(stats.bob)}, subcommand="user")
    assert field(user["embeds"][0], "Messages") == "4"
    assert field(user["embeds"][0], "Voice time") == "15m 00s"
    assert field(user["embeds"][0], "Rank") == "#2"
    channel = await slash(stats, "stats", {"channel": str(stats.text[0])}, subcommand="channel")
    assert field(channel["embeds"][0], "Messages") == "7"
    assert field(channel["embeds"][0], "Most active members") == f"1. <@{stats.alice}> · 5\n2. <@{stats.bob}> · 2"

    client = await dashboard.as_user(stats.owner)
    base = f"/api/guilds/{stats.guild}/modules/statistics"
    overview = (await client.get(f"{base}/overview")).json()
    assert (overview["messages"], overview["voice_seconds"], overview["active_members"]) == (9, 1500, 2)
    board = (await client.get(f"{base}/leaderboard", params={"metric": "voice"})).json()
    assert [(r["user_id"], r["value"]) for r in board] == [(str(stats.bob), 900), (str(stats.alice), 600)]
    in_channel = (await client.get(f"{base}/leaderboard", params={"channel_id": str(stats.text[1])})).json()
    assert [(r["user_id"], r["value"]) for r in in_channel] == [(str(stats.bob), 2)]
    bad = await client.get(f"{base}/overview", params={"start": "2026-12-05", "end": "2026-12-01"})
    assert bad.status_code == 422
    page = await client.get(f"/guilds/{stats.guild}/modules/statistics/charts")
    assert page.status_code == 200 and "assets/uPlot.iife.min.js" in page.text
    script = await client.get(f"{base}/assets/uPlot.iife.min.js")
    assert script.status_code == 200 and "uPlot" in script.text
    other = await (await dashboard.as_user(stats.sandbox.owner_id(stats.sandbox.guild_ids()[1]))).get(
        f"{base}/overview"
    )
    assert other.status_code == 403  # another server's owner sees nothing of this one


async def test_new_messages_drop_cached_results_and_opted_out_members_are_not_counted(stats, eventually):
    await chat(stats, eventually)
    first = await slash(stats, "stats", subcommand="server")
    assert field(first["embeds"][0], "Messages") == "9"

    answer = await slash(stats, "stats", subcommand="optout")
    assert answer["ephemeral"] and answer["content"].startswith("From now on nothing about you is counted")
    record = await stats.sandbox.invoke_slash(stats.guild, stats.text[0], stats.alice, "stats", subcommand="optout")
    await stats.sandbox.wait_for_interaction_response(record, timeout=5)
    for author in (stats.alice, stats.alice, stats.bob):
        await stats.sandbox.send_message(stats.text[0], author, "more")
    await eventually(lambda: stats.cog.recorder.buffer.batch.events >= 3)
    await stats.flush()
    again = await slash(stats, "stats", subcommand="server")
    assert field(again["embeds"][0], "Messages") == "10"  # bob's new message; alice's are not counted
    top = await slash(stats, "top", subcommand="messages")
    assert top["embeds"][0]["description"] == f"1. <@{stats.alice}> · 5\n2. <@{stats.bob}> · 5"

    exported = await stats.cog.spec.privacy.export_user_data(stats.bot.services.db, stats.alice, stats.guild)
    assert sum(r["messages"] for r in exported["user_daily"]) == 5 and exported["optouts"]
    # hourly and daily rows (blocks are built by the daily job once their days are over: test_blocks erases them)
    assert await stats.cog.spec.privacy.delete_user_data(stats.bot.services.db, stats.alice, None) >= 2
    left = await stats.cog.spec.privacy.export_user_data(stats.bot.services.db, stats.alice, None)
    assert list(left) == ["optouts"]  # her choice not to be counted is kept: she stays uncounted

    # bob's counters still in memory when his data is erased (by any process) are dropped, not written after
    before = await stats.cog.spec.privacy.export_user_data(stats.bot.services.db, stats.bob, stats.guild)
    await stats.sandbox.send_message(stats.text[0], stats.bob, "pending")
    await eventually(lambda: stats.cog.recorder.buffer.batch.events >= 1)
    await announce_erasure(stats.bot.services.pubsub, stats.bob, stats.guild)
    await eventually(lambda: stats.cog.recorder.buffer.batch.events == 0)
    await stats.flush()
    assert await stats.cog.spec.privacy.export_user_data(stats.bot.services.db, stats.bob, stats.guild) == before


async def test_a_graceful_stop_writes_what_is_buffered(stats, eventually):
    await stats.sandbox.send_message(stats.text[0], stats.alice, "one")
    await eventually(lambda: stats.cog.recorder.buffer.batch.events >= 1)
    await stats.bot.remove_cog(stats.cog.__cog_name__)  # what bot.close() does to every Cog
    from wolaro.modules.statistics import queries
    from wolaro.modules.statistics.times import today

    day = today("UTC", datetime.now(UTC))
    assert not len(stats.cog.recorder.buffer), stats.cog.recorder.failures
    assert await queries.messages_on(stats.bot.services.db, stats.guild, day) == 1
