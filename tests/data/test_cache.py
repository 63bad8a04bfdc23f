"""The cache: memory and Redis backends behave alike; the fallback keeps working through a Redis outage."""

from __future__ import annotations

import asyncio
import time

import pytest

from wolaro.data.cache import REDIS_MAX_CONNECTIONS, Cache, FallbackCache, MemoryCache, RedisCache, make_cache

# --------------------------------------------------------------------------- both backends


async def test_get_set_delete(any_cache: Cache) -> None:
    assert await any_cache.get("missing") is None
    await any_cache.set("a", b"1")
    await any_cache.set("b", b"\x00binary\xff")
    assert await any_cache.get("a") == b"1"
    assert await any_cache.get("b") == b"\x00binary\xff"
    await any_cache.set("a", b"2")
    assert await any_cache.get("a") == b"2"
    await any_cache.delete("a", "b", "never-set")
    assert await any_cache.get("a") is None
    assert await any_cache.get("b") is None
    await any_cache.delete()  # nothing to delete is fine


async def test_ttl_expires(any_cache: Cache, eventually) -> None:
    await any_cache.set("short", b"x", ttl=0.05)
    await any_cache.set("long", b"y", ttl=60)
    await any_cache.set("forever", b"z")
    assert await any_cache.get("short") == b"x"

    async def expired() -> bool:
        return await any_cache.get("short") is None

    await eventually(expired, timeout=2)
    assert await any_cache.get("long") == b"y"
    assert await any_cache.get("forever") == b"z"
    await any_cache.set("long", b"gone", ttl=0)
    assert await any_cache.get("long") is None


async def test_delete_prefix(any_cache: Cache) -> None:
    for guild in range(3):
        await any_cache.set(f"guild:config:{guild}", b"cfg")
    await any_cache.set("guild:configuration", b"keep")  # shares the text, not the prefix "guild:config:"
    await any_cache.set("user:1", b"keep")
    assert await any_cache.delete_prefix("guild:config:") == 3
    assert await any_cache.get("guild:config:0") is None
    assert await any_cache.get("guild:configuration") == b"keep"
    assert await any_cache.get("user:1") == b"keep"
    assert await any_cache.delete_prefix("guild:config:") == 0


async def test_delete_prefix_treats_glob_characters_literally(any_cache: Cache) -> None:
    await any_cache.set("a*b:1", b"x")
    await any_cache.set("axb:1", b"y")
    await any_cache.set("a?b:1", b"z")
    assert await any_cache.delete_prefix("a*b:") == 1
    assert await any_cache.get("axb:1") == b"y"
    assert await any_cache.get("a?b:1") == b"z"


async def test_delete_prefix_many_keys(any_cache: Cache) -> None:
    for index in range(1234):
        await any_cache.set(f"bulk:{index}", b"v")
    assert await any_cache.delete_prefix("bulk:") == 1234
    assert await any_cache.get("bulk:7") is None


async def test_window_hit_counts_within_the_window(any_cache: Cache) -> None:
    counts = [await any_cache.window_hit("rate:user:1", 0.2) for _ in range(5)]
    assert counts == [1, 2, 3, 4, 5]
    assert await any_cache.window_hit("rate:user:2", 0.2) == 1  # keys are independent
    await asyncio.sleep(0.25)  # the window is time itself: let it slide past the five hits
    assert await any_cache.window_hit("rate:user:1", 0.2) == 1


async def test_window_hit_is_capped_at_limit_members(any_cache: Cache) -> None:
    counts = [await any_cache.window_hit("flood", 60, limit_members=10) for _ in range(25)]
    assert counts[:10] == list(range(1, 11))
    assert set(counts[10:]) == {10}


async def test_window_hit_and_values_are_deleted_alike(any_cache: Cache) -> None:
    await any_cache.window_hit("rl:x", 60)
    await any_cache.window_hit("rl:x", 60)
    await any_cache.delete("rl:x")
    assert await any_cache.window_hit("rl:x", 60) == 1
    await any_cache.delete_prefix("rl:")
    assert await any_cache.window_hit("rl:x", 60) == 1


async def test_stats(any_cache: Cache) -> None:
    await any_cache.set("k", b"v")
    await any_cache.get("k")
    await any_cache.get("k")
    await any_cache.get("nope")
    stats = any_cache.stats()
    assert {"backend", "redis_available", "hits", "misses", "hit_rate", "memory_entries"} <= stats.keys()
    assert stats["hits"] == 2
    assert stats["misses"] == 1
    assert stats["hit_rate"] == pytest.approx(2 / 3)
    assert await any_cache.ping() is True


# --------------------------------------------------------------------------- memory only


async def test_memory_cache_evicts_the_least_recently_used() -> None:
    cache = MemoryCache(max_entries=3)
    for key in "abc":
        await cache.set(key, key.encode())
    assert await cache.get("a") == b"a"  # "a" is now the most recent
    await cache.set("d", b"d")
    assert await cache.get("b") is None
    assert [await cache.get(key) for key in "acd"] == [b"a", b"c", b"d"]
    assert cache.stats()["memory_entries"] == 3


async def test_memory_cache_uses_its_clock_for_ttl_and_windows() -> None:
    now = [1000.0]
    cache = MemoryCache(clock=lambda: now[0])
    await cache.set("k", b"v", ttl=10)
    now[0] += 9.99
    assert await cache.get("k") == b"v"
    now[0] += 0.02
    assert await cache.get("k") is None
    assert await cache.window_hit("w", 5) == 1
    now[0] += 3
    assert await cache.window_hit("w", 5) == 2
    now[0] += 2.5  # the first hit is now 5.5 s old
    assert await cache.window_hit("w", 5) == 2


def test_make_cache_without_redis_is_memory(make_settings) -> None:
    cache = make_cache(make_settings())
    assert isinstance(cache, MemoryCache)
    assert cache.stats()["backend"] == "memory"


# --------------------------------------------------------------------------- Redis


@pytest.mark.redis
async def test_redis_caches_share_values_and_windows(redis_url: str, redis_prefix: str) -> None:
    first = RedisCache(redis_url, prefix=redis_prefix)
    second = RedisCache(redis_url, prefix=redis_prefix)
    other = RedisCache(redis_url, prefix=redis_prefix + "other:")
    try:
        await first.set("shared", b"from first")
        assert await second.get("shared") == b"from first"
        assert await other.get("shared") is None  # another prefix is another namespace
        hits = await asyncio.gather(*(cache.window_hit("cmd:ping:user:1", 10) for cache in [first, second] * 5))
        assert sorted(hits) == list(range(1, 11))  # ten hits from two "processes", none lost
        assert await other.window_hit("cmd:ping:user:1", 10) == 1
        assert await second.delete_prefix("cmd:") == 1  # the shared window, not `other`'s
        assert await other.window_hit("cmd:ping:user:1", 10) == 2
    finally:
        for cache in (first, second, other):
            await cache.close()


@pytest.mark.redis
async def test_a_burst_past_the_connection_pool_waits_for_a_connection(redis_url: str, redis_prefix: str) -> None:
    cache = RedisCache(redis_url, prefix=redis_prefix)
    try:  # four times the pool's connections at once: each call waits its turn, none is refused
        await asyncio.gather(*(cache.set(f"burst:{n}", b"x", ttl=30) for n in range(4 * REDIS_MAX_CONNECTIONS)))
        assert [await cache.get(f"burst:{n}") for n in (0, 4 * REDIS_MAX_CONNECTIONS - 1)] == [b"x", b"x"]
    finally:
        await cache.close()


@pytest.mark.redis
async def test_redis_keys_carry_the_prefix(redis_url: str, redis_prefix: str) -> None:
    cache = RedisCache(redis_url, prefix=redis_prefix)
    try:
        await cache.set("guild:config:1", b"x", ttl=30)
        await cache.window_hit("rate:1", 30)
        raw = sorted(
            str(key, "utf-8") if isinstance(key, bytes) else key for key in await cache.client.keys(redis_prefix + "*")
        )
        assert raw == [redis_prefix + "guild:config:1", redis_prefix + "rate:1"]
        assert 0 < await cache.client.pttl(redis_prefix + "guild:config:1") <= 30_000
        assert 0 < await cache.client.pttl(redis_prefix + "rate:1") <= 30_000  # windows expire by themselves
    finally:
        await cache.close()


@pytest.mark.redis
def test_make_cache_with_redis_is_a_fallback_cache(make_settings, redis_url: str, redis_prefix: str) -> None:
    settings = make_settings(redis_url=redis_url, redis_prefix=redis_prefix, redis_health_interval=3)
    cache = make_cache(settings)
    assert isinstance(cache, FallbackCache)
    assert cache.redis.prefix == redis_prefix
    assert cache.health_interval == 3
    assert cache.available is True
    asyncio.run(cache.close())


# --------------------------------------------------------------------------- outage


async def test_fallback_survives_a_redis_outage(redis_server_process, eventually) -> None:
    server = redis_server_process
    cache = FallbackCache(RedisCache(server.url, prefix="t:"), MemoryCache(), health_interval=0.05)
    recoveries: list[bool] = []

    async def on_recovery() -> None:
        # Redis is in use again when listeners run, so they can clean it up.
        recoveries.append(cache.available)
        await cache.delete_prefix("guild:")

    cache.add_recovery_listener(on_recovery)
    try:
        await cache.set("guild:1", b"before outage")
        assert await cache.get("guild:1") == b"before outage"
        assert await cache.redis.get("guild:1") == b"before outage"  # it really went to Redis
        assert cache.stats()["redis_available"] is True

        server.stop()
        started = time.monotonic()
        assert await cache.get("guild:1") is None  # memory knows nothing yet: callers reload from the database
        first_op = time.monotonic() - started
        assert cache.available is False
        started = time.monotonic()
        await cache.set("guild:1", b"during outage")
        assert await cache.get("guild:1") == b"during outage"
        assert await cache.window_hit("rate", 60) == 1
        assert await cache.window_hit("rate", 60) == 2
        assert await cache.delete_prefix("guild:") == 1
        await cache.delete("rate")
        later_ops = time.monotonic() - started
        assert first_op < 1.0, f"first operation after the outage took {first_op:.3f} s"
        assert later_ops < 0.1, f"operations during the outage took {later_ops:.3f} s"
        assert cache.stats() | {"hits": 0, "misses": 0, "hit_rate": 0} == {
            "backend": "redis",
            "redis_available": False,
            "hits": 0,
            "misses": 0,
            "hit_rate": 0,
            "memory_entries": 0,
            "outages": 1,
        }
        assert await cache.ping() is False
        await cache.set("only-in-memory", b"x")

        server.start()
        await eventually(lambda: cache.available, timeout=5)
        await eventually(lambda: recoveries, timeout=5)
        assert recoveries == [True]
        assert len(cache.memory) == 0  # what memory saw during the outage is dropped
        assert await cache.get("only-in-memory") is None
        await cache.set("after", b"back")
        assert await cache.redis.get("after") == b"back"
        assert cache.stats()["outages"] == 1
    finally:
        await cache.close()


async def test_fallback_flapping_redis_calls_listeners_once_per_recovery(redis_server_process, eventually) -> None:
    server = redis_server_process
    cache = FallbackCache(RedisCache(server.url, prefix="t:"), MemoryCache(), health_interval=0.02)
    calls: list[int] = []

    async def broken_listener() -> None:
        raise RuntimeError("a failing listener must not stop the others")

    async def counting_listener() -> None:
        calls.append(1)

    cache.add_recovery_listener(broken_listener)
    cache.add_recovery_listener(counting_listener)
    try:
        for round_ in range(1, 3):
            server.stop()
            await cache.get("x")
            await cache.get("x")  # a second failure does not start a second probe
            assert cache.available is False
            server.start()
            await eventually(lambda round_=round_: len(calls) == round_, timeout=5)
            assert cache.available is True
        assert cache.stats()["outages"] == 2
    finally:
        await cache.close()


async def test_fallback_never_raises_when_redis_was_never_up(unused_tcp_port: int) -> None:
    cache = FallbackCache(RedisCache(f"redis://127.0.0.1:{unused_tcp_port}/0"), MemoryCache(), health_interval=60)
    try:
        started = time.monotonic()
        await cache.set("k", b"v", ttl=10)
        assert await cache.get("k") == b"v"
        assert await cache.window_hit("w", 1) == 1
        assert await cache.delete_prefix("") == 2
        assert time.monotonic() - started < 1.0
        assert cache.available is False
    finally:
        await cache.close()  # also cancels the probe that would run in 60 s
