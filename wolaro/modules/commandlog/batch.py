"""Commands wait here and are written together about once a second: no database write per command.

A graceful stop writes what waits; a killed process loses at most the last second of its command log.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

from wolaro.modules.commandlog import store
from wolaro.sdk import Database, get_logger

log = get_logger(__name__)

#: Seconds between writes.
FLUSH_EVERY = 1.0
#: Commands a process holds while the database cannot take them; past it the oldest are dropped (and logged).
MAX_PENDING = 5_000


class CommandBatch:
    """The commands recorded since the last write, and how many each server got since its last cut."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rows: list[dict[str, Any]] = []
        self.since_trim: Counter[int] = Counter()
        self._task: asyncio.Task[None] | None = None

    def add(self, guild_id: int, data: dict[str, Any]) -> None:
        """Keep one command for the next write."""
        self.rows.append(store.entry_row(guild_id, data))
        if len(self.rows) > MAX_PENDING:
            dropped = len(self.rows) - MAX_PENDING
            del self.rows[:dropped]
            log.warning("command log full, oldest commands dropped", dropped=dropped)

    def forget(self, user_id: int, guild_id: int | None) -> None:
        """A person's data was erased: drop their commands not yet written (in one server, or everywhere)."""
        self.rows = [
            row
            for row in self.rows
            if row["user_id"] != user_id or (guild_id is not None and row["guild_id"] != guild_id)
        ]

    async def flush(self) -> None:
        """Write what waits (kept for the next try when the database refuses)."""
        rows, self.rows = self.rows, []
        if not rows:
            return
        for row in rows:
            self.since_trim[row["guild_id"]] += 1
        trim = {guild_id for guild_id, count in self.since_trim.items() if count >= store.TRIM_EVERY}
        try:
            await store.record_many(self.db, rows, trim)
        except Exception:
            self.rows[:0] = rows  # written next time, in order
            for row in rows:
                self.since_trim[row["guild_id"]] -= 1
            raise
        for guild_id in trim:
            del self.since_trim[guild_id]

    def start(self) -> None:
        """Write every `FLUSH_EVERY` seconds until stopped."""
        self._task = asyncio.create_task(self._every(), name="commandlog-flush")

    async def stop(self) -> None:
        """Stop the timer and write what waits."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            try:
                await self.flush()
            except Exception as exc:  # the database may be down: the rows wait for the next write
                log.warning("command log not written yet", error=type(exc).__name__, waiting=len(self.rows))
