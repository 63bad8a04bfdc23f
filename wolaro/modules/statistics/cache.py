"""Query results cached through the platform's cache (Redis or memory), with a TTL, dropped on real change.

A server's cached results are dropped when the data flushed since they were computed could change them
noticeably: at least 1% of the biggest total they showed (any change for a small server). Dropping is one write:
results are keyed under the server's current generation, and a drop starts a new generation (no key scan).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from wolaro.sdk import get_logger

log = get_logger(__name__)

PREFIX = "statistics:"
NOTICEABLE = 0.01


class StatsCache:
    """Cache-aside for statistics queries, per server."""

    def __init__(self, cache: Any, ttl: float = 120.0) -> None:
        self.cache = cache
        self.ttl = ttl
        self._scale: dict[int, int] = {}
        self._pending: dict[int, int] = {}

    async def get_or_compute(self, guild_id: int, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        """The cached result of `key` in this server, or `compute()` stored for `ttl` seconds."""
        try:
            full = f"{PREFIX}{guild_id}:{await self._generation(guild_id)}:{key}"
            raw = await self.cache.get(full)
        except Exception:
            full, raw = "", None
        if raw is not None:
            return orjson.loads(raw)
        value = await compute()
        total = value.get("messages") if isinstance(value, dict) else None
        if isinstance(total, int):
            self._scale[guild_id] = max(self._scale.get(guild_id, 0), total)
        try:
            if full:
                await self.cache.set(full, orjson.dumps(value), self.ttl)
        except Exception as exc:
            log.warning("statistics result not cached", error=repr(exc))
        return value

    async def changed(self, events_by_guild: dict[int, int]) -> None:
        """Data was flushed: drop the results of servers where it adds up to a noticeable change."""
        for guild_id, events in events_by_guild.items():
            pending = self._pending.get(guild_id, 0) + events
            if pending >= max(1, int(self._scale.get(guild_id, 0) * NOTICEABLE)):
                self._pending.pop(guild_id, None)
                await self.drop(guild_id)
            else:
                self._pending[guild_id] = pending

    async def _generation(self, guild_id: int) -> str:
        raw = await self.cache.get(f"{PREFIX}{guild_id}:gen")
        if raw is not None:
            return raw.decode()
        return await self._new_generation(guild_id)

    async def _new_generation(self, guild_id: int) -> str:
        generation = secrets.token_hex(4)
        await self.cache.set(f"{PREFIX}{guild_id}:gen", generation.encode(), self.ttl * 10)
        return generation

    async def drop(self, guild_id: int) -> None:
        """Forget every cached result of a server (they are keyed under the generation this replaces)."""
        try:
            await self._new_generation(guild_id)
        except Exception as exc:
            log.warning("statistics cache not dropped", guild_id=guild_id, error=repr(exc))
