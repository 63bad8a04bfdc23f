"""Shards by lease in Redis: a `wolaro bot` process claims free shards, keeps them while alive, loses them if it dies.

With SHARD_LEASES=n (and SHARD_COUNT, REDIS_URL), a process takes up to n shards whose lease nobody holds
(`SET <prefix>shard:lease:<id> <owner> NX PX <ttl>`), runs them, and renews its leases every ttl/3 (only while the
value is still its own). A process SIGKILLed stops renewing: its leases expire after SHARD_LEASE_TTL seconds and a
standby process (one that found no free shard and keeps looking) takes them over. A process that cannot renew
(Redis unreachable from it) for 2/3 of the ttl gives its shards up before the lease can expire, so two processes
never serve one shard; a clean stop releases its leases at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from wolaro.data.cache import REDIS_ERRORS, redis_client
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.core.services import Services

log = get_logger(__name__)

_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


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
    def ttl_ms(self) -> int:
        """The lease time in milliseconds."""
        return max(1, int(self.ttl * 1000))

    async def claim_free(self) -> list[int]:
        """Take up to `wanted` shards nobody holds (lowest ids first); the shards now held."""
        for shard_id in range(self.shard_count):
            if len(self.held) >= self.wanted:
                break
            if shard_id not in self.held and await self.client.set(
                self.key(shard_id), self.owner, px=self.ttl_ms, nx=True
            ):
                self.held.append(shard_id)
        self.renewed_at = self.clock()
        return sorted(self.held)

    async def acquire(self, stop: asyncio.Event, *, poll: float | None = None) -> list[int] | None:
        """Claim shards, waiting on standby until at least one is free; None if `stop` is set first."""
        poll = self.ttl / 3 if poll is None else poll
        announced = False
        while not stop.is_set():
            try:
                held = await self.claim_free()
            except REDIS_ERRORS as exc:
                log.warning("shard leases: Redis unreachable, retrying", error=repr(exc))
                await _wait(stop, poll)
                continue
            if held:
                log.info("shard leases taken", shards=held, owner=self.owner, ttl_s=self.ttl)
                return held
            if not announced:
                log.info("standing by: every shard is held by another process", shard_count=self.shard_count)
                announced = True
            await _wait(stop, poll)
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
            if self.clock() - self.renewed_at >= self.ttl * 2 / 3:
                raise ShardLeaseLost(f"could not renew shard leases for {self.ttl * 2 / 3:.1f} s: {exc!r}") from exc
            log.warning("shard lease renewal failed, retrying", error=repr(exc))
            return False
        lost = [s for s, ok in zip(self.held, results, strict=True) if not ok]
        if lost:
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
                await on_lost(exc)
                return

    async def release(self) -> None:
        """Give every lease back at once (a clean stop), so a standby takes the shards without waiting."""
        for shard_id in self.held:
            try:
                await self.client.eval(_RELEASE, 1, self.key(shard_id), self.owner)  # type: ignore[misc]
            except REDIS_ERRORS:
                break  # they expire by themselves
        self.held = []

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
