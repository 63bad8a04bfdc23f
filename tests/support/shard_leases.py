"""Shard leases for the tests: a clock the test moves, and leases over three shards on the real Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from wolaro.core.shard_leases import ShardLeases


class Clock:
    """A clock that stands still until the test moves `now`."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def leases(redis_url: str, prefix: str, *, wanted: int = 2, clock: Clock | None = None, owner: str) -> ShardLeases:
    """Leases over 3 shards (a 30 s lease), wanting `wanted` of them, on the real Redis under `prefix`."""
    return ShardLeases(
        Redis.from_url(redis_url),
        shard_count=3,
        wanted=wanted,
        ttl=30.0,
        prefix=prefix,
        owner=owner,
        clock=clock or Clock(),
    )
