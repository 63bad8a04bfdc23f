"""The hot path's memory: per-member cooldowns and the XP waiting for the next batched write.

Nothing here touches the network. A chatting server costs a dict lookup per message; its XP reaches the database
in one upsert per flush (`store.add_batch`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from wolaro.modules.leveling.store import Award

Key = tuple[int, int]
"""(guild id, user id)."""


class Cooldowns:
    """When each member may next earn XP, in this process's memory (bounded; expired entries are pruned)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 500_000) -> None:
        self._clock = clock
        self._until: dict[Key, float] = {}
        self.max_entries = max_entries

    def ready(self, key: Key, seconds: float) -> bool:
        """True (and the cooldown starts) if the member may earn XP now; False while their cooldown runs."""
        now = self._clock()
        until = self._until.get(key)
        if until is not None and until > now:
            return False
        if len(self._until) >= self.max_entries:
            self.prune()
        self._until[key] = now + seconds
        return True

    def forget(self, key: Key) -> None:
        """Let the member earn again at once (their claim failed elsewhere)."""
        self._until.pop(key, None)

    def prune(self) -> int:
        """Drop expired entries; how many were dropped (the oldest half too if all are live and the map is full)."""
        now = self._clock()
        expired = [key for key, until in self._until.items() if until <= now]
        for key in expired:
            del self._until[key]
        if len(self._until) >= self.max_entries:
            for key in list(self._until)[: len(self._until) // 2]:
                del self._until[key]
        return len(expired)

    def __len__(self) -> int:
        return len(self._until)


class AnnounceBudget:
    """At most `burst` level-up announcements per server per `window` seconds, in this process.

    A chat storm (an event, a raid, an import of levels) could otherwise queue hundreds of announcements on the
    bot's shared REST budget (Discord's global limit), delaying every server's command replies behind them. Past
    the budget, a level-up is still counted, dispatched and rewarded with its roles; only its message is skipped.
    """

    def __init__(self, burst: int = 10, window: float = 10.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.window, self._clock = burst, window, clock
        self._spent: dict[int, tuple[float, int]] = {}

    def take(self, guild_id: int) -> bool:
        """True (and one announcement spent) if the server may announce now."""
        now = self._clock()
        started, count = self._spent.get(guild_id, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        if count >= self.burst:
            return False
        if len(self._spent) >= 100_000:
            self._spent.clear()
        self._spent[guild_id] = (started, count + 1)
        return True


@dataclass(slots=True)
class Pending:
    """A member's XP not written yet, and where they last earned it (the level-up announcement goes there)."""

    xp: int
    name: str | None
    avatar: str | None
    channel_id: int | None


class XpBuffer:
    """XP earned since the last flush, added up per member."""

    def __init__(self) -> None:
        self._pending: dict[Key, Pending] = {}

    def add(self, key: Key, xp: int, *, name: str | None, avatar: str | None, channel_id: int | None) -> None:
        """Count `xp` more for the member."""
        entry = self._pending.get(key)
        if entry is None:
            self._pending[key] = Pending(xp, name, avatar, channel_id)
            return
        entry.xp += xp
        entry.name, entry.avatar = name or entry.name, avatar or entry.avatar
        if channel_id is not None:
            entry.channel_id = channel_id

    def bump(self, key: Key, xp: int, channel_id: int | None) -> bool:
        """Count `xp` more for a member already pending (True), else do nothing (False): the hot path's shortcut."""
        entry = self._pending.get(key)
        if entry is None:
            return False
        entry.xp += xp
        entry.channel_id = channel_id
        return True

    def drain(self) -> dict[Key, Pending]:
        """Everything pending (the buffer is empty afterwards)."""
        pending, self._pending = self._pending, {}
        return pending

    def restore(self, pending: dict[Key, Pending]) -> None:
        """Put back what a failed flush could not write, added to anything earned since."""
        for key, entry in pending.items():
            self.add(key, entry.xp, name=entry.name, avatar=entry.avatar, channel_id=entry.channel_id)

    def peek(self, key: Key) -> int:
        """XP the member earned that is not written yet."""
        entry = self._pending.get(key)
        return entry.xp if entry is not None else 0

    def __len__(self) -> int:
        return len(self._pending)

    def total(self) -> int:
        """XP waiting, all members together."""
        return sum(entry.xp for entry in self._pending.values())


def awards(pending: dict[Key, Pending]) -> list[Award]:
    """The rows of one flush."""
    return [Award(g, u, entry.xp, entry.name, entry.avatar) for (g, u), entry in pending.items() if entry.xp > 0]
