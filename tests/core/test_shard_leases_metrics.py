"""Shard lease metrics on the real Redis: shards held, standby, takeovers (not clean hand-overs), renewals, losses."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.support.shard_leases import Clock, leases
from wolaro.core import shard_leases
from wolaro.core.shard_leases import ShardLeaseLost

pytestmark = pytest.mark.redis


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_shard_whose_holder_stopped_renewing_is_a_takeover(redis_url: str, redis_prefix: str) -> None:
    a = leases(redis_url, redis_prefix, owner="a", wanted=1)
    b = leases(redis_url, redis_prefix, owner="b", wanted=1)
    before = sample("wolaro_shard_leases_takeovers_total")
    try:
        assert await a.claim_free() == [0]
        assert sample("wolaro_shard_leases_held") == 1
        await a.client.delete(a.key(0))  # a was killed: its lease expired, it released nothing
        assert await b.claim_free() == [0]
        assert sample("wolaro_shard_leases_takeovers_total") == before + 1
        assert await b.client.hget(b.holders_key, "0") == b"b"
    finally:
        for holder in (a, b):
            await holder.release()
            await holder.close()


async def test_a_clean_hand_over_is_not_a_takeover(redis_url: str, redis_prefix: str) -> None:
    a = leases(redis_url, redis_prefix, owner="a", wanted=2)
    b = leases(redis_url, redis_prefix, owner="b", wanted=2)
    before = sample("wolaro_shard_leases_takeovers_total")
    try:
        assert await a.claim_free() == [0, 1]
        assert sample("wolaro_shard_leases_held") == 2
        await a.release()  # a clean stop (SIGTERM)
        assert sample("wolaro_shard_leases_held") == 0
        assert await a.client.hlen(a.holders_key) == 0
        assert await b.claim_free() == [0, 1]
        assert sample("wolaro_shard_leases_takeovers_total") == before
    finally:
        for holder in (a, b):
            await holder.release()
            await holder.close()


async def test_a_standby_is_shown_until_it_stops(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = leases(redis_url, redis_prefix, owner="a", wanted=3)
    b = leases(redis_url, redis_prefix, owner="b", wanted=1)
    seen: list[tuple[float, float]] = []

    async def wait(stop: asyncio.Event, seconds: float) -> None:  # the standby's pause: look, then stop it
        seen.append((sample("wolaro_shard_leases_standby"), sample("wolaro_shard_leases_shard_count")))
        stop.set()

    monkeypatch.setattr(shard_leases, "_wait", wait)
    try:
        assert await a.claim_free() == [0, 1, 2]
        assert await b.acquire(asyncio.Event()) is None
        assert seen == [(1, 3)]
        assert sample("wolaro_shard_leases_standby") == 0
    finally:
        await a.release()
        await a.close()
        await b.close()


async def test_failed_renewals_and_lost_leases_are_counted(redis_url: str, redis_prefix: str) -> None:
    clock = Clock()
    a = leases(redis_url, redis_prefix, owner="a", wanted=1, clock=clock)
    failures = sample("wolaro_shard_leases_renewal_failures_total")
    unrenewed = sample("wolaro_shard_leases_lost_total", reason="unrenewed")
    try:
        assert await a.claim_free() == [0]
        renew = a.client.eval

        async def unreachable(*args: object) -> None:
            raise RedisConnectionError("cut")

        a.client.eval = unreachable  # type: ignore[method-assign]
        clock.now += 10.0
        assert await a.renew() is False
        assert sample("wolaro_shard_leases_renewal_failures_total") == failures + 1
        clock.now += 10.0
        with pytest.raises(ShardLeaseLost):
            await a.renew()
        assert sample("wolaro_shard_leases_renewal_failures_total") == failures + 2
        assert sample("wolaro_shard_leases_lost_total", reason="unrenewed") == unrenewed + 1
        a.client.eval = renew  # type: ignore[method-assign]
    finally:
        await Redis.from_url(redis_url).delete(a.key(0))
        await a.close()


async def test_a_lease_another_process_holds_is_counted_as_taken(redis_url: str, redis_prefix: str) -> None:
    a = leases(redis_url, redis_prefix, owner="a", wanted=2)
    taken = sample("wolaro_shard_leases_lost_total", reason="taken")
    try:
        assert await a.claim_free() == [0, 1]
        await a.client.set(a.key(1), "someone else")
        with pytest.raises(ShardLeaseLost):
            await a.renew()
        assert sample("wolaro_shard_leases_lost_total", reason="taken") == taken + 1
    finally:
        await a.release()
        await a.client.delete(a.key(1))
        await a.close()
