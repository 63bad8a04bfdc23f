"""Commands wait here and are written together about once a second: no database write per command.

A graceful stop writes what waits; a killed process loses at most the last second of its command log.
Metrics (`wolaro_commandlog_*`, metrics.py): rows written, writes refused, rows dropped, rows waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

from wolaro.modules.commandlog import metrics, store
from wolaro.sdk import Database, cancel_and_wait, get_logger, scrub_text

log = get_logger(__name__)

#: Seconds between writes.
FLUSH_EVERY = 1.0
#: Commands a process holds while the database cannot take them; past it the oldest are dropped (and logged).
MAX_PENDING = 5_000
#: Seconds after a person's data is erased during which their commands still arriving are not kept: a command
#: that finished as the erasure ran is recorded a moment later, and must not bring a row back.
ERASED_QUIET = 60.0


class CommandBatch:
    """The commands recorded since the last write, and how many each server got since its last cut."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.rows: list[dict[str, Any]] = []
        self.since_trim: Counter[int] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._writing: asyncio.Task[None] | None = None
        #: (user, server or None for everywhere) -> when their data was erased (monotonic seconds).
        self._erased: dict[tuple[int, int | None], float] = {}

    def add(self, guild_id: int, data: dict[str, Any]) -> None:
        """Keep one command for the next write (not one of a person whose data was just erased)."""
        row = self._cleared(store.entry_row(guild_id, data))
        if row is None:
            return
        self.rows.append(row)
        if len(self.rows) > MAX_PENDING:
            dropped = len(self.rows) - MAX_PENDING
            del self.rows[:dropped]
            metrics.DROPPED.inc(dropped)
            log.warning("command log full, oldest commands dropped", dropped=dropped)

    def forget(self, user_id: int, guild_id: int | None) -> None:
        """A person's data was erased: drop their commands not yet written (in one server, or everywhere).

        Their commands still arriving for `ERASED_QUIET` seconds are dropped too, and their id is taken out of the
        arguments of others' commands that named them, waiting or arriving.
        """
        now = time.monotonic()
        self._erased = {key: at for key, at in self._erased.items() if now - at < ERASED_QUIET}
        self._erased[(user_id, guild_id)] = now
        self.rows = [
            row
            for row in self.rows
            if row["user_id"] != user_id or (guild_id is not None and row["guild_id"] != guild_id)
        ]
        for row in self.rows:
            if guild_id is None or row["guild_id"] == guild_id:
                row["arguments"] = scrub_text(row["arguments"], user_id)

    def _cleared(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """`row` as it may be kept after the recent erasures (None: it is an erased person's command).

        The ids of the people erased are taken out of its arguments.
        """
        if not self._erased:
            return row
        now = time.monotonic()
        erased = [
            user
            for (user, where), at in self._erased.items()
            if now - at < ERASED_QUIET and where in (None, row["guild_id"])
        ]
        if row["user_id"] in erased:
            return None
        for user_id in erased:  # a command naming someone just erased keeps no trace of them
            row["arguments"] = scrub_text(row["arguments"], user_id)
        return row

    async def written(self) -> bool:
        """Wait for a write under way, if any; whether there was one.

        Its rows were taken before an erasure and may land after the erasure's delete.
        """
        writing = self._writing
        if writing is None:
            return False
        with contextlib.suppress(Exception):
            await asyncio.shield(writing)
        return True

    async def flush(self) -> None:
        """Write what waits (kept for the next try when the database refuses)."""
        rows, self.rows = self.rows, []
        if not rows:
            metrics.PENDING.set(0)
            return
        metrics.PENDING.set(len(rows))
        self._writing = asyncio.ensure_future(self._write(rows))
        try:
            await asyncio.shield(self._writing)
        finally:
            self._writing = None
            metrics.PENDING.set(len(self.rows))

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.since_trim[row["guild_id"]] += 1
        trim = {guild_id for guild_id, count in self.since_trim.items() if count >= store.TRIM_EVERY}
        try:
            await store.record_many(self.db, rows, trim)
        except Exception:
            metrics.WRITE_FAILURES.inc()
            # written next time, in order (cleared of the people erased meanwhile)
            self.rows[:0] = [kept for kept in map(self._cleared, rows) if kept is not None]
            for row in rows:
                self.since_trim[row["guild_id"]] -= 1
            raise
        metrics.WRITTEN.inc(len(rows))
        for guild_id in trim:
            del self.since_trim[guild_id]

    def start(self) -> None:
        """Write every `FLUSH_EVERY` seconds until stopped."""
        self._task = asyncio.create_task(self._every(), name="commandlog-flush")

    async def stop(self) -> None:
        """Stop the timer and write what waits."""
        await cancel_and_wait(self._task)
        await self.flush()

    async def _every(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            try:
                await self.flush()
            except Exception as exc:  # the database may be down: the rows wait for the next write
                log.warning("command log not written yet", error=type(exc).__name__, waiting=len(self.rows))
