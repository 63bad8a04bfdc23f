"""The shared cache: Redis when configured, an in-process LRU when not, and the LRU again while Redis is down.

Values are bytes (callers choose the encoding, usually orjson). Keys are plain strings; the Redis backend
prefixes each with `settings.redis_prefix`, so several deployments (or test runs) can share one server.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from wolaro.logging import get_logger
from wolaro.tasks import cancel_and_wait

if TYPE_CHECKING:
    from wolaro.settings import Settings

log = get_logger(__name__)

T = TypeVar("T")
RecoveryListener = Callable[[], Awaitable[None]]

REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
"""What a Redis operation raises when the server is down, unreachable or too slow."""

REDIS_TIMEOUT = 0.5
#: Connections one client keeps to Redis at most (per process and use: cache, pub/sub, REST budget, leases).
REDIS_MAX_CONNECTIONS = 100
"""Seconds a Redis command or connection attempt may take before it counts as a failure."""

_UNLINK_BATCH = 500


@runtime_checkable
class Cache(Protocol):
    """A byte-valued key-value cache with TTLs, prefix deletion and sliding-window counters."""

    async def get(self, key: str) -> bytes | None:
        """The value stored at `key`, or None if it is absent or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store `value` at `key`, for `ttl` seconds (None: until evicted or deleted)."""
        ...

    async def delete(self, *keys: str) -> None:
        """Remove `keys` (missing keys are ignored)."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with `prefix`; return how many were removed."""
        ...

    async def window_hit(self, key: str, window: float, *, limit_members: int = 10_000) -> int:
        """Record one hit on `key` now and return the number of hits in the last `window` seconds.

        At most `limit_members` hits are remembered per key, so the count saturates there.
        """
        ...

    async def claim(self, key: str, ttl: float) -> bool:
        """Take `key` for `ttl` seconds if nobody holds it (True), else leave it as it is (False); atomic."""
        ...

    async def ping(self) -> bool:
        """Whether the backend answers (never raises)."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counters for /health and /metrics: backend, redis_available, hits, misses, hit_rate, memory_entries."""
        ...

    async def close(self) -> None:
        """Release connections and background tasks."""
        ...


def _hit_rate(hits: int, misses: int) -> float:
    total = hits + misses
    return hits / total if total else 0.0


class MemoryCache(Cache):
    """An in-process cache: bounded by `max_entries` (least recently used evicted first), per-entry TTLs."""

    def __init__(self, max_entries: int = 10_000, *, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._clock = clock
        self._values: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._windows: OrderedDict[str, deque[float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def get(self, key: str) -> bytes | None:
        """The value at `key`, or None if absent or expired."""
        entry = self._values.get(key)
        if entry is not None:
            expires_at, value = entry
            if expires_at > self._clock():
                self._values.move_to_end(key)
                self.hits += 1
                return value
            del self._values[key]
        self.misses += 1
        return None

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store `value` at `key` for `ttl` seconds (None: no expiry; 0 or less: not stored)."""
        if ttl is not None and ttl <= 0:
            self._values.pop(key, None)
            return
        expires_at = math.inf if ttl is None else self._clock() + ttl
        self._values[key] = (expires_at, value)
        self._values.move_to_end(key)
        while len(self._values) > self.max_entries:
            self._values.popitem(last=False)

    async def delete(self, *keys: str) -> None:
        """Remove `keys` (values and window counters)."""
        for key in keys:
            self._values.pop(key, None)
            self._windows.pop(key, None)

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with `prefix`."""
        removed = 0
        for store in (self._values, self._windows):
            doomed = [key for key in store if key.startswith(prefix)]
            for key in doomed:
                del store[key]
            removed += len(doomed)
        return removed

    async def window_hit(self, key: str, window: float, *, limit_members: int = 10_000) -> int:
        """Record a hit now; count the hits of the last `window` seconds."""
        now = self._clock()
        hits = self._windows.get(key)
        if hits is None or hits.maxlen != limit_members:
            hits = deque(hits or (), maxlen=limit_members)
            self._windows[key] = hits
        self._windows.move_to_end(key)
        threshold = now - window
        while hits and hits[0] <= threshold:
            hits.popleft()
        hits.append(now)
        while len(self._windows) > self.max_entries:
            self._windows.popitem(last=False)
        return len(hits)

    async def claim(self, key: str, ttl: float) -> bool:
        """Store a marker at `key` for `ttl` seconds unless a live value is there (one event loop: atomic)."""
        entry = self._values.get(key)
        if entry is not None and entry[0] > self._clock():
            return False
        await self.set(key, b"1", ttl)
        return True

    async def ping(self) -> bool:
        """Always True: memory does not go away."""
        return True

    def clear(self) -> None:
        """Forget every entry (the counters of hits and misses stay)."""
        self._values.clear()
        self._windows.clear()

    def __len__(self) -> int:
        return len(self._values) + len(self._windows)

    def stats(self) -> dict[str, Any]:
        """Counters of this cache."""
        return {
            "backend": "memory",
            "redis_available": False,
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": _hit_rate(self.hits, self.misses),
            "memory_entries": len(self),
        }

    async def close(self) -> None:
        """Forget everything."""
        self.clear()


def _glob_escape(text: str) -> str:
    """Escape Redis glob metacharacters so `text` matches itself in SCAN MATCH."""
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)


#: How many socket timeouts a command may wait for a free pooled connection.
POOL_WAIT_TURNS = 4


def redis_client(url: str, *, timeout: float = REDIS_TIMEOUT, retries: int = 1) -> Redis:
    """A redis.asyncio client that fails fast: short socket timeouts, no backoff, `retries` immediate retries.

    The retry covers a connection error only (a pooled connection the server closed, after a restart); a dead
    server answers the retry with "connection refused" at once, so it costs nothing. At most
    `REDIS_MAX_CONNECTIONS` connections: a burst past them waits its turn, up to `POOL_WAIT_TURNS` times `timeout`,
    for a free one (redis-py's default pool refuses at once with "Too many connections", which turned 100 commands
    at once into cache misses). Waiting for a connection is queueing behind busy ones, not a server that does not
    answer: a burst of four times the pool on a loaded machine outlasted a single `timeout`.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=timeout * POOL_WAIT_TURNS,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,)),
    )
    return Redis.from_pool(pool)


class RedisCache(Cache):
    """The cache in Redis, shared by every process; each key is stored as `prefix + key`.

    Operations raise on Redis errors (see `REDIS_ERRORS`); `FallbackCache` is the variant that never does.
    """

    def __init__(self, url: str, *, prefix: str = "wolaro:", timeout: float = REDIS_TIMEOUT) -> None:
        self.prefix = prefix
        self.client = redis_client(url, timeout=timeout)
        self._member_prefix = os.urandom(6).hex() + ":"
        self._member_counter = itertools.count()
        self._available = True
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisCache:
        """The Redis cache `settings.redis_url` names, with `settings.redis_prefix`."""
        if settings.redis_url is None:
            raise ValueError("redis_url is not set")
        return cls(settings.redis_url, prefix=settings.redis_prefix)

    async def _run(self, operation: Awaitable[T]) -> T:
        try:
            result = await operation
        except REDIS_ERRORS:
            self._available = False
            raise
        self._available = True
        return result

    async def get(self, key: str) -> bytes | None:
        """GET prefix+key."""
        value = await self._run(self.client.get(self.prefix + key))
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        return value if isinstance(value, bytes) else value.encode()

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """SET prefix+key (with PX when `ttl` is given; a `ttl` of 0 or less deletes)."""
        if ttl is not None and ttl <= 0:
            await self.delete(key)
            return
        px = None if ttl is None else max(1, math.ceil(ttl * 1000))
        await self._run(self.client.set(self.prefix + key, value, px=px))

    async def delete(self, *keys: str) -> None:
        """UNLINK the keys."""
        if keys:
            await self._run(self.client.unlink(*(self.prefix + key for key in keys)))

    async def delete_prefix(self, prefix: str) -> int:
        """SCAN for prefix+`prefix`* and UNLINK in batches (never KEYS, which blocks the server)."""
        pattern = _glob_escape(self.prefix + prefix) + "*"
        removed = 0
        batch: list[bytes] = []
        async for key in self.client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= _UNLINK_BATCH:
                removed += await self._run(self.client.unlink(*batch))
                batch.clear()
        if batch:
            removed += await self._run(self.client.unlink(*batch))
        return removed

    async def window_hit(self, key: str, window: float, *, limit_members: int = 10_000) -> int:
        """One MULTI: drop old hits, ZADD this one, cap the set, ZCARD, PEXPIRE (shared by all processes)."""
        full_key = self.prefix + key
        now = time.time()
        member = f"{self._member_prefix}{next(self._member_counter)}"
        pipe = self.client.pipeline(transaction=True)
        pipe.zremrangebyscore(full_key, "-inf", now - window)
        pipe.zadd(full_key, {member: now})
        pipe.zremrangebyrank(full_key, 0, -(limit_members + 1))
        pipe.zcard(full_key)
        pipe.pexpire(full_key, max(1, math.ceil(window * 1000)))
        results = await self._run(pipe.execute())
        return int(results[3])

    async def claim(self, key: str, ttl: float) -> bool:
        """SET prefix+key NX PX: one process of many takes the key."""
        px = max(1, math.ceil(ttl * 1000))
        return bool(await self._run(self.client.set(self.prefix + key, b"1", px=px, nx=True)))

    async def ping(self) -> bool:
        """PING, False on any error."""
        try:
            return bool(await self._run(self.client.ping()))
        except REDIS_ERRORS:
            return False

    async def reset_connections(self) -> None:
        """Drop every pooled connection (they may point at a server that has restarted)."""
        await self.client.connection_pool.disconnect()

    def stats(self) -> dict[str, Any]:
        """Counters of this cache."""
        return {
            "backend": "redis",
            "redis_available": self._available,
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": _hit_rate(self.hits, self.misses),
            "memory_entries": 0,
        }

    async def close(self) -> None:
        """Close the client and its pool."""
        await self.client.aclose()


class FallbackCache(Cache):
    """Redis when it answers, memory while it does not (seed: Redis Fallback System).

    The first failed Redis operation marks Redis unavailable (one warning), and a background probe PINGs it
    every `health_interval` seconds; meanwhile every operation is served by the memory cache. When Redis
    answers again the memory cache is cleared (it saw writes Redis did not), Redis is used again, and every
    recovery listener is awaited: entries Redis kept from before the outage may be stale, so owners of cached
    data drop or rewrite them there. No operation raises because Redis is down.
    """

    def __init__(self, redis: RedisCache, memory: MemoryCache, *, health_interval: float) -> None:
        self.redis = redis
        self.memory = memory
        self.health_interval = health_interval
        self.available = True
        self.outages = 0
        self._listeners: list[RecoveryListener] = []
        self._probe: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings, *, max_entries: int = 10_000) -> FallbackCache:
        """Redis from `settings`, a memory cache of `max_entries` beside it."""
        return cls(
            RedisCache.from_settings(settings),
            MemoryCache(max_entries),
            health_interval=settings.redis_health_interval,
        )

    def add_recovery_listener(self, callback: RecoveryListener) -> None:
        """Await `callback()` each time Redis comes back after an outage."""
        self._listeners.append(callback)

    async def _call(self, on_redis: Callable[[], Awaitable[T]], on_memory: Callable[[], Awaitable[T]]) -> T:
        if self.available:
            try:
                return await on_redis()
            except REDIS_ERRORS as exc:
                self._mark_down(exc)
        return await on_memory()

    def _mark_down(self, exc: BaseException) -> None:
        if not self.available:
            return
        self.available = False
        self.outages += 1
        log.warning("redis down, using memory cache", error=repr(exc), retry_every=self.health_interval)
        if not self._closed and (self._probe is None or self._probe.done()):
            self._probe = asyncio.get_running_loop().create_task(self._probe_until_back(), name="redis-probe")

    async def _probe_until_back(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.health_interval)
            if await self.redis.ping():
                await self._recovered()
                return

    async def _recovered(self) -> None:
        await self.redis.reset_connections()
        self.memory.clear()
        self.available = True
        log.info("redis back, using redis cache")
        for listener in list(self._listeners):
            try:
                await listener()
            except Exception:
                log.exception("cache recovery listener failed", listener=repr(listener))

    async def get(self, key: str) -> bytes | None:
        """From Redis, or from memory while Redis is down."""
        return await self._call(lambda: self.redis.get(key), lambda: self.memory.get(key))

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Into Redis, or into memory while Redis is down."""
        await self._call(lambda: self.redis.set(key, value, ttl), lambda: self.memory.set(key, value, ttl))

    async def delete(self, *keys: str) -> None:
        """From Redis, or from memory while Redis is down."""
        await self._call(lambda: self.redis.delete(*keys), lambda: self.memory.delete(*keys))

    async def delete_prefix(self, prefix: str) -> int:
        """From Redis, or from memory while Redis is down."""
        return await self._call(lambda: self.redis.delete_prefix(prefix), lambda: self.memory.delete_prefix(prefix))

    async def window_hit(self, key: str, window: float, *, limit_members: int = 10_000) -> int:
        """Counted in Redis (shared by every process), or in this process's memory while Redis is down."""
        return await self._call(
            lambda: self.redis.window_hit(key, window, limit_members=limit_members),
            lambda: self.memory.window_hit(key, window, limit_members=limit_members),
        )

    async def claim(self, key: str, ttl: float) -> bool:
        """Taken in Redis (shared by every process), or in this process's memory while Redis is down."""
        return await self._call(lambda: self.redis.claim(key, ttl), lambda: self.memory.claim(key, ttl))

    async def ping(self) -> bool:
        """Whether Redis answers right now (never raises). The cache keeps serving from memory either way."""
        return await self.redis.ping()

    def stats(self) -> dict[str, Any]:
        """Counters of both backends together."""
        hits = self.redis.hits + self.memory.hits
        misses = self.redis.misses + self.memory.misses
        return {
            "backend": "redis",
            "redis_available": self.available,
            "hits": hits,
            "misses": misses,
            "hit_rate": _hit_rate(hits, misses),
            "memory_entries": len(self.memory),
            "outages": self.outages,
        }

    async def close(self) -> None:
        """Stop the probe, close Redis, forget memory."""
        self._closed = True
        await cancel_and_wait(self._probe)
        await self.redis.close()
        await self.memory.close()


def make_cache(settings: Settings) -> Cache:
    """The cache `settings` ask for: in-process without `redis_url`, Redis with a memory fallback with it."""
    if settings.redis_url is None:
        return MemoryCache()
    return FallbackCache.from_settings(settings)
