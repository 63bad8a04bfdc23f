"""Discord's identify rules kept over every bot process: discord.py's `before_identify_hook` waits here.

Discord allows one IDENTIFY per 5 seconds per rate-limit bucket (`shard_id % max_concurrency`) for the whole bot
token, whichever process sends it, and a daily budget of session starts (`session_start_limit` of
`GET /gateway/bot`). Each process's discord.py only spaces its own identifies, so N processes starting together
would send N at once and get INVALID_SESSION. Here a shard takes its bucket's turn with an atomic claim in the
shared cache (Redis `SET NX PX 5000`: the key's expiry is the 5 s spacing; in memory while Redis is down or
unset), and no IDENTIFY is sent while the budget is spent: the process waits for `reset_after`, logging why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from wolaro.data.cache import Cache
from wolaro.logging import get_logger

log = get_logger(__name__)

IDENTIFY_SPACING_S = 5.0
POLL_S = 0.25
#: Refetch the budget after this many identifies from this process (other processes spend it too).
REFRESH_EVERY = 10

LimitsFetcher = Callable[[], Awaitable[dict[str, Any]]]


def bucket_of(shard_id: int, max_concurrency: int) -> int:
    """The identify rate-limit bucket of a shard (Discord: `shard_id % max_concurrency`)."""
    return shard_id % max(1, max_concurrency)


class IdentifyGate:
    """Turns to IDENTIFY, shared by every process through the cache; the session-start budget respected."""

    def __init__(
        self, cache: Cache, fetch_limits: LimitsFetcher, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self.cache = cache
        self.fetch_limits = fetch_limits
        self.sleep = sleep
        self.limits: dict[str, Any] | None = None
        self._since_fetch = 0
        self.waited_s = 0.0
        self.identifies = 0

    async def wait(self, shard_id: int) -> None:
        """Return when shard `shard_id` may IDENTIFY now (its bucket's turn taken, budget left)."""
        started = time.monotonic()
        limits = await self._budget()
        bucket = bucket_of(shard_id, int(limits.get("max_concurrency", 1)))
        while not await self.cache.claim(f"identify:bucket:{bucket}", IDENTIFY_SPACING_S):
            await self.sleep(POLL_S)
        self.identifies += 1
        self._since_fetch += 1
        limits["remaining"] = int(limits.get("remaining", 1)) - 1
        waited = time.monotonic() - started
        self.waited_s += waited
        log.debug("identify turn taken", shard=shard_id, bucket=bucket, waited_s=round(waited, 2))

    async def _budget(self) -> dict[str, Any]:
        if self.limits is None or self._since_fetch >= REFRESH_EVERY or int(self.limits.get("remaining", 0)) <= 0:
            self.limits = dict(await self.fetch_limits())
            self._since_fetch = 0
        while int(self.limits.get("remaining", 0)) <= 0:
            reset_s = max(1.0, float(self.limits.get("reset_after", 60_000)) / 1000)
            log.error(
                "Discord's daily session-start budget is spent: no shard may connect until it resets",
                total=self.limits.get("total"),
                reset_in_s=round(reset_s),
            )
            await self.sleep(min(reset_s, 300.0))
            self.limits = dict(await self.fetch_limits())
        return self.limits
