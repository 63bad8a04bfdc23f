"""Per-command cooldowns and a per-user global limit, on the `limits` library.

Storage is Redis when configured (so every bot process shares the counters) and memory otherwise; while Redis
is unreachable the limiter falls back to memory rather than refusing or stalling commands. Both use the
library's moving-window strategy, so a limit means the same thing on one process or on many. Over Redis, the
hits of one moment travel together (`PipelinedRedisStorage`: the library's script, one round trip for all),
`hit_all` checks several limits of one call at once (the API's per-IP and per-user limits), and `hit_in_order`
checks several in turn, stopping at the first that refuses (a command's cooldown, then the user's global rate), in
one round trip too.

The memory side is `LoopMemoryStorage`, a `limits` storage of our own: the library's async `MemoryStorage`
starts, after every hit, a task that walks every active key with one `asyncio.to_thread` hand-off each
(65-80% of a core at 100 hits/s with a few thousand users about). This one keeps each key's recent hits in
a bounded deque and forgets idle keys in O(1) amortised per hit, with no task, lock or thread.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

from limits import RateLimitItem, parse
from limits.aio.storage import MovingWindowSupport, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from wolaro.core.ratelimit_redis import PipelinedRedisStorage
from wolaro.logging import get_logger

log = get_logger(__name__)


class LoopMemoryStorage(Storage, MovingWindowSupport):
    """An in-process `limits` storage for one event loop: fixed-window counters and moving windows.

    Every method runs to completion without awaiting, so calls from coroutines of one loop never interleave
    and need no lock. It is not for use from several threads at once.

    Expiry without sweeps: keys are kept, per window length, in the order in which they will expire
    (moving windows by their newest hit, counters by their start), so each call drops the expired keys
    from the front of those queues and stops at the first live one.
    """

    def __init__(self, uri: str | None = None, *, clock: Callable[[], float] = time.time, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=False, **options)
        self._clock = clock
        # moving windows: key -> hit times, oldest first, at most `limit` of them
        self._windows: dict[str, deque[float]] = {}
        # per window length: keys ordered by their newest hit (the front one expires first)
        self._window_order: dict[float, OrderedDict[str, None]] = {}
        self._window_expiry: dict[str, float] = {}
        # fixed windows: key -> [count, expires at]
        self._counters: dict[str, list[float]] = {}
        self._counter_order: dict[float, OrderedDict[str, None]] = {}
        self._counter_expiry: dict[str, float] = {}

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:  # noqa: D102
        return ValueError

    # ----------------------------------------------------------------- expiry
    def _expire(self, now: float) -> None:
        """Drop every key whose window or counter is over; amortised O(1) per call."""
        for expiry, order in self._window_order.items():
            while order:
                key = next(iter(order))
                hits = self._windows[key]
                if hits and hits[-1] + expiry >= now:
                    break
                del order[key]
                del self._windows[key]
                del self._window_expiry[key]
        for order in self._counter_order.values():
            while order:
                key = next(iter(order))
                if self._counters[key][1] > now:
                    break
                del order[key]
                del self._counters[key]
                del self._counter_expiry[key]

    def _drop_counter(self, key: str) -> None:
        expiry = self._counter_expiry.pop(key, None)
        if expiry is not None:
            del self._counter_order[expiry][key]
            del self._counters[key]

    def _drop_window(self, key: str) -> None:
        expiry = self._window_expiry.pop(key, None)
        if expiry is not None:
            del self._window_order[expiry][key]
            del self._windows[key]

    # ---------------------------------------------------- fixed-window counters
    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the counter of `key`, starting a new one of `expiry` seconds if there is none."""
        now = self._clock()
        self._expire(now)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = [0, now + expiry]
            self._counter_order.setdefault(expiry, OrderedDict())[key] = None
            self._counter_expiry[key] = expiry
        counter[0] += amount
        return int(counter[0])

    async def decr(self, key: str, amount: int = 1) -> int:
        """Take `amount` off the counter of `key`, never below 0."""
        self._expire(self._clock())
        counter = self._counters.get(key)
        if counter is None:
            return 0
        counter[0] = max(0, counter[0] - amount)
        return int(counter[0])

    async def get(self, key: str) -> int:
        """The counter of `key` (0 when none is running)."""
        self._expire(self._clock())
        counter = self._counters.get(key)
        return int(counter[0]) if counter is not None else 0

    async def get_expiry(self, key: str) -> float:
        """When the counter of `key` ends (now when none is running)."""
        now = self._clock()
        self._expire(now)
        counter = self._counters.get(key)
        return counter[1] if counter is not None else now

    async def check(self) -> bool:
        """Memory is always reachable."""
        return True

    async def reset(self) -> int | None:
        """Forget everything; the number of keys that were held."""
        held = len(self._counters) + len(self._windows)
        for store in (
            self._windows,
            self._window_order,
            self._window_expiry,
            self._counters,
            self._counter_order,
            self._counter_expiry,
        ):
            store.clear()
        return held

    async def clear(self, key: str) -> None:
        """Forget the counter and the window of `key`."""
        self._drop_counter(key)
        self._drop_window(key)

    # ------------------------------------------------------------ moving window
    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Record `amount` hits now if the last `expiry` seconds hold at most `limit - amount` of them."""
        if amount > limit:
            return False
        now = self._clock()
        self._expire(now)
        hits = self._windows.get(key)
        if hits is None:
            hits = self._windows[key] = deque(maxlen=limit)
            self._window_expiry[key] = expiry
        start = now - expiry
        while hits and hits[0] < start:
            hits.popleft()
        if len(hits) + amount > limit:
            return False
        hits.extend([now] * amount)
        order = self._window_order.setdefault(expiry, OrderedDict())
        order[key] = None
        order.move_to_end(key)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(time of the oldest hit still in the window, hits in the window); (now, 0) for none."""
        now = self._clock()
        self._expire(now)
        hits = self._windows.get(key)
        start = now - expiry
        if hits:
            while hits and hits[0] < start:
                hits.popleft()
            if hits:
                return hits[0], len(hits)
        return now, 0

    def __len__(self) -> int:
        """Keys currently held (windows and counters)."""
        return len(self._windows) + len(self._counters)


class RateLimiter:
    """`hit()` a named limit for an identity; returns how long to wait, 0 when allowed."""

    def __init__(self, redis_url: str | None = None, *, prefix: str = "wolaro:") -> None:
        self.memory_storage = LoopMemoryStorage()
        self._memory = MovingWindowRateLimiter(self.memory_storage)
        self._shared: MovingWindowRateLimiter | None = None
        self._shared_storage: PipelinedRedisStorage | None = None
        if redis_url:
            storage = self._shared_storage = PipelinedRedisStorage(  # hits of one loop turn share a round trip
                _limits_uri(redis_url),
                key_prefix=f"{prefix}limits",
                wrap_exceptions=True,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {}
        self._entries: dict[tuple[str, tuple[str, ...]], tuple[str, int, int, int]] = {}
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

    def _entry(self, rate: str, identifiers: tuple[str, ...]) -> tuple[str, int, int, int]:
        """The library's acquisition for one hit: `(key, limit, window seconds, 1)`, built once per identity."""
        entry = self._entries.get((rate, identifiers))
        if entry is None:
            item = self.item(rate)
            if len(self._entries) >= 50_000:
                self._entries.clear()
            entry = self._entries[(rate, identifiers)] = (item.key_for(*identifiers), item.amount, item.get_expiry(), 1)
        return entry

    async def hit_all(self, *limits: tuple[str, tuple[str, ...]]) -> float:
        """Count one call against each `(rate, identifiers)` at once: the longest wait, 0 when every one allows it.

        Over Redis they travel together (one round trip, shared with the other calls of the same loop turn). Each
        limit decides on its own, so a call one of them refuses still counts against the others (as when they are
        hit one after the other and the last refuses).
        """
        storage = self._shared_storage
        if storage is None or self._shared is None or time.monotonic() < self._shared_down_until:
            waits = [await self.hit(rate, *identifiers) for rate, identifiers in limits]
            return max(waits, default=0.0)
        try:
            granted = await storage.acquire_entries([self._entry(rate, identifiers) for rate, identifiers in limits])
            wait = 0.0
            for (rate, identifiers), ok in zip(limits, granted, strict=True):
                if not ok:
                    stats = await self._shared.get_window_stats(self.item(rate), *identifiers)
                    wait = max(wait, stats.reset_time - time.time(), 0.001)  # refused: never reads as allowed
            return wait
        except Exception as exc:
            log.warning("rate limit storage unreachable; using memory", error=str(exc))
            self._shared_down_until = time.monotonic() + 5.0
        waits = [await self.hit(rate, *identifiers) for rate, identifiers in limits]
        return max(waits, default=0.0)

    async def hit_in_order(self, *limits: tuple[str, tuple[str, ...]]) -> float:
        """Count one call against each `(rate, identifiers)` in turn until one refuses it: its wait, 0 when none does.

        The same as `hit` for each, one after the other, stopping at the first wait: a call the first limit refuses
        is not counted against the next ones (a refused command does not spend the user's global rate). Over Redis
        the whole turn is one script run (one round trip, shared with the other calls of the same loop turn), the
        refusal's wait included; while Redis is unreachable, memory decides, as for `hit`.
        """
        storage = self._shared_storage
        if storage is not None and time.monotonic() >= self._shared_down_until:
            try:
                reset = await storage.acquire_in_order([self._entry(rate, identifiers) for rate, identifiers in limits])
            except Exception as exc:
                log.warning("rate limit storage unreachable; using memory", error=str(exc))
                self._shared_down_until = time.monotonic() + 5.0
            else:
                return 0.0 if reset is None else max(reset - time.time(), 0.001)  # refused: never reads as allowed
        for rate, identifiers in limits:
            item = self.item(rate)
            if not await self._memory.hit(item, *identifiers):
                stats = await self._memory.get_window_stats(item, *identifiers)
                return max(stats.reset_time - time.time(), 0.001)
        return 0.0


def _limits_uri(redis_url: str) -> str:
    """`redis://...` as the limits library's async scheme (redis-py's `unix://` is its `redis+unix://`)."""
    scheme, rest = redis_url.split("://", 1)
    return f"async+{'redis+unix' if scheme == 'unix' else scheme}://{rest}"
