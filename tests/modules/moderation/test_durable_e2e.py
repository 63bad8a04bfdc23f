"""Temporary bans end on time through the durable job: in process, across a crash, and with two processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.support.harness import PlatformProcess, answered, process_env
from tests.support.moderation import Place, case_list, rest_calls, say, set_config
from wolaro.core.services import Services
from wolaro.data.database import Database
from wolaro.modules.moderation import cases
from wolaro.modules.moderation.rules import Action
from wolaro.sandbox import Sandbox
from wolaro.settings import Settings

pytestmark = pytest.mark.timeout(120)


def ban_deletes(sandbox: Sandbox, guild: int, user: int) -> int:
    return len(rest_calls(sandbox, "DELETE", f"/guilds/{guild}/bans/{user}"))


async def test_temp_ban_is_lifted_on_time_and_recorded_as_an_automatic_unban(sandbox, bot, eventually):
    place = Place.of(sandbox)
    target = place.plain[0]
    jobs = bot.services.jobs
    jobs.bot = bot
    jobs.poll_interval = 0.2
    await jobs.start()
    await set_config(sandbox, place, "modlog_channel_id", str(place.modlog))

    reply = await say(sandbox, place.channel, place.mod, f"!ban <@{target}> 2s cool off")
    assert "was banned for 2s (case #1)" in reply["content"]
    assert target in sandbox.state.guild(place.guild).bans
    call = await sandbox.wait_for_request("DELETE", f"/guilds/{place.guild}/bans/{target}", timeout=10)
    assert "Temporary ban expired (case #1)" in call.reason
    assert target not in sandbox.state.guild(place.guild).bans

    async def recorded() -> bool:
        return len(await case_list(bot, place.guild, target)) == 2

    await eventually(recorded, timeout=5)
    ban, unban = await case_list(bot, place.guild, target)
    assert not ban.active
    assert (unban.action, unban.automated, unban.ref_case, unban.moderator_id) == (
        Action.UNBAN,
        True,
        1,
        sandbox.state.bot_user_id,
    )
    await eventually(lambda: len([m for m in sandbox.bot_messages(place.modlog) if m["embeds"]]) == 2)
    titles = [m["embeds"][0]["title"] for m in sandbox.bot_messages(place.modlog) if m["embeds"]]
    assert titles == ["Case #1 | Temporary ban", "Case #2 | Unban"]
    assert await jobs.pending(guild_id=place.guild) == []
    assert ban_deletes(sandbox, place.guild, target) == 1


async def test_a_worker_process_without_the_bot_lifts_the_ban_and_posts_it(sandbox, bot):
    """`wolaro worker` has no gateway connection: it logs in to REST itself and checks the modlog channel by REST."""
    place = Place.of(sandbox)
    target = place.plain[0]
    await set_config(sandbox, place, "modlog_channel_id", str(place.modlog))
    reply = await say(sandbox, place.channel, place.mod, f"!ban <@{target}> 1s")
    assert "was banned for 1s (case #1)" in reply["content"]
    worker = await Services.start(bot.settings)
    try:
        assert worker.jobs.bot is None
        await asyncio.sleep(1.1)
        assert await worker.jobs.run_due() == 1
    finally:
        await worker.close()
    assert ban_deletes(sandbox, place.guild, target) == 1
    ban, unban = await case_list(bot, place.guild, target)
    assert not ban.active
    assert (unban.action, unban.moderator_id, unban.ref_case) == (Action.UNBAN, sandbox.state.bot_user_id, 1)
    titles = [m["embeds"][0]["title"] for m in sandbox.bot_messages(place.modlog) if m["embeds"]]
    assert titles == ["Case #1 | Temporary ban", "Case #2 | Unban"]
    assert unban.modlog_message_id is not None


async def test_temp_ban_survives_a_killed_bot_process(sandbox, tmp_path):
    place = Place.of(sandbox)
    target = place.plain[0]
    data_dir = tmp_path / "data"
    env = process_env(sandbox, DATA_DIR=str(data_dir), JOBS_POLL_INTERVAL="0.2", API_PORT="0", LOG_LEVEL="WARNING")
    first = PlatformProcess(env, tmp_path / "first.log").start()
    second: PlatformProcess | None = None
    try:
        await answered(sandbox, place.channel, place.owner)
        reply = await say(sandbox, place.channel, place.mod, f"!ban <@{target}> 2s see you soon")
        assert "was banned for 2s (case #1)" in reply["content"]
        first.kill()  # SIGKILL: no shutdown, the job stays pending in the database
        await asyncio.sleep(2.5)
        assert target in sandbox.state.guild(place.guild).bans
        assert ban_deletes(sandbox, place.guild, target) == 0

        second = PlatformProcess(env, tmp_path / "second.log").start()
        call = await sandbox.wait_for_request("DELETE", f"/guilds/{place.guild}/bans/{target}", timeout=30)
        assert "Temporary ban expired (case #1)" in call.reason
        await asyncio.sleep(0.5)
        assert ban_deletes(sandbox, place.guild, target) == 1
        assert target not in sandbox.state.guild(place.guild).bans
    finally:
        for process in (first, second):
            if process is not None:
                process.stop()
    db = Database(Settings(_env_file=None, data_dir=data_dir).effective_database_url)
    try:
        async with db.session() as session:
            found = await cases.for_target(session, place.guild, target)
    finally:
        await db.dispose()
    assert [(c.number, c.action, c.automated) for c in found] == [(2, Action.UNBAN, True), (1, Action.BAN, False)]
    for process in (first, second):
        assert "Traceback" not in process.log(), process.log()[-3000:]


def shard_of(guild_id: int, shards: int) -> int:
    return (guild_id >> 22) % shards


@pytest.mark.postgres
async def test_two_processes_on_postgres_lift_each_temp_ban_exactly_once(postgres_url, tmp_path: Path):
    """Two `wolaro run` processes (one shard each) share PostgreSQL; both run the job worker.

    Each process bans three members of its guild for 2 s; every unban job is claimed by exactly one of the two
    workers, so the sandbox sees exactly one `DELETE /guilds/{id}/bans/{user}` per ban.
    """
    async with Sandbox(guilds=2, members_per_guild=6, shards=2) as sandbox:
        guilds = sorted(sandbox.guild_ids(), key=lambda g: shard_of(g, 2))
        assert [shard_of(g, 2) for g in guilds] == [0, 1]
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
            targets = {}
            for guild in guilds:
                channel = sandbox.text_channel_ids(guild)[0]
                moderator = sandbox.member_ids(guild)[1]
                targets[guild] = sandbox.member_ids(guild)[2:5]
                for target in targets[guild]:
                    reply = await say(sandbox, channel, moderator, f"!ban <@{target}> 2s")
                    assert "was banned for 2s" in reply["content"], reply["content"]

            def all_lifted() -> bool:
                return all(ban_deletes(sandbox, g, t) >= 1 for g in guilds for t in targets[g])

            for _ in range(200):
                if all_lifted():
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # a second worker running the same job would have called by now
            counts = {t: ban_deletes(sandbox, g, t) for g in guilds for t in targets[g]}
            assert set(counts.values()) == {1}, counts
            assert not any(sandbox.state.guild(g).bans for g in guilds)
        finally:
            for process in processes:
                process.stop()
        db = Database(postgres_url)
        try:
            async with db.session() as session:
                for guild in guilds:
                    assert await cases.numbers(session, guild) == [1, 2, 3, 4, 5, 6]
                    for target in targets[guild]:
                        found = await cases.for_target(session, guild, target)
                        assert [(c.action, c.automated) for c in found] == [(Action.UNBAN, True), (Action.BAN, False)]
        finally:
            await db.dispose()
        for process in processes:
            assert "Traceback" not in process.log(), process.log()[-3000:]
