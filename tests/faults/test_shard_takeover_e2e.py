"""A bot process SIGKILLed while another takes over its shards (issue 16, items 1 and 4).

The sandbox runs 2 shards (guilds routed by `(guild_id >> 22) % 2`) and enforces Discord's identify rules (one
IDENTIFY per 5 s per bucket, the session-start budget). Process A claims both shards by lease in Redis
(SHARD_LEASES=2, a 3 s lease); process B finds none free and stands by. A is SIGKILLed: its leases expire, B
takes both shards and serves their guilds. Every ping gets at most one answer (never two processes on a shard);
those sent while no process held the shard are lost, as Discord gives a new session nothing of the old one's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.support.harness import BotProcess, process_env
from wolaro.sandbox import Sandbox

pytestmark = [pytest.mark.timeout(120), pytest.mark.postgres, pytest.mark.redis]

SHARDS = 2
LEASE_TTL = 3.0


@pytest_asyncio.fixture
async def sharded_sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(guilds=6, members_per_guild=4, shards=SHARDS) as sb:
        sb.gateway.identify_rules.enforce = True
        yield sb


def one_guild_per_shard(sandbox: Sandbox) -> dict[int, int]:
    found: dict[int, int] = {}
    for guild in sandbox.guild_ids():
        found.setdefault((guild >> 22) % SHARDS, guild)
    assert len(found) == SHARDS, "the sandbox's world has no guild on some shard"
    return found


async def answers(sandbox: Sandbox, guild: int, *, within: float = 0.5) -> int:
    channel = sandbox.text_channel_ids(guild)[0]
    before = len(sandbox.bot_messages(channel))
    await sandbox.send_message(channel, sandbox.owner_id(guild), "!ping")
    await asyncio.sleep(within)
    return len(sandbox.bot_messages(channel)) - before


async def test_sigkilled_process_shards_are_taken_over(
    sharded_sandbox: Sandbox, postgres_url: str, redis_url: str, redis_prefix: str, tmp_path: Any, fault_figures: Any
) -> None:
    sandbox = sharded_sandbox
    guilds = one_guild_per_shard(sandbox)
    env = process_env(
        sandbox,
        DATABASE_URL=postgres_url,
        REDIS_URL=redis_url,
        REDIS_PREFIX=redis_prefix,
        SHARD_COUNT=str(SHARDS),
        SHARD_LEASES=str(SHARDS),
        SHARD_LEASE_TTL=str(LEASE_TTL),
        COMMAND_COOLDOWN_RATE="1000/second",
        USER_GLOBAL_RATE="1000/second",
    )
    a = BotProcess(env, tmp_path / "a.log").start()
    b = None
    try:
        for guild in guilds.values():
            for _ in range(60):
                if await answers(sandbox, guild) == 1:
                    break
            else:
                pytest.fail(f"process A never served guild {guild}")
        b = BotProcess(env, tmp_path / "b.log").start()
        for _ in range(100):
            if "standing by" in b.log():
                break
            await asyncio.sleep(0.2)
        assert "standing by" in b.log(), b.log()[-2000:]

        a.kill()
        killed_at = time.monotonic()
        taken_after: dict[int, float] = {}
        lost = doubles = sent = 0
        while len(taken_after) < SHARDS and time.monotonic() - killed_at < 45:
            for shard, guild in guilds.items():
                got = await answers(sandbox, guild, within=0.25)
                sent += 1
                doubles += got > 1
                if got and shard not in taken_after:
                    taken_after[shard] = round(time.monotonic() - killed_at, 1)
                lost += shard not in taken_after
        after = [await answers(sandbox, guild) for guild in guilds.values() for _ in range(3)]
        fault_figures(
            "bot process SIGKILLed, standby takes its shards over",
            lease_ttl_s=LEASE_TTL,
            shards_taken_over_after_s=taken_after,
            pings_during_takeover=sent,
            pings_lost_while_no_process_held_the_shard=lost,
            pings_answered_twice=doubles + sum(n > 1 for n in after),
            pings_after_takeover=len(after),
            pings_after_takeover_answered=sum(n == 1 for n in after),
            identify_rule_violations=sum(sandbox.gateway.identify_rules.violations.values()),
        )
        assert len(taken_after) == SHARDS
        assert after == [1] * len(after)
        assert doubles == 0
        assert sandbox.gateway.identify_rules.violations == {}
    finally:
        a.kill()
        if b is not None:
            b.stop()
    assert b is not None and "Traceback" not in b.log(), b.log()[-3000:]
    assert b.log().count("shard taken over from a process that stopped renewing") == SHARDS  # counted as takeovers
