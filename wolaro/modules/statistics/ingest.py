"""The in-memory ingest buffer: counters per (server, hour, channel, member), merged until they are flushed.

Adding a message is one dictionary update (the hot path). A flush takes the whole buffer as a `Batch` at once
and later events go to a fresh one; a flush that fails gives its batch back (`restore`), merged with what came
meanwhile. The buffer holds at most `max_keys` distinct counters: past that, new counters are dropped and counted
(an existing counter still grows, so a busy hour loses nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from wolaro.modules.statistics.times import day_of_hour

Key = tuple[int, int, int, int]
"""(guild_id, hour, channel_id, user_id)."""


@dataclass(slots=True)
class Batch:
    """What one flush writes: message counts, voice seconds and member changes, with the events they hold."""

    messages: dict[Key, int] = field(default_factory=dict)
    voice: dict[Key, int] = field(default_factory=dict)
    members: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    """(guild_id, hour) -> [joins, leaves, member count or -1]."""

    @property
    def events(self) -> int:
        """Messages, voice pieces and member changes held (counted when asked: the hot path only adds 1)."""
        changes = sum(joins + leaves for joins, leaves, _ in self.members.values())
        return sum(self.messages.values()) + len(self.voice) + changes

    def __len__(self) -> int:
        return len(self.messages) + len(self.voice) + len(self.members)

    def guilds(self) -> set[int]:
        """The servers this batch touches."""
        return {k[0] for k in self.messages} | {k[0] for k in self.voice} | {k[0] for k in self.members}

    def events_by_guild(self) -> dict[int, int]:
        """How many messages, voice hours and member changes each server gets in this batch."""
        counts: dict[int, int] = {}
        for key, n in self.messages.items():
            counts[key[0]] = counts.get(key[0], 0) + n
        for key in self.voice:
            counts[key[0]] = counts.get(key[0], 0) + 1
        for (guild_id, _), change in self.members.items():
            counts[guild_id] = counts.get(guild_id, 0) + change[0] + change[1]
        return counts

    def without(self, excluded: set[tuple[int, int]], ignored: Callable[[int, int], bool] | None) -> Batch:
        """A copy without the counters of opted-out members (guild, user) and of channels not counted (`ignored`).

        The batch itself when there is nothing to leave out (the usual case: no copy).
        """
        if not excluded and ignored is None:
            return self

        def keep(key: Key) -> bool:
            return (key[0], key[3]) not in excluded and (ignored is None or not ignored(key[0], key[2]))

        return Batch(
            {k: n for k, n in self.messages.items() if keep(k)},
            {k: n for k, n in self.voice.items() if keep(k)},
            self.members,
        )


class Buffer:
    """Counters waiting to be written, bounded to `max_keys` distinct counters."""

    def __init__(self, max_keys: int = 200_000) -> None:
        self.max_keys = max_keys
        self.batch = Batch()
        self.dropped = 0
        """Events refused because the buffer was full (since start)."""

    def __len__(self) -> int:
        return len(self.batch)

    def add_message(self, guild_id: int, hour: int, channel_id: int, user_id: int) -> bool:
        """Count one message; False if it was dropped (the buffer is full)."""
        batch = self.batch
        messages = batch.messages
        key = (guild_id, hour, channel_id, user_id)
        count = messages.get(key)
        if count is None:
            if len(messages) + len(batch.voice) >= self.max_keys:
                self.dropped += 1
                return False
            messages[key] = 1
        else:
            messages[key] = count + 1
        return True

    def add_voice(self, guild_id: int, channel_id: int, user_id: int, pieces: Iterable[tuple[int, int]]) -> None:
        """Add voice seconds, already split by hour ([(hour, seconds)])."""
        batch = self.batch
        for hour, seconds in pieces:
            key = (guild_id, hour, channel_id, user_id)
            if key not in batch.voice and len(batch.messages) + len(batch.voice) >= self.max_keys:
                self.dropped += 1
                continue
            batch.voice[key] = batch.voice.get(key, 0) + seconds

    def add_member_change(self, guild_id: int, hour: int, *, joined: bool, member_count: int | None) -> None:
        """Count a join or a leave, and remember the member count after it."""
        change = self.batch.members.setdefault((guild_id, hour), [0, 0, -1])
        change[0 if joined else 1] += 1
        if member_count is not None:
            change[2] = member_count

    def note_member_count(self, guild_id: int, hour: int, member_count: int) -> None:
        """Remember a server's member count (seen when it becomes available), without a join or leave."""
        change = self.batch.members.setdefault((guild_id, hour), [0, 0, -1])
        change[2] = member_count

    def take(self) -> Batch:
        """Everything buffered, leaving the buffer empty."""
        batch, self.batch = self.batch, Batch()
        return batch

    def restore(self, batch: Batch) -> int:
        """Give back a batch that could not be written (merged with newer counters); returns events dropped."""
        current, self.batch = self.batch, batch
        dropped = 0
        for key, n in current.messages.items():
            if key in batch.messages:
                batch.messages[key] += n
            elif len(batch.messages) + len(batch.voice) < self.max_keys:
                batch.messages[key] = n
            else:
                dropped += n
        for key, seconds in current.voice.items():
            if key in batch.voice or len(batch.messages) + len(batch.voice) < self.max_keys:
                batch.voice[key] = batch.voice.get(key, 0) + seconds
            else:
                dropped += 1
        for member_key, (joins, leaves, count) in current.members.items():
            change = batch.members.setdefault(member_key, [0, 0, -1])
            change[0] += joins
            change[1] += leaves
            if count >= 0:
                change[2] = count
        self.dropped += dropped
        return dropped


@dataclass(slots=True)
class Rows:
    """The rows of one flush, one list of tuples per table, columns in `store.TABLES` order.

    Member blocks are not among them: the daily job builds them from the daily rows, and a flush adds only late
    counts to blocks already built (`store.write_rows`).
    """

    hourly: list[tuple[int, int, int, int, int, int]]
    user_daily: list[tuple[int, int, int, int, int]]
    channel_daily: list[tuple[int, int, int, int, int]]
    guild_daily: list[tuple[int, int, int, int, int, int, int | None]]


def rows_of(batch: Batch, timezone_of: Callable[[int], str]) -> Rows:
    """Turn a batch into each table's rows; days are the servers' local days (`timezone_of(guild_id)`)."""
    voice = batch.voice
    messages = batch.messages
    if voice:
        hourly = [(g, h, c, u, n, voice.get((g, h, c, u), 0)) for (g, h, c, u), n in messages.items()]
        hourly += [(g, h, c, u, 0, s) for (g, h, c, u), s in voice.items() if (g, h, c, u) not in messages]
    else:  # the usual case: chat only
        hourly = [(g, h, c, u, n, 0) for (g, h, c, u), n in messages.items()]
    users: dict[tuple[int, int, int], list[int]] = {}
    channels: dict[tuple[int, int, int], list[int]] = {}
    guilds: dict[tuple[int, int], list[int]] = {}
    days: dict[tuple[int, int], int] = {}
    zones: dict[int, str] = {}
    for guild_id, hour, channel_id, user_id, n, seconds in hourly:
        day = days.get((guild_id, hour))
        if day is None:
            tz = zones.get(guild_id) or zones.setdefault(guild_id, timezone_of(guild_id))
            day = days[(guild_id, hour)] = day_of_hour(hour, tz)
        key = (guild_id, day, user_id)
        sums = users.get(key)
        if sums is None:
            users[key] = [n, seconds]
        else:
            sums[0] += n
            sums[1] += seconds
        key = (guild_id, day, channel_id)
        sums = channels.get(key)
        if sums is None:
            channels[key] = [n, seconds]
        else:
            sums[0] += n
            sums[1] += seconds
        sums = guilds.get((guild_id, day))
        if sums is None:
            guilds[(guild_id, day)] = [n, seconds, 0, 0, -1]
        else:
            sums[0] += n
            sums[1] += seconds
    for (guild_id, hour), (joins, leaves, count) in sorted(batch.members.items()):
        tz = zones.get(guild_id) or zones.setdefault(guild_id, timezone_of(guild_id))
        sums = guilds.setdefault((guild_id, day_of_hour(hour, tz)), [0, 0, 0, 0, -1])
        sums[2] += joins
        sums[3] += leaves
        if count >= 0:
            sums[4] = count
    return Rows(
        hourly,
        [(g, d, u, n, s) for (g, d, u), (n, s) in users.items()],
        [(g, d, c, n, s) for (g, d, c), (n, s) in channels.items()],
        [(g, d, n, s, j, left, None if count < 0 else count) for (g, d), (n, s, j, left, count) in guilds.items()],
    )


def late_blocks(
    user_daily: list[tuple[int, int, int, int, int]], built: dict[int, int]
) -> list[tuple[int, int, int, int, int, int]]:
    """Member-day rows falling in blocks already built (`built`: size -> last block built), summed per block.

    (guild, block size, block, member, messages, voice seconds). Usually none: a flush brings today's counts, and a
    block is built only once its days are over (`store.build_blocks`); late ones come after an outage or a crash.
    """
    if not user_daily or not built:
        return []
    oldest = min(row[1] for row in user_daily)
    sizes = [(size, last) for size, last in built.items() if (oldest + 3) // size <= last]
    blocks: dict[tuple[int, int, int, int], list[int]] = {}
    for guild_id, day, user_id, n, seconds in user_daily if sizes else ():
        for size, last in sizes:
            block = (day + 3) // size
            if block > last:
                continue
            key = (guild_id, size, block, user_id)
            sums = blocks.get(key)
            if sums is None:
                blocks[key] = [n, seconds]
            else:
                sums[0] += n
                sums[1] += seconds
    return [(g, size, b, u, n, s) for (g, size, b, u), (n, s) in blocks.items()]
