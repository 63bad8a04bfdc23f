"""The command limiter: the limit holds, keys are independent, windows slide, nothing runs per hit."""

from __future__ import annotations

import asyncio
import random

import limits.aio.storage.memory as limits_memory
import pytest
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from wolaro.core.ratelimit import LoopMemoryStorage, RateLimiter


class Clock:
    """A settable clock, for both our storage and (patched in) the library's."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


async def test_the_limit_holds_and_says_how_long_to_wait() -> None:
    limiter = RateLimiter()
    waits = [await limiter.hit("3/minute", "command", "ping", "42") for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 59.0 < waits[3] <= 60.0
    assert 59.0 < waits[4] <= 60.0


async def test_each_user_and_each_command_has_its_own_count() -> None:
    limiter = RateLimiter()
    for _ in range(2):
        assert await limiter.hit("2/minute", "command", "ping", "1") == 0.0
    assert await limiter.hit("2/minute", "command", "ping", "1") > 0
    assert await limiter.hit("2/minute", "command", "ping", "2") == 0.0
    assert await limiter.hit("2/minute", "command", "balance", "1") == 0.0
    assert await limiter.hit("5/minute", "command", "ping", "1") == 0.0


async def test_the_window_moves_with_time() -> None:
    clock = Clock()
    limiter = MovingWindowRateLimiter(LoopMemoryStorage(clock=clock))
    item = parse("5/5second")
    start = clock.now
    for step in range(5):
        clock.now = start + step
        assert await limiter.hit(item, "u")
    clock.now = start + 4.5
    assert not await limiter.hit(item, "u")
    stats = await limiter.get_window_stats(item, "u")
    assert stats.remaining == 0
    assert stats.reset_time == pytest.approx(start + 5)
    clock.now = start + 5.01  # the hit at `start` left the window: one slot, no more
    assert await limiter.hit(item, "u")
    assert not await limiter.hit(item, "u")
    clock.now = start + 20
    assert (await limiter.get_window_stats(item, "u")).remaining == 5


async def test_a_hit_starts_no_task_and_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library's own async MemoryStorage starts a sweep over all keys, with a thread hand-off each, per hit."""
    handoffs: list[object] = []
    real_to_thread = asyncio.to_thread

    async def counting_to_thread(func: object, /, *args: object, **kwargs: object) -> object:
        handoffs.append(func)
        return await real_to_thread(func, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(asyncio, "to_thread", counting_to_thread)
    limiter = RateLimiter()
    for user in range(50):
        await limiter.hit("5/5second", "command", "ping", str(user))
    before = asyncio.all_tasks()
    assert await limiter.hit("5/5second", "command", "ping", "new") == 0.0
    assert asyncio.all_tasks() == before
    await asyncio.sleep(0.05)
    assert handoffs == []


async def test_idle_keys_are_forgotten_without_a_sweep() -> None:
    clock = Clock()
    storage = LoopMemoryStorage(clock=clock)
    moving = MovingWindowRateLimiter(storage)
    fixed = FixedWindowRateLimiter(storage)
    short, long = parse("2/10second"), parse("2/hour")
    for user in range(1000):
        await moving.hit(short, str(user))
        await fixed.hit(short, str(user))
    await moving.hit(long, "stays")
    assert len(storage) == 2001
    clock.now += 11
    assert await moving.hit(short, "someone")
    assert len(storage) == 2  # the hour-long window and the new one
    clock.now += 3600
    await storage.get("anything")
    assert len(storage) == 0


async def test_fixed_window_counters_work_on_the_same_storage() -> None:
    clock = Clock()
    limiter = FixedWindowRateLimiter(LoopMemoryStorage(clock=clock))
    item = parse("3/10second")
    assert [await limiter.hit(item, "k") for _ in range(4)] == [True, True, True, False]
    stats = await limiter.get_window_stats(item, "k")
    assert stats.remaining == 0
    assert stats.reset_time == pytest.approx(clock.now + 10)
    clock.now += 10
    assert await limiter.hit(item, "k")
    await limiter.clear(item, "k")
    assert (await limiter.get_window_stats(item, "k")).remaining == 3


async def test_same_answers_as_the_librarys_memory_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replay one random stream of hits through both storages on the same clock: every answer matches."""
    clock = Clock()
    monkeypatch.setattr(limits_memory, "time", clock)
    ours = MovingWindowRateLimiter(LoopMemoryStorage(clock=clock))
    theirs = MovingWindowRateLimiter(MemoryStorage())
    items = [parse("3/2second"), parse("5/10second"), parse("1/second")]
    rng = random.Random(7)
    start = clock.now
    for _ in range(600):
        clock.now += rng.choice([0.0, 0.05, 0.3, 0.9, 2.5])
        item = rng.choice(items)
        key = str(rng.randrange(6))
        cost = rng.choice([1, 1, 1, 2])
        assert await ours.hit(item, key, cost=cost) == await theirs.hit(item, key, cost=cost), clock.now - start
        ours_stats = await ours.get_window_stats(item, key)
        theirs_stats = await theirs.get_window_stats(item, key)
        assert ours_stats.remaining == theirs_stats.remaining
        if ours_stats.remaining < item.amount:  # (an empty window's start is `now` here, stale there)
            assert ours_stats.reset_time == pytest.approx(theirs_stats.reset_time)
        await asyncio.sleep(0)  # let the library's sweep run, as it would between commands
