"""Shards by lease in Redis: a `wolaro bot` process claims free shards, keeps them while alive, loses them if it dies.

With SHARD_LEASES=n (and SHARD_COUNT, REDIS_URL), a process takes up to n shards whose lease nobody holds
(`SET <prefix>shard:lease:<id> <owner> NX PX <ttl>`), runs them, and renews its leases every ttl/3 (only while the
value is still its own). A process SIGKILLed stops renewing: its leases expire after SHARD_LEASE_TTL seconds and a
standby process (one that found no free shard and keeps looking) takes them over. A process that cannot renew
(Redis unreachable from it) for 2/3 of the ttl gives its shards up before the lease can expire, so two processes
never serve one shard; a clean stop releases its leases at once.

Each claim also notes its owner in one hash (`<prefix>shard:holders`, shard -> owner), which a clean release
clears: a claim that finds another owner noted there took the shard over from a process that stopped renewing
(killed, or cut from Redis), and is logged and counted as a takeover. Metrics (`wolaro_shard_leases_*`): shards
held and the shard count, whether this process stands by, takeovers, failed renewals, leases lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge
from redis.asyncio import Redis

from wolaro.data.cache import REDIS_ERRORS, redis_client
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.core.services import Services

log = get_logger(__name__)

HELD = Gauge("wolaro_shard_leases_held", "Shards this process holds a lease on (and runs)")
SHARD_COUNT = Gauge("wolaro_shard_leases_shard_count", "SHARD_COUNT of the leases this process claims from")
STANDBY = Gauge("wolaro_shard_leases_standby", "1 while this process stands by: every shard held by another")
TAKEOVERS = Counter(
    "wolaro_shard_leases_takeovers", "Shards taken over from a process that stopped renewing its lease (died, cut off)"
)
RENEWAL_FAILURES = Counter(
    "wolaro_shard_leases_renewal_failures", "Lease renewals Redis did not answer (retried; 2/3 of the ttl gives up)"
)
LOST = Counter(
    "wolaro_shard_leases_lost",
    "Leases lost, by reason: taken (another process holds it now), unrenewed (Redis unreachable 2/3 of the ttl)",
    ["reason"],
)
for _reason in ("taken", "unrenewed"):
    LOST.labels(_reason)  # exported as 0 from the start: increase() then sees the first loss

#: KEYS: the lease, the holders hash. ARGV: owner, ttl ms, shard id. False if held; else the previous owner noted
#: in the hash ('' if none: never held, or released cleanly).
_CLAIM = """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local previous = redis.call('hget', KEYS[2], ARGV[3])
redis.call('hset', KEYS[2], ARGV[3], ARGV[1])
return previous or ''
"""
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
#: KEYS: the lease, the holders hash. ARGV: owner, shard id.
_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call('hget', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('hdel', KEYS[2], ARGV[2]) end
return redis.call('del', KEYS[1])
"""


class ShardLeaseLost(RuntimeError):
    """The shards this process runs are no longer its own (another may take them): it must stop serving them."""


def owner_name() -> str:
    """Who holds a lease: host and pid, readable in Redis (`redis-cli get wolaro:shard:lease:0`)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


class ShardLeases:
    """One process's shard leases: claim, keep, release."""

    def __init__(
        self,
        client: Redis,
        *,
        shard_count: int,
        wanted: int,
        ttl: float,
        prefix: str = "wolaro:",
        owner: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.shard_count = shard_count
        self.wanted = wanted
        self.ttl = ttl
        self.prefix = prefix
        self.owner = owner or owner_name()
        self.clock = clock
        self.held: list[int] = []
        self.renewed_at = clock()

    @classmethod
    def from_settings(cls, redis_url: str, *, shard_count: int, wanted: int, ttl: float, prefix: str) -> ShardLeases:
        """Leases in the Redis of REDIS_URL."""
        return cls(redis_client(redis_url), shard_count=shard_count, wanted=wanted, ttl=ttl, prefix=prefix)

    def key(self, shard_id: int) -> str:
        """The Redis key of a shard's lease."""
        return f"{self.prefix}shard:lease:{shard_id}"

    @property
    def holders_key(self) -> str:
        """The Redis hash of who last claimed each shard (cleared by a clean release)."""
        return f"{self.prefix}shard:holders"

    @property
    def ttl_ms(self) -> int:
        """The lease time in milliseconds."""
        return max(1, int(self.ttl * 1000))

    async def claim_free(self) -> list[int]:
        """Take up to `wanted` shards nobody holds (lowest ids first); the shards now held."""
        for shard_id in range(self.shard_count):
            if len(self.held) >= self.wanted:
                break
            if shard_id not in self.held and await self._claim(shard_id):
                self.held.append(shard_id)
        self.renewed_at = self.clock()
        HELD.set(len(self.held))
        return sorted(self.held)

    async def _claim(self, shard_id: int) -> bool:
        """Take one shard's lease if nobody holds it; a takeover is logged and counted."""
        previous = await self.client.eval(  # type: ignore[misc]
            _CLAIM, 2, self.key(shard_id), self.holders_key, self.owner, self.ttl_ms, shard_id
        )
        if previous is None:
            return False
        previous = previous.decode() if isinstance(previous, bytes) else str(previous)
        if previous and previous != self.owner:
            TAKEOVERS.inc()
            log.warning(
                "shard taken over from a process that stopped renewing its lease", shard=shard_id, previous=previous
            )
        return True

    async def acquire(self, stop: asyncio.Event, *, poll: float | None = None) -> list[int] | None:
        """Claim shards, waiting on standby until at least one is free; None if `stop` is set first."""
        poll = self.ttl / 3 if poll is None else poll
        announced = False
        SHARD_COUNT.set(self.shard_count)
        while not stop.is_set():
            try:
                held = await self.claim_free()
            except REDIS_ERRORS as exc:
                log.warning("shard leases: Redis unreachable, retrying", error=repr(exc))
                await _wait(stop, poll)
                continue
            if held:
                STANDBY.set(0)
                log.info("shard leases taken", shards=held, owner=self.owner, ttl_s=self.ttl)
                return held
            if not announced:
                STANDBY.set(1)
                log.info("standing by: every shard is held by another process", shard_count=self.shard_count)
                announced = True
            await _wait(stop, poll)
        STANDBY.set(0)
        return None

    async def renew(self) -> bool:
        """Extend every lease still ours (True); False if Redis did not answer (retry soon).

        ShardLeaseLost if a lease is not ours any more, or if renewals failed for 2/3 of the ttl.
        """
        try:
            results = [
                await self.client.eval(_RENEW, 1, self.key(s), self.owner, self.ttl_ms)  # type: ignore[misc]
                for s in self.held
            ]
        except REDIS_ERRORS as exc:
            RENEWAL_FAILURES.inc()
            if self.clock() - self.renewed_at >= self.ttl * 2 / 3:
                LOST.labels("unrenewed").inc(len(self.held))
                raise ShardLeaseLost(f"could not renew shard leases for {self.ttl * 2 / 3:.1f} s: {exc!r}") from exc
            log.warning("shard lease renewal failed, retrying", error=repr(exc))
            return False
        lost = [s for s, ok in zip(self.held, results, strict=True) if not ok]
        if lost:
            LOST.labels("taken").inc(len(lost))
            raise ShardLeaseLost(f"the leases of shards {lost} are held by another process now")
        self.renewed_at = self.clock()
        return True

    async def keep(self, stop: asyncio.Event, on_lost: Callable[[ShardLeaseLost], Awaitable[None]]) -> None:
        """Renew every ttl/3 (every second after a failed try) until `stop`; call `on_lost` once if they are lost."""
        delay = self.ttl / 3
        while not stop.is_set():
            await _wait(stop, delay)
            if stop.is_set():
                return
            try:
                delay = self.ttl / 3 if await self.renew() else min(1.0, self.ttl / 10)
            except ShardLeaseLost as exc:
                log.error("shard leases lost: stopping this process's shards", error=str(exc), shards=self.held)
                HELD.set(0)
                await on_lost(exc)
                return

    async def release(self) -> None:
        """Give every lease back at once (a clean stop), so a standby takes the shards without waiting."""
        for shard_id in self.held:
            try:
                await self.client.eval(  # type: ignore[misc]
                    _RELEASE, 2, self.key(shard_id), self.holders_key, self.owner, shard_id
                )
            except REDIS_ERRORS:
                break  # they expire by themselves
        self.held = []
        HELD.set(0)

    async def close(self) -> None:
        """Release the Redis connection."""
        await self.client.aclose()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await stop.wait()
    except TimeoutError:
        pass


@contextlib.asynccontextmanager
async def hold_shard_leases(services: Services, stop: asyncio.Event) -> AsyncIterator[bool]:
    """With SHARD_LEASES, hold this process's shard leases for the block and run on those shards.

    Yields True to run the bot (its settings' SHARD_IDS are now the leased shards), False if `stop` came while on
    standby. Lost leases set `stop` and raise ShardLeaseLost once the bot has stopped (exit status 1, so a
    supervisor restarts the process, which then stands by). Without SHARD_LEASES: True, nothing else.
    """
    settings = services.settings
    if settings.shard_leases is None or settings.redis_url is None or settings.shard_count is None:
        yield True
        return
    leases = ShardLeases.from_settings(
        settings.redis_url,
        shard_count=settings.shard_count,
        wanted=settings.shard_leases,
        ttl=settings.shard_lease_ttl,
        prefix=settings.redis_prefix,
    )
    lost: list[ShardLeaseLost] = []

    async def on_lost(exc: ShardLeaseLost) -> None:
        lost.append(exc)
        stop.set()

    try:
        held = await leases.acquire(stop)
        if not held:
            yield False
            return
        services.settings = settings.model_copy(update={"shard_ids": held})
        keeper = asyncio.create_task(leases.keep(stop, on_lost), name="shard-leases")
        try:
            yield True
        finally:
            keeper.cancel()
            if not lost:
                await leases.release()
        if lost:
            raise lost[0]
    finally:
        await leases.close()
