"""Discord's limit on renaming a channel: 2 renames per 10 minutes per channel.

Discord documents no number for it, but enforces it on `PATCH /channels/{id}` with a `name`: the third rename of
one channel within 600 s gets a 429 (a per-route limit of scope `user`) whose `retry_after` is the time until the
oldest rename leaves the window. Other changes (topic, slowmode...) are not affected. A test may move `clock`.
"""

from __future__ import annotations

import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wolaro.sandbox.errors import DiscordHTTPError

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

RENAMES_PER_WINDOW = 2
WINDOW_S = 600.0


class ChannelRenameLimited(DiscordHTTPError):
    """A 429 for one more rename of a channel within the window."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(429, 0, "You are being rate limited.")
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """Discord's 429 body (`retry_after` in seconds, not global)."""
        return {"message": self.message, "retry_after": round(self.retry_after, 3), "global": False}


class ChannelRenameLimit:
    """Renames per channel over the last 10 minutes; the refusals given (what a careful bot never gets)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._renames: dict[int, deque[float]] = {}
        self.refused: list[int] = []

    def admit(self, channel_id: int) -> None:
        """Record a rename of `channel_id` now, or raise `ChannelRenameLimited` if it is one too many."""
        now = self.clock()
        times = self._renames.setdefault(channel_id, deque())
        while times and times[0] <= now - WINDOW_S:
            times.popleft()
        if len(times) >= RENAMES_PER_WINDOW:
            self.refused.append(channel_id)
            raise ChannelRenameLimited(times[0] + WINDOW_S - now)
        times.append(now)


_LIMITS: weakref.WeakKeyDictionary[Sandbox, ChannelRenameLimit] = weakref.WeakKeyDictionary()


def rename_limit(sandbox: Sandbox) -> ChannelRenameLimit:
    """The sandbox's channel rename limit (one per sandbox)."""
    limit = _LIMITS.get(sandbox)
    if limit is None:
        limit = _LIMITS[sandbox] = ChannelRenameLimit()
    return limit
