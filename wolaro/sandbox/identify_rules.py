"""Discord's identify rules, as the gateway applies them to every IDENTIFY over every connection.

- One IDENTIFY per 5 seconds per rate-limit bucket, the bucket being ``shard_id % max_concurrency``: Discord
  answers a faster one with INVALID_SESSION (``d: false``).
- A budget of session starts (``session_start_limit`` of ``GET /gateway/bot``: ``total`` per ``reset_after``);
  once spent, IDENTIFY is refused (Discord resets the token of a bot that keeps trying).

Every breach is counted in ``violations`` (by rule) so a test can require none; with ``enforce`` the IDENTIFY is
also refused as Discord does. ``enforce`` is off by default because most tests start bots faster than Discord
allows; the scale-out tests switch it on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

IDENTIFY_SPACING_S = 5.0
SESSION_START_RESET_MS = 86_400_000


class IdentifyRules:
    """The per-bucket identify spacing and the session-start budget of one bot token."""

    def __init__(
        self,
        *,
        max_concurrency: int = 1,
        session_start_total: int = 1000,
        enforce: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_concurrency = max_concurrency
        self.session_start_total = session_start_total
        self.enforce = enforce
        self.clock = clock
        self.started = 0
        self.violations: dict[str, int] = {}
        self._last: dict[int, float] = {}

    @property
    def remaining(self) -> int:
        """Session starts left in the budget."""
        return max(0, self.session_start_total - self.started)

    def session_start_limit(self) -> dict[str, int]:
        """The ``session_start_limit`` object of ``GET /gateway/bot``."""
        return {
            "total": self.session_start_total,
            "remaining": self.remaining,
            "reset_after": SESSION_START_RESET_MS,
            "max_concurrency": self.max_concurrency,
        }

    def admit(self, shard_id: int) -> str | None:
        """Record an IDENTIFY of ``shard_id``; the rule it breaks when it must be refused, else None."""
        now = self.clock()
        bucket = shard_id % max(1, self.max_concurrency)
        broken = None
        if self.remaining <= 0:
            broken = "session start budget spent"
        elif now - self._last.get(bucket, -IDENTIFY_SPACING_S) < IDENTIFY_SPACING_S:
            broken = "more than one IDENTIFY per 5 s in a bucket"
        if broken is not None:
            self.violations[broken] = self.violations.get(broken, 0) + 1
            if self.enforce:
                return broken
        self._last[bucket] = now
        self.started += 1
        return None
