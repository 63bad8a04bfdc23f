"""Discord's identify rules kept over every bot process: discord.py's `before_identify_hook` waits here.

Discord allows one IDENTIFY per 5 seconds per rate-limit bucket (`shard_id % max_concurrency`) for the whole bot
token, whichever process sends it, and a daily budget of session starts (`session_start_limit` of
`GET /gateway/bot`). Each process's discord.py only spaces its own identifies, so N processes starting together
would send N at once and get INVALID_SESSION. Here a shard takes its bucket's turn with an atomic claim in the
shared cache (Redis `SET NX PX 5000`: the key's expiry is the 5 s spacing; in memory while Redis is down or
unset), and no IDENTIFY is sent while the budget is spent: the process waits for `reset_after`, logging why.

Metrics: how long each shard waited for its turn (`wolaro_identify_wait_seconds`), and the session starts left as
this process last knew them (`wolaro_identify_session_starts_remaining` of `wolaro_identify_session_start_limit`,
refetched every `REFRESH_EVERY` identifies and counted down in between) and when the budget resets: a figure older
than that reset is stale (the process has not identified since).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Gauge, Histogram

from wolaro.data.cache import Cache
from wolaro.logging import get_logger

log = get_logger(__name__)

IDENTIFY_SPACING_S = 5.0
POLL_S = 0.25
#: Refetch the budget after this many identifies from this process (other processes spend it too).
REFRESH_EVERY = 10

WAITED = Histogram(
    "wolaro_identify_wait_seconds",
    "Time a shard waited for its turn to IDENTIFY (its bucket's 5 s spacing, a spent session-start budget)",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 900.0, 3600.0),
)
REMAINING = Gauge(
    "wolaro_identify_session_starts_remaining", "Session starts (IDENTIFYs) Discord still allows the token today"
)
LIMIT = Gauge("wolaro_identify_session_start_limit", "Session starts Discord allows the token per day")
RESETS_AT = Gauge(
    "wolaro_identify_session_starts_reset_timestamp_seconds", "Unix time the session-start budget resets (last known)"
)

LimitsFetcher = Callable[[], Awaitable[dict[str, Any]]]


def bucket_of(shard_id: int, max_concurrency: int) -> int:
    """The identify rate-limit bucket of a shard (Discord: `shard_id % max_concurrency`)."""
    return shard_id % max(1, max_concurrency)


class IdentifyGate:
    """Turns to IDENTIFY, shared by every process through the cache; the session-start budget respected."""

    def __init__(
        self,
        cache: Cache,
        fetch_limits: LimitsFetcher,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.fetch_limits = fetch_limits
        self.sleep = sleep
        self.clock = clock
        self.limits: dict[str, Any] | None = None
        self._since_fetch = 0
        self.waited_s = 0.0
        self.identifies = 0

    async def wait(self, shard_id: int) -> None:
        """Return when shard `shard_id` may IDENTIFY now (its bucket's turn taken, budget left)."""
        started = self.clock()
        limits = await self._budget()
        bucket = bucket_of(shard_id, int(limits.get("max_concurrency", 1)))
        while not await self.cache.claim(f"identify:bucket:{bucket}", IDENTIFY_SPACING_S):
            await self.sleep(POLL_S)
        self.identifies += 1
        self._since_fetch += 1
        limits["remaining"] = int(limits.get("remaining", 1)) - 1
        REMAINING.set(limits["remaining"])
        waited = self.clock() - started
        self.waited_s += waited
        WAITED.observe(waited)
        log.debug("identify turn taken", shard=shard_id, bucket=bucket, waited_s=round(waited, 2))

    async def _budget(self) -> dict[str, Any]:
        limits = self.limits
        if limits is None or self._since_fetch >= REFRESH_EVERY or int(limits.get("remaining", 0)) <= 0:
            limits = await self._fetch()
            self._since_fetch = 0
        while int(limits.get("remaining", 0)) <= 0:
            reset_s = max(1.0, float(limits.get("reset_after", 60_000)) / 1000)
            log.error(
                "Discord's daily session-start budget is spent: no shard may connect until it resets",
                total=limits.get("total"),
                reset_in_s=round(reset_s),
            )
            await self.sleep(min(reset_s, 300.0))
            limits = await self._fetch()
        return limits

    async def _fetch(self) -> dict[str, Any]:
        """GET /gateway/bot's `session_start_limit`, kept and shown in the metrics."""
        self.limits = limits = dict(await self.fetch_limits())
        REMAINING.set(int(limits.get("remaining", 0)))
        if "total" in limits:
            LIMIT.set(int(limits["total"]))
        if "reset_after" in limits:
            RESETS_AT.set(time.time() + float(limits["reset_after"]) / 1000)
        return limits
