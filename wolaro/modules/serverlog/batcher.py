"""Log posts grouped per channel: what happens within a moment is posted together, in one message.

A purge of 100 messages one by one, a raid of joins or a script renaming every channel makes one post per channel
per `delay` instead of one per event: Discord allows a bot about 5 messages per 5 seconds in a channel, and a log
must never fall behind its server. Kept in this process's memory: at worst the last `delay` seconds of log lines
are lost when the process stops (nothing counted or owed depends on them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from wolaro.sdk import get_logger

log = get_logger(__name__)
T = TypeVar("T")

#: Items held for one channel; past this, the oldest are dropped (and counted) until the next post.
MAX_PENDING = 1000


class Batcher(Generic[T]):
    """Collects items per channel and hands each channel's items to `send` once per `delay` seconds."""

    def __init__(self, send: Callable[[int, list[T], int], Awaitable[None]], *, delay: float = 1.5) -> None:
        self._send = send
        self.delay = delay
        self._pending: dict[int, list[T]] = {}
        self._dropped: dict[int, int] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def add(self, channel_id: int, item: T) -> None:
        """Queue `item` for `channel_id`; its post leaves within `delay` seconds."""
        pending = self._pending.setdefault(channel_id, [])
        pending.append(item)
        if len(pending) > MAX_PENDING:
            del pending[0]
            self._dropped[channel_id] = self._dropped.get(channel_id, 0) + 1
        if channel_id not in self._tasks:
            self._tasks[channel_id] = asyncio.create_task(self._later(channel_id), name=f"serverlog-{channel_id}")

    async def _later(self, channel_id: int) -> None:
        try:
            await asyncio.sleep(self.delay)
        finally:
            self._tasks.pop(channel_id, None)
        await self._flush(channel_id)

    async def _flush(self, channel_id: int) -> None:
        items = self._pending.pop(channel_id, [])
        dropped = self._dropped.pop(channel_id, 0)
        if not items:
            return
        try:
            await self._send(channel_id, items, dropped)
        except Exception as exc:  # a deleted log channel or missing permission must not break the others
            log.warning("server log post failed", channel_id=channel_id, items=len(items), error=repr(exc))

    async def flush_all(self) -> None:
        """Post everything waiting now (at shutdown, and in tests)."""
        for task in list(self._tasks.values()):
            task.cancel()
        self._tasks.clear()
        for channel_id in list(self._pending):
            await self._flush(channel_id)
