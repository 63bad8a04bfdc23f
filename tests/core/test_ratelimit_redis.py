"""Rate limits over Redis: hits share round trips, and still decide exactly as the `limits` library does."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from limits import parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from wolaro.core.ratelimit import RateLimiter, _limits_uri
from wolaro.core.ratelimit_redis import PipelinedRedisStorage

pytestmark = pytest.mark.asyncio


def storage(redis_url: str, redis_prefix: str) -> PipelinedRedisStorage:
    return PipelinedRedisStorage(_limits_uri(redis_url), key_prefix=f"{redis_prefix}limits")


async def count_evals(store: PipelinedRedisStorage, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record each batch sent to Redis (its number of keys).

    The script is loaded first: on a Redis that never ran it (or whose scripts another test flushed), the first
    batch would be sent twice (NOSCRIPT, then again once loaded).
    """
    client = store._batch_script.registered_client
    await client.script_load(store._batch_script.script)
    sent: list[int] = []
    original = client.evalsha

    async def evalsha(sha: str, numkeys: int, *args: object) -> object:
        if sha == store._batch_script.sha:  # not the library's own window reads (`get_window_stats`)
            sent.append(numkeys)
        return await original(sha, numkeys, *args)

    monkeypatch.setattr(client, "evalsha", evalsha)
    return sent


async def test_concurrent_hits_share_one_round_trip_and_the_limit_holds(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = storage(redis_url, redis_prefix)
    sent = await count_evals(store, monkeypatch)
    limiter = MovingWindowRateLimiter(store)
    item = parse("5/minute")
    results = await asyncio.gather(*(limiter.hit(item, "user", "1") for _ in range(8)))
    assert results == [True] * 5 + [False] * 3  # in the order they were asked, as one after the other would
    assert sent == [1]  # eight hits on one key: one script run, the key sent once
    stats = await limiter.get_window_stats(item, "user", "1")
    assert stats.remaining == 0


async def test_same_decisions_as_the_librarys_redis_storage(redis_url: str, redis_prefix: str) -> None:
    ours = MovingWindowRateLimiter(storage(redis_url, redis_prefix + "ours:"))
    theirs = MovingWindowRateLimiter(
        RedisStorage(_limits_uri(redis_url), implementation="redispy", key_prefix=f"{redis_prefix}theirs:limits")
    )
    item = parse("3/10second")
    for identity in ("a", "b", "a", "a", "c", "a", "b", "b", "b"):
        assert await ours.hit(item, identity) == await theirs.hit(item, identity)
        ours_stats = await ours.get_window_stats(item, identity)
        theirs_stats = await theirs.get_window_stats(item, identity)
        assert ours_stats.remaining == theirs_stats.remaining
    # both keep the library's list of hit times under the library's key
    client = aioredis.Redis.from_url(redis_url)
    try:
        key = parse("3/10second").key_for("a")
        assert await client.llen(f"{redis_prefix}ours:limits:{key}") == 3
        assert await client.llen(f"{redis_prefix}theirs:limits:{key}") == 3
    finally:
        await client.aclose()


async def test_two_limits_in_one_round_trip_each_decided_alone(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = RateLimiter(redis_url, prefix=redis_prefix)
    assert limiter._shared_storage is not None
    sent = await count_evals(limiter._shared_storage, monkeypatch)
    per_ip, per_user = ("2/minute", ("api-ip", "10.0.0.1")), ("3/minute", ("api-user", "7"))
    waits = [await limiter.hit_all(per_ip, per_user) for _ in range(4)]
    assert waits[:2] == [0.0, 0.0]
    assert all(55 < wait <= 60 for wait in waits[2:])  # the address is over its limit
    assert sent == [2, 2, 2, 2]  # both limits of a request in one script run
    # the third request counted against the user (each limit decides alone), the fourth did not (user at 3)
    assert await limiter.hit_all(("3/minute", ("api-user", "7"))) > 0
    assert await limiter.hit_all(("3/minute", ("api-user", "8"))) == 0.0


async def test_limits_hold_across_processes(redis_url: str, redis_prefix: str) -> None:
    """Two API processes (two limiters on one Redis) share one count."""
    first, second = RateLimiter(redis_url, prefix=redis_prefix), RateLimiter(redis_url, prefix=redis_prefix)
    rate = ("4/minute", ("api-user", "99"))
    waits = await asyncio.gather(*(limiter.hit_all(rate) for limiter in (first, second) * 3))
    assert sorted(wait > 0 for wait in waits) == [False] * 4 + [True] * 2


async def test_a_script_redis_forgot_is_loaded_again(redis_url: str, redis_prefix: str) -> None:
    store = storage(redis_url, redis_prefix)
    limiter = MovingWindowRateLimiter(store)
    item = parse("2/minute")
    assert await limiter.hit(item, "x")
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.script_flush()  # as after a Redis restart
    finally:
        await client.aclose()
    assert await limiter.hit(item, "x")
    assert not await limiter.hit(item, "x")


async def test_redis_down_falls_back_to_memory_and_every_waiter_hears(redis_prefix: str) -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0", prefix=redis_prefix)  # nothing listens there
    rate = ("2/minute", ("api-user", "5"))
    waits = await asyncio.gather(*(limiter.hit_all(rate) for _ in range(3)))
    assert sorted(waits)[:2] == [0.0, 0.0] and sorted(waits)[2] > 0  # counted in memory, the limit still holds


async def test_a_caller_that_gives_up_does_not_disturb_the_others(redis_url: str, redis_prefix: str) -> None:
    store = storage(redis_url, redis_prefix)
    limiter = MovingWindowRateLimiter(store)
    item = parse("10/minute")
    abandoned = asyncio.ensure_future(limiter.hit(item, "y"))
    kept = asyncio.ensure_future(limiter.hit(item, "y"))
    await asyncio.sleep(0)
    abandoned.cancel()
    assert await kept
    with pytest.raises(asyncio.CancelledError):
        await abandoned
