"""One REST budget for the whole bot (issue 16, item 3): two processes share Discord's global limit through Redis.

The sandbox enforces the global limit (50 requests per second per token over every connection) and answers 429
with `X-RateLimit-Global`. Two bots serve the same guild, so each `!ping` costs two answers. Each bot alone
keeps under 50/s; together, without a shared budget, they send up to twice that and draw global 429s. With
REDIS_URL, both take their slots from one window in Redis and stay under the limit together.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import bot_settings, running_bot
from wolaro.sandbox import Sandbox

pytestmark = [pytest.mark.timeout(120), pytest.mark.redis]

PINGS = 100


def is_pong(message: dict[str, Any]) -> bool:
    return str(message.get("content", "")).startswith("Pong!")


async def burst(sandbox: Sandbox, tmp_path: Path, **shared: Any) -> dict[str, Any]:
    """PINGS !ping at once with two bots running; answers, global 429s and the time the last answer took."""
    guild = sandbox.guild_ids()[0]
    channel, members = sandbox.text_channel_ids(guild)[0], sandbox.member_ids(guild)
    limits = sandbox.rest_limits
    rates = {"command_cooldown_rate": "1000/second", "user_global_rate": "1000/second", "discord_rest_global_limit": 50}
    async with contextlib.AsyncExitStack() as stack:
        for name in ("a", "b"):
            (tmp_path / name).mkdir(parents=True, exist_ok=True)
            settings = bot_settings(sandbox, tmp_path / name, **rates, **shared)
            await stack.enter_async_context(running_bot(sandbox, settings))
        limits.global_per_second, refused_before = 50, limits.global_429s
        started = time.monotonic()
        try:
            for index in range(PINGS):
                await sandbox.send_message(channel, members[index % len(members)], "!ping")
            answered = 0
            while answered < 2 * PINGS and (remaining := started + 20 - time.monotonic()) > 0:
                try:
                    await sandbox.wait_for_message(channel, predicate=is_pong, timeout=remaining)
                except TimeoutError:
                    break
                answered += 1
        finally:
            limits.global_per_second = None
    return {
        "answers": answered,
        "global_429s": limits.global_429s - refused_before,
        "last_answer_after_s": round(time.monotonic() - started, 2),
    }


async def test_two_processes_share_the_global_rest_limit(
    sandbox: Sandbox, redis_url: str, redis_prefix: str, tmp_path: Path, fault_figures: Any
) -> None:
    alone = await burst(sandbox, tmp_path / "own")
    shared = await burst(sandbox, tmp_path / "shared", redis_url=redis_url, redis_prefix=redis_prefix)
    fault_figures(
        "two processes, REST global limit 50/s, 100 pings answered by both",
        answers_expected=2 * PINGS,
        each_process_its_own_budget=alone,
        answers_lost_with_their_own_budgets=2 * PINGS - alone["answers"],  # discord.py gives up after 5 tries
        one_budget_in_redis=shared,
        commands_failed=2 * PINGS - shared["answers"],
    )
    assert shared["answers"] == 2 * PINGS
    assert shared["global_429s"] < alone["global_429s"]
