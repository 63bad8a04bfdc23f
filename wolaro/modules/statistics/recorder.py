"""The ingest runtime of one process: the buffer, the open voice sessions, and the flush loop.

A flush runs every `interval` seconds, or sooner when the buffer holds `flush_keys` counters, and once more on a
graceful stop. It counts open voice sessions up to now, drops what opted-out members and ignored channels would
have recorded, and writes everything in one transaction (one upsert per table). If the database is unreachable
the batch goes back into the buffer and the flush is retried with a growing delay (up to `max_backoff`); events
the bounded buffer cannot hold are counted in `wolaro_statistics_dropped_events_total` and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from wolaro.modules.statistics import metrics, store
from wolaro.modules.statistics.ingest import Batch, Buffer, rows_of
from wolaro.modules.statistics.voice import VoiceTracker
from wolaro.sdk import Database, cancel_and_wait, get_logger

log = get_logger(__name__)

OnFlushed = Callable[[dict[int, int]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class GuildRules:
    """What a flush needs to know of a server's settings."""

    timezone: str = "UTC"
    ignored: frozenset[int] = frozenset()
    enabled: bool = True


RulesOf = Callable[[set[int]], Awaitable[dict[int, GuildRules]]]
Present = Callable[[int, int, int], bool]
"""(guild_id, user_id, channel_id) -> whether the member is still in that voice channel, as the gateway says."""


class Recorder:
    """Buffers statistics in memory and writes them in batches."""

    def __init__(
        self,
        db: Database,
        *,
        rules: RulesOf,
        present: Present | None = None,
        on_flushed: OnFlushed | None = None,
        interval: float = 5.0,
        flush_keys: int = 20_000,
        max_keys: int = 200_000,
        max_backoff: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.rules = rules
        self.present = present
        self.on_flushed = on_flushed
        self.interval = interval
        self.flush_keys = flush_keys
        self.max_backoff = max_backoff
        self.clock = clock
        self.buffer = Buffer(max_keys)
        self.voice = VoiceTracker()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # one flush at a time in this process (the rows themselves only add up)
        self._reported_drops = 0
        self.failures = 0

    # ------------------------------------------------------------------ hot path helpers
    def count_message(self, guild_id: int, hour: int, channel_id: int, user_id: int) -> None:
        """Count one message (one dictionary update; wakes the flusher when the buffer is big)."""
        key = (guild_id, hour, channel_id, user_id)
        messages = self.buffer.batch.messages
        count = messages.get(key)
        if count is not None:  # the usual case: this member already spoke in this channel this hour
            messages[key] = count + 1
        elif self.buffer.add_message(guild_id, hour, channel_id, user_id) and len(messages) >= self.flush_keys:
            self._wake.set()

    def count_voice(self, guild_id: int, user_id: int, channel_id: int | None, counting: bool) -> None:
        """A voice state changed: close and count what ended, open what began."""
        for segment in self.voice.update(guild_id, user_id, channel_id, counting, self.clock()):
            self.buffer.add_voice(segment.guild_id, segment.channel_id, segment.user_id, segment.pieces)

    def forget_member(self, user_id: int, guild_id: int | None = None) -> int:
        """Drop a member's counters not yet written and end their voice sessions uncounted (their data was erased).

        In one server, or in every server when `guild_id` is None; returns how many counters were dropped.
        """
        batch = self.buffer.batch
        dropped = 0
        for counters in (batch.messages, batch.voice):
            for key in [k for k in counters if k[3] == user_id and (guild_id is None or k[0] == guild_id)]:
                del counters[key]
                dropped += 1
        for g, u in [k for k in self.voice.sessions if k[1] == user_id and guild_id in (None, k[0])]:
            self.voice.forget(g, u)
        return dropped

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the flush loop."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="statistics-flush")

    async def stop(self) -> None:
        """Stop the loop and write what is buffered (a graceful stop loses nothing the database accepts)."""
        await cancel_and_wait(self._task)
        self._task = None
        if not await self.flush():
            log.warning("statistics not written at stop: the database is unavailable", events=self.buffer.batch.events)

    async def _loop(self) -> None:
        delay = self.interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            self._wake.clear()
            # Shielded: a stop that cancels the loop mid-flush must not lose the batch that flush has taken.
            written = await asyncio.shield(self.flush())
            delay = self.interval if written else min(self.max_backoff, max(delay, 0.5) * 2)

    # ------------------------------------------------------------------ the flush
    async def flush(self) -> bool:
        """Write everything buffered now; False if the database refused (the data stays buffered)."""
        async with self._lock:
            return await self._flush()

    async def _flush(self) -> bool:
        now = self.clock()
        if self.present is not None:
            for (g, u), voice in list(self.voice.sessions.items()):
                if not self.present(g, u, voice.channel_id):  # a leave this process missed: closed at its checkpoint
                    self.voice.forget(g, u)
        for segment in self.voice.checkpoint(now):
            self.buffer.add_voice(segment.guild_id, segment.channel_id, segment.user_id, segment.pieces)
        batch = self.buffer.take()
        closed, self.voice.closed = self.voice.closed, set()
        sessions = dict(self.voice.sessions)
        if not len(batch) and not closed and not sessions:
            return True
        try:
            guilds = batch.guilds() | {g for g, _ in sessions}
            rules = await self.rules(guilds)
            excluded = await store.opted_out(self.db, guilds)
            excluded |= {(g, u) for g, u in sessions if not rules.get(g, GuildRules()).enabled}
            ignoring = any(r.ignored for r in rules.values())
            kept = batch.without(excluded, (lambda g, c: c in rules[g].ignored) if ignoring else None)
            rows = rows_of(kept, lambda g: rules.get(g, GuildRules()).timezone)
            open_rows = [
                {
                    "guild_id": g,
                    "user_id": u,
                    "channel_id": s.channel_id,
                    "started_at": int(s.started_at),
                    "counted_until": int(s.counted_until),
                }
                for (g, u), s in sessions.items()
                if (g, u) not in excluded
            ]
            async with self.db.transaction() as session:
                await store.write_rows(session, rows, open_rows, closed | (excluded & set(sessions)))
        except Exception as exc:
            self._failed(batch, closed, exc)
            return False
        for key in excluded & set(sessions):
            self.voice.sessions.pop(key, None)
        if self.failures:
            log.info("statistics flushed again after failures", failures=self.failures, events=batch.events)
        self.failures = 0
        metrics.FLUSHED_EVENTS.inc(kept.events)
        metrics.BUFFERED.set(len(self.buffer))
        self.report_drops()
        if self.on_flushed is not None:
            with contextlib.suppress(Exception):
                await self.on_flushed(kept.events_by_guild())
        return True

    def _failed(self, batch: Batch, closed: set[tuple[int, int]], exc: Exception) -> None:
        self.failures += 1
        self.voice.closed |= closed
        self.buffer.restore(batch)
        metrics.FLUSH_FAILURES.inc()
        metrics.BUFFERED.set(len(self.buffer))
        log.warning(
            "statistics flush failed: kept in memory, retrying",
            error=repr(exc),
            failures=self.failures,
            buffered=len(self.buffer),
            dropped_total=self.buffer.dropped,
        )
        self.report_drops()

    def report_drops(self) -> None:
        """Count newly dropped events in the metric, with one log line."""
        total = self.buffer.dropped
        if total > self._reported_drops:
            metrics.DROPPED.inc(total - self._reported_drops)
            log.error(
                "statistics events dropped: the buffer is full while the database is unreachable",
                dropped=total - self._reported_drops,
                dropped_total=total,
                bound=self.buffer.max_keys,
            )
            self._reported_drops = total
