"""Automod's counting rules: spam counts (here, and in the shared cache near the limit), duplicate messages."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable


def spam_key(guild_id: int, user_id: int) -> str:
    """The shared-cache key of one member's message counter."""
    return f"automod:spam:{guild_id}:{user_id}"


def shared_from(limit: int) -> int:
    """From which of a member's messages in the spam window the count is also kept in the shared cache.

    Half the limit, plus one: a member writing at under half the allowed pace costs no cache call.
    """
    return limit // 2 + 1


class SpamCounter:
    """Each member's recent messages in this process, bounded: the least recently active members go first.

    A guild's messages all reach the one process that runs its shard, so this count is the member's count
    while the shard stays put. Across processes (a shard handed over during a burst) the shared cache holds the
    count: a member's messages from `shared_from(limit)` on in the window are also counted there (by the Cog, off
    the read loop), and `hit` says how many of the member's messages still in the window were not.
    """

    def __init__(self, *, max_members: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_members = max_members
        self.clock = clock
        self._recent: OrderedDict[tuple[int, int], deque[tuple[float, bool]]] = OrderedDict()

    def hit(self, guild_id: int, user_id: int, window: float, limit: int, *, shared: bool) -> tuple[int, int | None]:
        """Record a message now: (the member's messages in the window here, at most `limit + 1`; unshared).

        `unshared` is None, or when this message must also be counted in the shared cache, how many of the
        member's earlier messages in the window were not. With `shared`, a message from `shared_from(limit)` up
        to `limit` here goes to the shared cache too (the caller sends it; the shared count plus the unshared
        ones decides); without, the shared cache is not used.
        """
        now = self.clock()
        key = (guild_id, user_id)
        recent = self._recent.get(key)
        if recent is None or recent.maxlen != limit + 1:
            recent = self._recent[key] = deque(recent or (), maxlen=limit + 1)
            if len(self._recent) > self.max_members:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(key)
        threshold = now - window
        while recent and recent[0][0] <= threshold:
            recent.popleft()
        count = len(recent) + 1
        goes_shared = shared and shared_from(limit) <= count <= limit  # over the limit: caught here already
        unshared = sum(1 for _, counted in recent if not counted) if goes_shared else None
        recent.append((now, goes_shared))
        return min(count, limit + 1), unshared

    def __len__(self) -> int:
        return len(self._recent)


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
