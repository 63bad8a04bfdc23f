"""Shard leases on the real Redis: one holder per shard, standby, renewal only while ours, fencing, release."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.support.shard_leases import Clock, leases
from wolaro.core.shard_leases import ShardLeaseLost

pytestmark = pytest.mark.redis


async def test_each_shard_has_one_holder_and_a_release_frees_it(redis_url: str, redis_prefix: str) -> None:
    a = leases(redis_url, redis_prefix, owner="a")
    b = leases(redis_url, redis_prefix, owner="b")
    try:
        assert await a.claim_free() == [0, 1]
        assert await b.claim_free() == [2]  # what is left
        await a.renew()
        await a.release()
        assert await b.claim_free() == [0, 2]
        assert await a.client.get(a.key(0)) == b"b"
    finally:
        for holder in (a, b):
            await holder.release()
            await holder.close()


async def test_a_lease_taken_by_another_is_lost_not_renewed(redis_url: str, redis_prefix: str) -> None:
    a = leases(redis_url, redis_prefix, wanted=1, owner="a")
    try:
        assert await a.claim_free() == [0]
        await a.client.set(a.key(0), "someone else")  # as if it had expired and been taken
        with pytest.raises(ShardLeaseLost):
            await a.renew()
        assert await a.client.get(a.key(0)) == b"someone else"
    finally:
        await a.client.delete(a.key(0))
        await a.close()


async def test_failed_renewals_give_the_shards_up_before_the_lease_can_expire(
    redis_url: str, redis_prefix: str
) -> None:
    clock = Clock()
    a = leases(redis_url, redis_prefix, wanted=1, clock=clock, owner="a")
    try:
        assert await a.claim_free() == [0]

        async def unreachable(*args: object) -> None:
            raise RedisConnectionError("cut")

        a.client.eval = unreachable  # type: ignore[method-assign]
        clock.now += 10.0  # a third of the ttl: retry later
        await a.renew()
        clock.now += 10.0  # two thirds: stop serving now, 10 s before anyone may take the shard
        with pytest.raises(ShardLeaseLost):
            await a.renew()
    finally:
        await Redis.from_url(redis_url).delete(a.key(0))
        await a.close()


async def test_standby_returns_none_when_stopped(redis_url: str, redis_prefix: str) -> None:
    a = leases(redis_url, redis_prefix, wanted=3, owner="a")
    b = leases(redis_url, redis_prefix, owner="b")
    stop = asyncio.Event()
    try:
        assert await a.claim_free() == [0, 1, 2]
        waiting = asyncio.create_task(b.acquire(stop, poll=0.05))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        stop.set()
        assert await waiting is None
    finally:
        await a.release()
        await a.close()
        await b.close()
