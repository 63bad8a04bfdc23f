"""Automod's counting rules: spam counts (keys for the shared cache) and the duplicate-message tracker."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


def spam_key(guild_id: int, user_id: int) -> str:
    """The shared-cache key of one member's message counter."""
    return f"automod:spam:{guild_id}:{user_id}"


def fingerprint(content: str) -> int:
    """What makes two messages "the same": case and surrounding/inner whitespace runs ignored."""
    return hash(" ".join(content.casefold().split()))


class DuplicateTracker:
    """Recent message fingerprints per (guild, member), bounded: the least recently active members go first.

    A guild's messages all reach the one process that runs its shard, so this count needs no shared cache;
    keeping it in memory keeps the per-message cost of the duplicate rule to a dict lookup.
    """

    def __init__(
        self, *, max_members: int = 50_000, depth: int = 64, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_members = max_members
        self.depth = depth
        self.clock = clock
        self._recent: OrderedDict[tuple[int, int], tuple[deque[float], deque[int]]] = OrderedDict()

    def hit(self, guild_id: int, user_id: int, content: str, window: float) -> int:
        """Record this message; return how many of the member's messages in `window` s had the same text."""
        now = self.clock()
        key = (guild_id, user_id)
        recent = self._recent.get(key)
        if recent is None:
            recent = self._recent[key] = (deque(maxlen=self.depth), deque(maxlen=self.depth))
            if len(self._recent) > self.max_members:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(key)
        times, marks = recent
        threshold = now - window
        while times and times[0] <= threshold:
            times.popleft()
            marks.popleft()
        mark = fingerprint(content)
        times.append(now)
        marks.append(mark)
        return marks.count(mark)

    def forget(self, guild_id: int, user_id: int) -> None:
        """Drop a member's history (after they were acted on)."""
        self._recent.pop((guild_id, user_id), None)

    def __len__(self) -> int:
        return len(self._recent)
