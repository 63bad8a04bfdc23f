"""One Discord REST budget for every bot process, and the REST figures the alerts need.

Discord allows a bot token `DISCORD_REST_GLOBAL_LIMIT` requests per second (50 unless Discord raised it), over every
process together; discord.py only slows down after a 429. Here every request to Discord's API waits for a slot
of a sliding one-second window kept in Redis (one Lua call: trim, count, add; Redis's own clock, so hosts'
clocks do not matter) before it is sent. Interaction callbacks and webhook follow-ups are exempt, as on Discord.
Without Redis, or while it is unreachable, the window is this process's own.

Per-route buckets are shared too (`RouteBuckets`). Discord answers every request with its route's bucket
(`X-RateLimit-Bucket`, `-Limit`, `-Remaining`, `-Reset-After`), one count per bucket and major parameter (the
channel, guild or webhook in the path) over every process; discord.py tracks them per process, so N processes each
spend a bucket they believe is theirs and draw 429s. Here every answer records its bucket's remaining requests and
reset time in Redis (keyed by bucket hash and major parameter, the route's bucket learned from the answers), and
every request first takes one of the remaining requests there (one Lua call, Redis's clock), waiting for the
reset when there are none (at most `MAX_ROUTE_WAIT_S`; past that, or while Redis is unreachable, discord.py's own
per-route handling, which stays underneath, decides alone). Very large bots can instead send all REST traffic
through a proxy such as nirn-proxy (docs/deploy.md).

The hook is an `aiohttp.TraceConfig` given to discord.py (`http_trace`): its request-start callback is awaited
before each request goes out (route bucket, then the global window: one script run, `RestBudget.take_request`, so
one Redis round trip for a request that does not wait), and its request-end callback records the
route's bucket and counts 429s (by scope), 5xx and invalid requests (401, 403, 429: Discord bans a token for a
while at 10,000 per 10 minutes).
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
ROUTE_WAITED = Counter(
    "wolaro_discord_rest_route_wait_seconds", "Seconds requests waited for their route's shared bucket to reset"
)

#: Longest wait for a route's bucket; a later reset is left to discord.py (it then sleeps or raises as configured).
MAX_ROUTE_WAIT_S = 10.0
#: Added to Discord's reset time: a request let out at the reset must not reach Discord just before it.
RESET_MARGIN_S = 0.05
#: How long what was learned of a route (its bucket) and of a bucket (remaining, reset) is kept in Redis.
ROUTE_TTL_S = 86_400
MAJOR_PARAMETERS = ("channels", "guilds", "webhooks")

#: KEYS[1]: the route's key (its bucket hash). ARGV: the buckets' key prefix, the major parameter.
#: 0 (go: one remaining request taken, or nothing known) or the milliseconds until the bucket resets.
_TAKE_ROUTE = """
local bucket = redis.call('GET', KEYS[1])
if not bucket then return 0 end
local key = ARGV[1] .. bucket .. ':' .. ARGV[2]
local state = redis.call('HMGET', key, 'limit', 'remaining', 'reset_at', 'window')
if not state[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, remaining = tonumber(state[1]), tonumber(state[2])
local reset_at, window = tonumber(state[3]), tonumber(state[4])
if now >= reset_at then
  -- the window Discord told of is over: the next one holds `limit` requests from its first, this one included
  redis.call('HSET', key, 'remaining', limit - 1, 'reset_at', now + window + tonumber(ARGV[3]))
  return 0
end
if remaining > 0 then
  redis.call('HSET', key, 'remaining', remaining - 1)
  return 0
end
return math.max(1, math.ceil((reset_at - now) * 1000))
"""

#: KEYS[1]: the route's key. ARGV: prefix, major, bucket, limit, remaining, reset after (s), margin (s), ttl (s),
#: "1" when the answer tells the window's length (a success: its Reset-After; a 429's Retry-After may be longer).
_RECORD_ROUTE = """
redis.call('SET', KEYS[1], ARGV[3], 'EX', tonumber(ARGV[8]))
local key = ARGV[1] .. ARGV[3] .. ':' .. ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, remaining = tonumber(ARGV[4]), tonumber(ARGV[5])
local reset_after = tonumber(ARGV[6])
local reset_at = now + reset_after + tonumber(ARGV[7])  -- Discord's reset: the truth for this window
local state = redis.call('HMGET', key, 'remaining', 'reset_at', 'window')
local window = tonumber(state[3] or reset_after)
if ARGV[9] == '1' then window = math.max(window, reset_after) end
if state[1] and reset_at <= tonumber(state[2]) + window / 2 then
  -- the window already known: other processes may have taken requests this answer does not count yet
  remaining = math.min(remaining, tonumber(state[1]))
end
redis.call('HSET', key, 'limit', limit, 'remaining', remaining, 'reset_at', reset_at, 'window', window)
redis.call('EXPIRE', key, tonumber(ARGV[8]))
return 0
"""

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

#: `_TAKE_ROUTE`, then `_TAKE` unless the route makes the request wait, in one script run (one round trip where the
#: two scripts one after the other took two). KEYS[1]: the route's key, KEYS[2]: the global window. ARGV[1..3]:
#: `_TAKE_ROUTE`'s, ARGV[4..6]: `_TAKE`'s, ARGV[7]: seconds the request already waited for its route, ARGV[8]: the
#: most it may (a later reset is left to discord.py: the request goes on to the global window, nothing of the route
#: taken).
#: Returns minus the milliseconds until the route's bucket resets (nothing taken), else `_TAKE`'s answer.
_TAKE_BOTH = f"""
local function take_route(KEYS, ARGV)
{_TAKE_ROUTE}
end
local function take_global(KEYS, ARGV)
{_TAKE}
end
local wait = take_route({{KEYS[1]}}, {{ARGV[1], ARGV[2], ARGV[3]}})
if wait > 0 and tonumber(ARGV[7]) + wait / 1000 <= tonumber(ARGV[8]) then
  return -wait
end
return take_global({{KEYS[2]}}, {{ARGV[4], ARGV[5], ARGV[6]}})
"""


def counts_against_global(path: str) -> bool:
    """Whether a request to this URL path spends the global budget (Discord API, not interactions/webhooks)."""
    if not path.startswith("/api/"):
        return False  # the gateway's WebSocket, the CDN
    below = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else path
    return not below.startswith(EXEMPT)


def route_of(method: str, path: str) -> tuple[str, str] | None:
    """`(route, major parameter)` of a Discord API request: `("POST /channels/{}/messages", "<channel id>")`.

    None for what has no shared bucket here: not the API, interaction callbacks and webhook follow-ups (their paths
    hold tokens, never written to Redis; each interaction's own route anyway).
    """
    if not counts_against_global(path):
        return None
    parts = path.split("/")[3:]  # "", "api", "v10", then the route
    major = parts[1] if len(parts) > 1 and parts[0] in MAJOR_PARAMETERS and parts[1].isdigit() else ""
    template = "/".join("{}" if part.isdigit() else part for part in parts)
    return f"{method.upper()} /{template}", major


class RouteBuckets:
    """Discord's per-route buckets shared over every process through Redis (see the module's docstring)."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self.redis = redis
        self.routes = f"{prefix}discord:rest:route:"
        self.buckets = f"{prefix}discord:rest:bucket:"
        self.waited_s = 0.0

    async def record(self, method: str, path: str, status: int, headers: Any) -> None:
        """Keep what an answer says of its route's bucket (remaining, reset; a route 429: none left until then)."""
        route = route_of(method, path)
        bucket = headers.get("X-RateLimit-Bucket")
        if route is None or not bucket or headers.get("X-RateLimit-Global"):
            return
        try:
            limit = int(headers.get("X-RateLimit-Limit") or 0)
            remaining = int(headers.get("X-RateLimit-Remaining") or 0)
            reset_after = float(headers.get("X-RateLimit-Reset-After") or headers.get("Retry-After") or 0)
        except ValueError:
            return
        if status == 429:
            remaining = 0
        if limit <= 0 or not 0 < reset_after <= 3600 or len(bucket) > 64:
            return
        try:
            await self.redis.eval(  # type: ignore[misc]
                _RECORD_ROUTE,
                1,
                self.routes + route[0],
                self.buckets,
                route[1],
                bucket,
                limit,
                remaining,
                reset_after,
                RESET_MARGIN_S,
                ROUTE_TTL_S,
                "0" if status == 429 else "1",
            )
        except REDIS_ERRORS as exc:
            log.debug("shared REST buckets unreachable, discord.py's own handling only", error=repr(exc))


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
        prefix = key.removesuffix("discord:rest:global")
        self.routes = RouteBuckets(redis, prefix=prefix) if redis is not None else None
        if redis is not None:  # sent by hash (EVALSHA), not as text each time
            self._take_global = redis.register_script(_TAKE)
            self._take_both = redis.register_script(_TAKE_BOTH)

    @classmethod
    def from_settings(cls, redis_url: str | None, *, prefix: str, limit: int) -> RestBudget:
        """Shared through REDIS_URL when set."""
        redis = redis_client(redis_url) if redis_url else None
        return cls(redis, limit=limit, key=f"{prefix}discord:rest:global")

    async def take(self) -> None:
        """Wait until a request may go out without passing the global limit, and count it."""
        await self._take(None)

    async def take_request(self, method: str, path: str) -> None:
        """Wait for the route's shared bucket, then for the global window: one script run (round trip) per try.

        The same waits as the two one after the other: for the route's shared bucket to reset (at most
        `MAX_ROUTE_WAIT_S` in all, then one request of it taken), then for the global window. While Redis is
        unreachable the route is left to discord.py and the global window is this process's own, as for each alone.
        """
        await self._take(route_of(method, path) if self.routes is not None else None)

    async def _take(self, route: tuple[str, str] | None) -> None:
        routes_waited = waited = 0.0  # the sleeps, not the tries' own time (a slow Redis call is no wait)
        while True:
            delay = await self._try(route, routes_waited)
            if delay < 0:  # the route's bucket is spent: wait for its reset, then try both again
                await asyncio.sleep(-delay)  # (another process's answer may say it reset sooner)
                routes_waited -= delay
                continue
            route = None  # the route's part is over (a request taken, or left to discord.py): the global window's
            if delay == 0:
                break
            await asyncio.sleep(delay)  # the window's oldest request leaves it then (no event to wait on)
            waited += delay
        if routes_waited and self.routes is not None:
            self.routes.waited_s += routes_waited
            ROUTE_WAITED.inc(routes_waited)
        if waited:
            self.waited_s += waited
            WAITED.inc(waited)

    async def _try(self, route: tuple[str, str] | None, routes_waited: float) -> float:
        """Seconds to wait: for the route's reset when negative, for the global window when positive; 0: go."""
        if self.redis is not None:
            self._counter += 1
            member = f"{self._member}:{self._counter}"
            try:
                if route is None or self.routes is None:
                    wait_ms = await self._take_global([self.key], [WINDOW_S, self.limit, member])
                else:
                    route_args = (self.routes.buckets, route[1], RESET_MARGIN_S)
                    global_args = (WINDOW_S, self.limit, member)
                    wait_ms = await self._take_both(
                        [self.routes.routes + route[0], self.key],
                        [*route_args, *global_args, routes_waited, MAX_ROUTE_WAIT_S],
                    )
                return int(wait_ms) / 1000
            except REDIS_ERRORS as exc:
                log.debug(
                    "shared REST budget unreachable, counting in this process (routes: discord.py's own handling)",
                    error=repr(exc),
                )
        now = time.monotonic()
        while self._local and self._local[0] <= now - WINDOW_S:
            self._local.popleft()
        if len(self._local) < self.limit:
            self._local.append(now)
            return 0.0
        return max(0.0, self._local[0] + WINDOW_S - now)  # (never negative: that would read as a route's wait)

    async def close(self) -> None:
        """Release the Redis connection."""
        if self.redis is not None:
            await self.redis.aclose()


def trace_config(budget: RestBudget) -> aiohttp.TraceConfig:
    """The TraceConfig for discord.py's HTTP session: the budget before each request, the figures after."""
    trace = aiohttp.TraceConfig()

    async def on_start(session: Any, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams) -> None:
        if counts_against_global(params.url.path):
            await budget.take_request(params.method, params.url.path)  # its route's bucket, then the global window

    async def on_end(session: Any, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        status, headers = params.response.status, params.response.headers
        record_response(status, headers)
        if budget.routes is not None:
            await budget.routes.record(params.method, params.url.path, status, headers)

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
