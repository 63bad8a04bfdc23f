"""REST 429 and 5xx bursts (issue 16, item 4): the bot's answers still arrive, none is lost.

The sandbox answers as Discord does: a per-route 429 with its `X-RateLimit-*` headers, 500/502/504 (which
discord.py retries), and, with the global limit on (50 requests per second per token over every connection), a
global 429 with `Retry-After` and `X-RateLimit-Global`. Each refused request counts as an invalid one.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.support.harness import bot_settings, running_bot
from wolaro.core.bot import WolaroBot
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(90)


@pytest_asyncio.fixture
async def fast_bot(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[WolaroBot]:
    """The real bot with command limits out of the way (the burst comes from few users)."""
    settings = bot_settings(
        sandbox,
        tmp_path,
        command_cooldown_rate="1000/second",
        user_global_rate="1000/second",
        discord_rest_global_limit=50,  # Discord's: the bot keeps under the sandbox's global limit itself
    )
    async with running_bot(sandbox, settings) as running:
        yield running


def is_pong(message: dict[str, Any]) -> bool:
    return str(message.get("content", "")).startswith("Pong!")


async def pings_answered(sandbox: Sandbox, count: int, *, within: float) -> tuple[int, float]:
    """Send `count` !ping round-robin over the first guild's members; (answered, seconds until the last)."""
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    members = sandbox.member_ids(guild)
    started = time.monotonic()
    for index in range(count):
        await sandbox.send_message(channel, members[index % len(members)], "!ping")
    answered = 0
    while answered < count and (remaining := started + within - time.monotonic()) > 0:
        try:
            await sandbox.wait_for_message(channel, predicate=is_pong, timeout=remaining)
        except TimeoutError:
            break
        answered += 1
    return answered, round(time.monotonic() - started, 2)


@pytest.mark.parametrize(("burst", "within"), [([429] * 4, 10.0), ([500, 502], 15.0), ([504], 10.0)])
async def test_injected_burst(
    sandbox: Sandbox, fast_bot: WolaroBot, burst: list[int], within: float, fault_figures: Any
) -> None:
    limits = sandbox.rest_limits
    invalid_before = limits.invalid_requests()
    limits.inject(burst)
    answered, took = await pings_answered(sandbox, 3, within=within)
    fault_figures(
        f"REST burst {'/'.join(map(str, burst))}",
        commands=3,
        commands_failed=3 - answered,
        refusals_served=len(burst) - limits.pending_faults,
        invalid_requests_counted=limits.invalid_requests() - invalid_before,
        last_answer_after_s=took,
    )
    assert limits.pending_faults == 0
    assert answered == 3


async def test_global_limit_shared_by_every_connection(
    sandbox: Sandbox, fast_bot: WolaroBot, fault_figures: Any
) -> None:
    limits = sandbox.rest_limits
    limits.global_per_second = 50
    try:
        answered, took = await pings_answered(sandbox, 120, within=20.0)
    finally:
        limits.global_per_second = None
    fault_figures(
        "REST global limit 50/s, 120 answers at once",
        commands=120,
        commands_failed=120 - answered,
        global_429s=limits.global_429s,
        invalid_requests_counted=limits.invalid_requests(),
        last_answer_after_s=took,
    )
    assert answered == 120
    assert took >= 1.0  # 120 answers cannot pass a 50/s limit in under two windows
