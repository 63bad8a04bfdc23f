"""Redis killed and restarted under load (issue 16, item 4): no command fails, no config change is lost.

Two `wolaro bot` processes share one PostgreSQL and a private `redis-server`; this test is a third process that
writes config (as the dashboard's API process would, with its own services and outbox relay). While `!ping`
arrives ten times a second, Redis is killed for 3 s and started again (empty, as after a crash without
persistence). Prefix changes are written before and during the outage. Afterwards every ping must have had both
answers, and both bot processes must use the last prefix written.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.support.harness import BotProcess, process_env
from wolaro.core.services import Services
from wolaro.sandbox import Sandbox

pytestmark = [pytest.mark.timeout(120), pytest.mark.postgres, pytest.mark.redis]

RATE = 10  # pings per second
PROCESSES = 2


def pongs(sandbox: Sandbox, channel: int) -> int:
    return sum(1 for m in sandbox.bot_messages(channel) if str(m.get("content", "")).startswith("Pong!"))


async def answered_by(sandbox: Sandbox, channel: int, author: int, content: str, *, within: float = 1.0) -> int:
    before = len(sandbox.bot_messages(channel))
    await sandbox.send_message(channel, author, content)
    await asyncio.sleep(within)
    return len(sandbox.bot_messages(channel)) - before


async def until_both_answer(sandbox: Sandbox, channel: int, author: int, content: str) -> None:
    for _ in range(60):
        if await answered_by(sandbox, channel, author, content) >= PROCESSES:
            return
    pytest.fail(f"{content!r} never got an answer from every process")


async def test_redis_killed_and_restarted_under_load(
    sandbox: Sandbox,
    postgres_url: str,
    redis_server_process: Any,
    make_settings: Any,
    tmp_path: Any,
    fault_figures: Any,
) -> None:
    load_guild, config_guild = sandbox.guild_ids()[:2]
    load_channel, config_channel = sandbox.text_channel_ids(load_guild)[0], sandbox.text_channel_ids(config_guild)[0]
    load_user, config_user = sandbox.owner_id(load_guild), sandbox.owner_id(config_guild)
    env = process_env(
        sandbox,
        DATABASE_URL=postgres_url,
        REDIS_URL=redis_server_process.url,
        REDIS_HEALTH_INTERVAL="0.5",
        COMMAND_COOLDOWN_RATE="1000/second",
        USER_GLOBAL_RATE="1000/second",
    )
    bots = [BotProcess(env, tmp_path / f"bot{i}.log").start() for i in range(PROCESSES)]
    writer = None
    try:
        await until_both_answer(sandbox, load_channel, load_user, "!ping")
        await until_both_answer(sandbox, config_channel, config_user, "!ping")  # both cache its config
        settings = make_settings(
            database_url=postgres_url, redis_url=redis_server_process.url, redis_health_interval=0.5
        )
        writer = await Services.start(settings, migrate=False)
        baseline = pongs(sandbox, load_channel)

        sent = 0
        started = time.monotonic()
        script = {1.0: "write:p1", 2.0: "kill", 3.0: "write:p2", 4.0: "write:p3", 5.0: "start"}
        while (elapsed := time.monotonic() - started) < 8.0:
            for at in [at for at in script if at <= elapsed]:
                step = script.pop(at)
                if step == "kill":
                    redis_server_process.stop()
                elif step == "start":
                    await asyncio.to_thread(redis_server_process.start)
                else:
                    await writer.config.set_prefix(config_guild, step.split(":")[1], actor_id=None)
            await sandbox.send_message(load_channel, load_user, "!ping")
            sent += 1
            await asyncio.sleep(1 / RATE)
        for _ in range(50):  # drain: answers still on their way
            if pongs(sandbox, load_channel) - baseline >= sent * PROCESSES:
                break
            await asyncio.sleep(0.2)
        answered = pongs(sandbox, load_channel) - baseline

        converged_at = None
        check_started = time.monotonic()
        while time.monotonic() - check_started < 10:
            if await answered_by(sandbox, config_channel, config_user, "p3ping") >= PROCESSES:
                converged_at = round(time.monotonic() - check_started, 1)
                break
        stale = sum([await answered_by(sandbox, config_channel, config_user, f"{p}ping") for p in ("!", "p1", "p2")])
        fault_figures(
            "redis killed for 3 s and restarted under load",
            pings_sent=sent,
            answers_expected=sent * PROCESSES,
            answers=answered,
            commands_failed=sent * PROCESSES - answered,
            config_changes_written=3,
            config_lost=int(converged_at is None) + stale,
            last_change_seen_by_every_process_after_s=converged_at,
        )
        assert answered == sent * PROCESSES
        assert converged_at is not None
        assert stale == 0
    finally:
        if writer is not None:
            await writer.close()
        for bot in bots:
            bot.stop()
    for bot in bots:
        assert "Traceback" not in bot.log(), bot.log()[-3000:]
