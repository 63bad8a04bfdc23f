"""The cooldown between bot processes: on Redis, a member's rewarded message is claimed in the shared cache, so
several processes receiving the same member's burst pay them once per cooldown (and on memory, each process alone)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from wolaro.core.chat import ChatMessage
from wolaro.core.config_service import GuildConfig
from wolaro.data.cache import RedisCache
from wolaro.modules.leveling.config import Config
from wolaro.modules.leveling.engine import LevelingEngine

pytestmark = pytest.mark.redis


def engine(cache: Any, redis_url: str | None) -> LevelingEngine:
    """A leveling engine as a bot process holds it (no Discord: its message handler and buffer)."""
    bot = SimpleNamespace(settings=SimpleNamespace(redis_url=redis_url), services=SimpleNamespace(cache=cache))
    made = LevelingEngine.__new__(LevelingEngine)
    LevelingEngine.__init__(made, bot)
    return made


def message(author_id: int) -> ChatMessage:
    payload = {"id": "1", "channel_id": "5", "author": {"id": str(author_id), "username": "Ada"}}
    return ChatMessage(payload, 1, SimpleNamespace(id=5, category_id=None))


async def test_four_processes_pay_a_burst_once_per_cooldown(redis_url: str, redis_prefix: str) -> None:
    caches = [RedisCache(redis_url, prefix=redis_prefix) for _ in range(4)]  # one connection pool per process
    try:
        processes = [engine(cache, redis_url) for cache in caches]
        settings = Config(xp_min=10, xp_max=10, cooldown_seconds=60).model_dump(mode="json")
        config = GuildConfig(guild_id=1, enabled_modules=frozenset({"leveling"}), module_configs={"leveling": settings})
        for _ in range(10):
            for p in processes:
                p.on_guild_chat(config, message(42))
        processes[0].on_guild_chat(config, message(43))
        await asyncio.gather(*(task for p in processes for task in p._followups))  # the claims in Redis
        assert sum(p.buffer.peek((1, 42)) for p in processes) == 10
        assert sum(p.buffer.peek((1, 43)) for p in processes) == 10
    finally:
        for cache in caches:
            await cache.close()
