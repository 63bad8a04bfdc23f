"""Cache.claim: one caller of many takes a key for a while (the cooldowns of chat rewards use it)."""

from __future__ import annotations

import asyncio

from wolaro.data.cache import Cache


async def test_claim_is_taken_once_until_it_expires(any_cache: Cache, eventually) -> None:
    assert await any_cache.claim("cooldown:1", 0.2) is True
    assert await any_cache.claim("cooldown:1", 0.2) is False
    assert await any_cache.claim("cooldown:2", 60) is True  # another key is free

    async def free_again() -> bool:
        return await any_cache.claim("cooldown:1", 60)

    await eventually(free_again, timeout=3)
    assert await any_cache.claim("cooldown:1", 60) is False


async def test_concurrent_claims_leave_one_winner(any_cache: Cache) -> None:
    results = await asyncio.gather(*(any_cache.claim("burst", 30) for _ in range(20)))
    assert results.count(True) == 1
