"""One Discord REST budget for every bot process, and the REST figures the alerts need.

Discord allows a bot token `DISCORD_REST_GLOBAL_LIMIT` requests per second (50 unless Discord raised it), over every
process together; discord.py only slows down after a 429. Here every request to Discord's API waits for a slot
of a sliding one-second window kept in Redis (one Lua call: trim, count, add; Redis's own clock, so hosts'
clocks do not matter) before it is sent. Interaction callbacks and webhook follow-ups are exempt, as on Discord.
Without Redis, or while it is unreachable, the window is this process's own.

The hook is an `aiohttp.TraceConfig` given to discord.py (`http_trace`): its request-start callback is awaited
before each request goes out, and its request-end callback counts 429s (by scope), 5xx and invalid requests
(401, 403, 429: Discord bans a token for a while at 10,000 per 10 minutes).
"""

from __future__ import annotations

import asyncio
import collections
import os
import time
from types import SimpleNamespace
from typing import Any

import aiohttp
from prometheus_client import Counter
from redis.asyncio import Redis

from wolaro.data.cache import REDIS_ERRORS, redis_client
from wolaro.logging import get_logger

log = get_logger(__name__)

#: Discord counts per second; the window is 10% longer so that a request let out just as the oldest leaves
#: the window does not reach Discord before it (network or event-loop jitter would make that a 429).
WINDOW_S = 1.1
EXEMPT = ("/interactions/", "/webhooks/")

RATE_LIMITED = Counter("wolaro_discord_rest_rate_limited", "Discord REST answers 429, by scope", ["scope"])
SERVER_ERRORS = Counter("wolaro_discord_rest_server_errors", "Discord REST answers 5xx")
INVALID = Counter("wolaro_discord_rest_invalid_requests", "Discord REST answers 401, 403 or 429 (ban at 10k/10 min)")
WAITED = Counter("wolaro_discord_rest_budget_wait_seconds", "Seconds requests waited for the shared global budget")

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, math.ceil((tonumber(oldest[2]) + window - now) * 1000))
"""


def counts_against_global(path: str) -> bool:
    """Whether a request to this URL path spends the global budget (Discord API, not interactions/webhooks)."""
    if not path.startswith("/api/"):
        return False  # the gateway's WebSocket, the CDN
    below = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else path
    return not below.startswith(EXEMPT)


class RestBudget:
    """The global requests-per-second window, in Redis when there is one, else in this process."""

    def __init__(self, redis: Redis | None, *, limit: int = 50, key: str = "wolaro:discord:rest:global") -> None:
        self.redis = redis
        self.limit = limit
        self.key = key
        self._local: collections.deque[float] = collections.deque()
        self._counter = 0
        self._member = os.urandom(4).hex()
        self.waited_s = 0.0

    @classmethod
    def from_settings(cls, redis_url: str | None, *, prefix: str, limit: int) -> RestBudget:
        """Shared through REDIS_URL when set."""
        redis = redis_client(redis_url) if redis_url else None
        return cls(redis, limit=limit, key=f"{prefix}discord:rest:global")

    async def take(self) -> None:
        """Wait until a request may go out without passing the global limit, and count it."""
        started = time.monotonic()
        while True:
            delay = await self._try()
            if delay <= 0:
                break
            await asyncio.sleep(delay)  # the window's oldest request leaves it then (no event to wait on)
        waited = time.monotonic() - started
        if waited > 0.001:
            self.waited_s += waited
            WAITED.inc(waited)

    async def _try(self) -> float:
        if self.redis is not None:
            self._counter += 1
            try:
                wait_ms = await self.redis.eval(  # type: ignore[misc]
                    _TAKE, 1, self.key, WINDOW_S, self.limit, f"{self._member}:{self._counter}"
                )
                return int(wait_ms) / 1000
            except REDIS_ERRORS as exc:
                log.debug("shared REST budget unreachable, counting in this process", error=repr(exc))
        now = time.monotonic()
        while self._local and self._local[0] <= now - WINDOW_S:
            self._local.popleft()
        if len(self._local) < self.limit:
            self._local.append(now)
            return 0.0
        return self._local[0] + WINDOW_S - now

    async def close(self) -> None:
        """Release the Redis connection."""
        if self.redis is not None:
            await self.redis.aclose()


def trace_config(budget: RestBudget) -> aiohttp.TraceConfig:
    """The TraceConfig for discord.py's HTTP session: the budget before each request, the figures after."""
    trace = aiohttp.TraceConfig()

    async def on_start(session: Any, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams) -> None:
        if counts_against_global(params.url.path):
            await budget.take()

    async def on_end(session: Any, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        record_response(params.response.status, params.response.headers)

    trace.on_request_start.append(on_start)
    trace.on_request_end.append(on_end)
    return trace


def record_response(status: int, headers: Any) -> None:
    """Count a Discord answer in the REST metrics."""
    if status == 429:
        scope = headers.get("X-RateLimit-Scope") or ("global" if headers.get("X-RateLimit-Global") else "user")
        RATE_LIMITED.labels(scope).inc()
        if scope != "shared":
            INVALID.inc()
    elif status in (401, 403):
        INVALID.inc()
    elif status >= 500:
        SERVER_ERRORS.inc()
