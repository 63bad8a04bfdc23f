"""Limits hit in order (a command's cooldown, then the user's global rate): one round trip, a refusal stops the turn.

`RateLimiter.hit_in_order` must decide exactly as `hit` called for each limit one after the other, stopping at the
first wait, on Redis and in memory alike; over Redis the whole command gate is one script run.
"""

from __future__ import annotations

import asyncio
import random
import time
from types import SimpleNamespace
from typing import Any

import pytest

from wolaro.core.bot import WolaroBot
from wolaro.core.errors import RateLimited
from wolaro.core.ratelimit import RateLimiter
from wolaro.core.ratelimit_redis import PipelinedRedisStorage

pytestmark = pytest.mark.asyncio

COOLDOWN, GLOBAL = "2/minute", "5/minute"  # minutes: nothing leaves a window while a test runs
Limits = tuple[tuple[str, tuple[str, ...]], ...]


def gate(command: str, user: str) -> Limits:
    """The two limits of a command gate, as `WolaroBot._gate` hits them."""
    return (COOLDOWN, ("command", command, user)), (GLOBAL, ("user", user))


async def sequential(limiter: RateLimiter, limits: Limits) -> float:
    """The gate as it was: `hit` each in turn, the next only if the one before allowed the call."""
    for rate, identifiers in limits:
        wait = await limiter.hit(rate, *identifiers)
        if wait:
            return wait
    return 0.0


async def count_commands(storage: PipelinedRedisStorage, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every command the storage's client sends to Redis from now on (its name), after loading the batch script."""
    client = storage._batch_script.registered_client
    await client.script_load(storage._batch_script.script)  # a Redis that never ran it would see NOSCRIPT + load
    sent: list[str] = []
    original = client.execute_command

    async def execute_command(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await original(*args, **options)

    monkeypatch.setattr(client, "execute_command", execute_command)
    return sent


async def remaining(limiter: RateLimiter, rate: str, *identifiers: str) -> int:
    """Calls left in the window of one limit, read from where the limiter keeps it."""
    strategy = limiter._shared if limiter._shared is not None else limiter._memory
    return (await strategy.get_window_stats(limiter.item(rate), *identifiers)).remaining


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> RateLimiter:
    if request.param == "memory":
        return RateLimiter()
    return RateLimiter(request.getfixturevalue("redis_url"), prefix=request.getfixturevalue("redis_prefix"))


async def test_a_refused_cooldown_does_not_spend_the_global_rate(limiter: RateLimiter) -> None:
    waits = [await limiter.hit_in_order(*gate("ping", "7")) for _ in range(6)]
    assert waits[:2] == [0.0, 0.0]
    assert all(55 < wait <= 60 for wait in waits[2:])  # the cooldown refused the last four
    assert await remaining(limiter, GLOBAL, "user", "7") == 3  # only the two commands that ran counted
    assert await remaining(limiter, COOLDOWN, "command", "ping", "7") == 0
    # the global rate refuses in turn, and a call it refuses still spent the cooldown before it (as in sequence)
    for command in ("a", "b", "c"):
        assert await limiter.hit_in_order(*gate(command, "7")) == 0.0
    assert await limiter.hit_in_order(*gate("d", "7")) > 0
    assert await remaining(limiter, COOLDOWN, "command", "d", "7") == 1


async def test_one_round_trip_per_gate_allowed_or_refused(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = RateLimiter(redis_url, prefix=redis_prefix)
    assert limiter._shared_storage is not None
    sent = await count_commands(limiter._shared_storage, monkeypatch)
    waits = []
    for _ in range(4):
        before = len(sent)
        waits.append(await limiter.hit_in_order(*gate("ping", "8")))
        assert sent[before:] == ["EVALSHA"]  # the refusal's wait comes in the same answer
    assert waits[:2] == [0.0, 0.0] and all(waits[2:])
    # the gate as it was: two round trips for an allowed command, and one more to read a refusal's wait
    before = len(sent)
    await sequential(limiter, gate("other", "8"))
    assert len(sent) - before == 2


async def test_the_gate_sends_one_round_trip_and_raises_rate_limited(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = RateLimiter(redis_url, prefix=redis_prefix)
    assert limiter._shared_storage is not None
    settings = SimpleNamespace(command_cooldown_rate=COOLDOWN, user_global_rate=GLOBAL, master_admin_ids=[])
    bot = SimpleNamespace(services=SimpleNamespace(limiter=limiter), settings=settings)
    command = SimpleNamespace(extras={}, qualified_name="ping", cog=None)
    ctx = SimpleNamespace(config=None, author=SimpleNamespace(id=9), bot=bot, command=command)
    sent = await count_commands(limiter._shared_storage, monkeypatch)
    assert await WolaroBot._gate(bot, ctx)  # type: ignore[arg-type]
    assert await WolaroBot._gate(bot, ctx)  # type: ignore[arg-type]
    with pytest.raises(RateLimited):
        await WolaroBot._gate(bot, ctx)  # type: ignore[arg-type]
    assert sent == ["EVALSHA"] * 3
    assert await remaining(limiter, GLOBAL, "user", "9") == 3


async def test_same_decisions_as_the_sequential_gate_on_a_random_stream(redis_url: str, redis_prefix: str) -> None:
    """One random stream of gates through four limiters: the old and the new gate, in memory and over Redis.

    The new gate over Redis also runs its gates eight at a time (one batch): the script takes them in the order they
    were asked, so the answers are those of one after the other.
    """
    rng = random.Random(11)
    stream = [gate(rng.choice(["ping", "help", "roll"]), str(rng.randrange(30))) for _ in range(240)]
    old_memory, new_memory = RateLimiter(), RateLimiter()
    old_redis = RateLimiter(redis_url, prefix=redis_prefix + "old:")
    new_redis = RateLimiter(redis_url, prefix=redis_prefix + "new:")
    batched_redis = RateLimiter(redis_url, prefix=redis_prefix + "batched:")
    decisions: dict[str, list[bool]] = {name: [] for name in ("old_memory", "new_memory", "old_redis", "new_redis")}
    for limits in stream:
        decisions["old_memory"].append(bool(await sequential(old_memory, limits)))
        decisions["new_memory"].append(bool(await new_memory.hit_in_order(*limits)))
        decisions["old_redis"].append(bool(await sequential(old_redis, limits)))
        decisions["new_redis"].append(bool(await new_redis.hit_in_order(*limits)))
    decisions["batched_redis"] = []
    for start in range(0, len(stream), 8):
        waits = await asyncio.gather(*(batched_redis.hit_in_order(*limits) for limits in stream[start : start + 8]))
        decisions["batched_redis"].extend(bool(wait) for wait in waits)
    assert sum(decisions["old_memory"]) == 102  # 138 allowed, 88 refused by a cooldown, 14 by the global rate
    for name, seen in decisions.items():
        assert seen == decisions["old_memory"], name
    for limiter in (new_memory, old_redis, new_redis, batched_redis):
        for limits in {limit for pair in stream for limit in pair}:
            assert await remaining(limiter, limits[0], *limits[1]) == await remaining(old_memory, limits[0], *limits[1])


async def test_a_refusals_wait_is_the_librarys_reset_time(redis_url: str, redis_prefix: str) -> None:
    limiter = RateLimiter(redis_url, prefix=redis_prefix)
    assert limiter._shared is not None
    limits = (("1/10second", ("command", "ping", "3")), ("1/minute", ("user", "3")))
    assert await limiter.hit_in_order(*limits) == 0.0
    wait = await limiter.hit_in_order(*limits)  # the 10-second cooldown refuses
    stats = await limiter._shared.get_window_stats(limiter.item("1/10second"), "command", "ping", "3")
    assert wait == pytest.approx(stats.reset_time - time.time(), abs=0.5)
    assert 9 < wait <= 10
    wait = await limiter.hit_in_order(("1/10second", ("command", "help", "3")), limits[1])  # the global refuses
    assert 59 < wait <= 60


async def test_callers_that_give_up_or_decide_alone_in_the_same_batch_leave_the_others_their_own_wait(
    redis_url: str, redis_prefix: str
) -> None:
    limiter = RateLimiter(redis_url, prefix=redis_prefix)
    minute, ten = ("1/minute", ("u", "1")), ("1/10second", ("u", "2"))
    assert await limiter.hit_all(minute, ten) == 0.0
    abandoned = asyncio.ensure_future(limiter.hit_in_order(minute))
    alone = asyncio.ensure_future(limiter.hit_all(minute))
    kept = asyncio.ensure_future(limiter.hit_in_order(("5/second", ("u", "3")), ten))
    await asyncio.sleep(0)
    abandoned.cancel()
    assert 55 < await alone <= 60
    assert 8 < await kept <= 10  # its own window's wait, not the abandoned caller's
    with pytest.raises(asyncio.CancelledError):
        await abandoned


async def test_redis_down_counts_in_memory_as_before(redis_prefix: str) -> None:
    down = RateLimiter("redis://127.0.0.1:1/0", prefix=redis_prefix)  # nothing listens there
    memory = RateLimiter()
    stream = [gate("ping", "5")] * 3 + [gate(command, "5") for command in "abcd"]
    for limits in stream:
        assert bool(await down.hit_in_order(*limits)) == bool(await sequential(memory, limits))
        assert down._shared_down_until > time.monotonic()  # Redis is left alone for a while, as `hit` does
    assert await remaining(memory, GLOBAL, "user", "5") == 0
    assert (await down._memory.get_window_stats(down.item(GLOBAL), "user", "5")).remaining == 0
