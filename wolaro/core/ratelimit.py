"""Per-command cooldowns and a per-user global limit, on the `limits` library.

Storage is Redis when configured (so every bot process shares the counters) and memory otherwise; while Redis
is unreachable the limiter falls back to memory rather than refusing or stalling commands.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from wolaro.logging import get_logger

log = get_logger(__name__)


class RateLimiter:
    """`hit()` a named limit for an identity; returns how long to wait, 0 when allowed."""

    def __init__(self, redis_url: str | None = None, *, prefix: str = "wolaro:") -> None:
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url:
            storage: Storage = RedisStorage(
                _limits_uri(redis_url),
                implementation="redispy",
                key_prefix=f"{prefix}limits",
                wrap_exceptions=True,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {}
        self._shared_down_until = 0.0

    def item(self, rate: str) -> RateLimitItem:
        """Parse a rate such as `5/10second` once."""
        item = self._items.get(rate)
        if item is None:
            item = self._items[rate] = parse(rate)
        return item

    async def hit(self, rate: str, *identifiers: str) -> float:
        """Count one call against `rate` for `identifiers`; the seconds to wait if over the limit, else 0."""
        item = self.item(rate)
        limiter = self._memory
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                if await self._shared.hit(item, *identifiers):
                    return 0.0
                stats = await self._shared.get_window_stats(item, *identifiers)
                return max(0.0, stats.reset_time - time.time())
            except Exception as exc:
                log.warning("rate limit storage unreachable; using memory", error=str(exc))
                self._shared_down_until = time.monotonic() + 5.0
        if await limiter.hit(item, *identifiers):
            return 0.0
        stats = await limiter.get_window_stats(item, *identifiers)
        return max(0.0, stats.reset_time - time.time())


def _limits_uri(redis_url: str) -> str:
    """`redis://...` as the limits library's async scheme."""
    scheme, rest = redis_url.split("://", 1)
    return f"async+{scheme}://{rest}"
