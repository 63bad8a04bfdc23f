"""A giveaway's end survives a SIGKILLed process, and two worker processes on PostgreSQL end each giveaway once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.harness import PlatformProcess, answered, process_env
from tests.support.moderation import Place, say
from wolaro.data.database import Database
from wolaro.jobs import ScheduledJob
from wolaro.modules.giveaways.models import Giveaway, GiveawayEntry
from wolaro.sandbox import Sandbox
from wolaro.settings import Settings

pytestmark = pytest.mark.timeout(150)


def won(sandbox, channel: int) -> list[dict]:
    return [m for m in sandbox.bot_messages(channel) if m["content"].startswith("🎉 Congratulations")]


async def start_with_entries(sandbox, channel: int, owner: int, prize: str, entrants: list[int]) -> dict:
    """`!giveaway start 3s 2 <prize>` as the owner, then each entrant presses Enter."""
    await sandbox.send_message(channel, owner, f'!giveaway start 3s 2 "{prize}"')
    shown = await sandbox.wait_for_message(
        channel, predicate=lambda m: bool(m["components"]) and prize in m["embeds"][0]["title"], timeout=10
    )
    custom_id = shown["components"][0]["components"][0]["custom_id"]
    for user in entrants:
        record = await sandbox.invoke_component(channel, int(shown["id"]), user, custom_id)
        answer = await sandbox.wait_for_interaction_response(record, timeout=10)
        assert "You're in!" in answer["content"], answer
    return shown


async def rows(url: str) -> tuple[list[Giveaway], list[GiveawayEntry], list[ScheduledJob]]:
    db = Database(url)
    try:
        async with db.session() as session:
            giveaways = list(await session.scalars(select(Giveaway).order_by(Giveaway.id)))
            entries = list(await session.scalars(select(GiveawayEntry)))
            jobs = list(await session.scalars(select(ScheduledJob).where(ScheduledJob.kind == "giveaways.end")))
            return giveaways, entries, jobs
    finally:
        await db.dispose()


async def test_a_giveaway_due_during_a_crash_ends_once_after_restart(sandbox, tmp_path):
    place = Place.of(sandbox)
    data_dir = tmp_path / "data"
    env = process_env(sandbox, DATA_DIR=str(data_dir), JOBS_POLL_INTERVAL="0.2", API_PORT="0", LOG_LEVEL="WARNING")
    first = PlatformProcess(env, tmp_path / "first.log").start()
    second: PlatformProcess | None = None
    try:
        await answered(sandbox, place.channel, place.owner)
        assert "enabled" in (await say(sandbox, place.channel, place.owner, "!modules enable giveaways"))["content"]
        await start_with_entries(sandbox, place.channel, place.owner, "Crash-proof prize", place.plain)
        first.kill()  # SIGKILL: the giveaway's end is only a row in the database now
        await asyncio.sleep(3.5)
        assert won(sandbox, place.channel) == []

        second = PlatformProcess(env, tmp_path / "second.log").start()
        announced = await sandbox.wait_for_message(
            place.channel, predicate=lambda m: m["content"].startswith("🎉 Congratulations"), timeout=30
        )
        assert "**Crash-proof prize**" in announced["content"]
        await asyncio.sleep(1.5)  # a second draw would have been announced by now
        assert len(won(sandbox, place.channel)) == 1
    finally:
        for process in (first, second):
            if process is not None:
                process.stop()
    url = Settings(_env_file=None, data_dir=data_dir).effective_database_url
    (giveaway,), entries, (job,) = await rows(url)
    assert giveaway.ended_at is not None and giveaway.rounds == 1 and giveaway.result_message_id is not None
    winners = sorted(e.user_id for e in entries if e.won_round == 1)
    assert len(winners) == 2 and set(winners) <= set(place.plain)
    assert all(f"<@{w}>" in announced["content"] for w in winners)
    assert (job.status, job.attempts) == ("done", 1)
    for process in (first, second):
        assert "Traceback" not in process.log(), process.log()[-3000:]


def shard_of(guild_id: int, shards: int) -> int:
    return (guild_id >> 22) % shards


@pytest.mark.postgres
async def test_two_processes_on_postgres_end_each_giveaway_exactly_once(postgres_url, tmp_path: Path):
    """Two `wolaro run` processes (one shard each) share PostgreSQL and both run the job worker.

    Each guild runs three giveaways ending together; every one is announced once and drawn once.
    """
    async with Sandbox(guilds=2, members_per_guild=6, shards=2) as sandbox:
        guilds = sorted(sandbox.guild_ids(), key=lambda g: shard_of(g, 2))
        shared = {
            "DATABASE_URL": postgres_url,
            "SHARD_COUNT": "2",
            "JOBS_POLL_INTERVAL": "0.1",
            "API_PORT": "0",
            "LOG_LEVEL": "WARNING",
        }
        processes = []
        try:
            for shard, guild in enumerate(guilds):
                env = process_env(sandbox, SHARD_IDS=str(shard), **shared)
                processes.append(PlatformProcess(env, tmp_path / f"shard{shard}.log").start())
                channel = sandbox.text_channel_ids(guild)[0]
                await answered(sandbox, channel, sandbox.owner_id(guild))  # migrations run one process at a time
            for guild in guilds:
                channel, owner = sandbox.text_channel_ids(guild)[0], sandbox.owner_id(guild)
                await say(sandbox, channel, owner, "!modules enable giveaways")
                for n in range(3):
                    await start_with_entries(sandbox, channel, owner, f"Prize {n}", sandbox.member_ids(guild)[1:5])
            channels = [sandbox.text_channel_ids(g)[0] for g in guilds]
            for _ in range(200):
                if all(len(won(sandbox, c)) >= 3 for c in channels):
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # a second draw would have been announced by now
            for channel in channels:
                texts = sorted(m["content"].split("**")[1] for m in won(sandbox, channel))
                assert texts == ["Prize 0", "Prize 1", "Prize 2"], texts
        finally:
            for process in processes:
                process.stop()
        giveaways, entries, jobs = await rows(postgres_url)
        assert len(giveaways) == 6 and all(g.ended_at is not None and g.rounds == 1 for g in giveaways)
        for giveaway in giveaways:
            assert len([e for e in entries if e.giveaway_id == giveaway.id and e.won_round == 1]) == 2
        assert [(j.status, j.attempts) for j in jobs] == [("done", 1)] * 6
        for process in processes:
            assert "Traceback" not in process.log(), process.log()[-3000:]
