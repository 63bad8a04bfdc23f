"""The identify gate: every process takes its bucket's turn through the shared cache; the budget is respected."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import REGISTRY

from wolaro.core.identify import IDENTIFY_SPACING_S, IdentifyGate, bucket_of
from wolaro.data.cache import MemoryCache


class FakeTime:
    """A clock for the cache and the gate's sleeps: sleeping moves time forward."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def limits(remaining: int = 100, max_concurrency: int = 1) -> Any:
    async def fetch() -> dict[str, Any]:
        return {"total": 1000, "remaining": remaining, "reset_after": 5000, "max_concurrency": max_concurrency}

    return fetch


def test_buckets_follow_discord() -> None:
    assert [bucket_of(shard, 16) for shard in (0, 15, 16, 33)] == [0, 15, 0, 1]
    assert bucket_of(7, 1) == 0


async def test_two_processes_sharing_the_cache_identify_5_s_apart() -> None:
    clock = FakeTime()
    shared = MemoryCache(clock=clock)
    first = IdentifyGate(shared, limits(), sleep=clock.sleep)
    second = IdentifyGate(shared, limits(), sleep=clock.sleep)
    await first.wait(0)
    assert clock.slept == 0
    await second.wait(1)  # max_concurrency 1: the same bucket, so it waits for the first's 5 s
    assert IDENTIFY_SPACING_S <= clock.slept < IDENTIFY_SPACING_S + 0.5


async def test_other_buckets_do_not_wait() -> None:
    clock = FakeTime()
    shared = MemoryCache(clock=clock)
    gate = IdentifyGate(shared, limits(max_concurrency=4), sleep=clock.sleep)
    for shard in range(4):
        await gate.wait(shard)
    assert clock.slept == 0


async def test_a_spent_budget_waits_for_its_reset() -> None:
    clock = FakeTime()
    answers = iter([0, 0, 5])

    async def fetch() -> dict[str, Any]:
        return {"total": 1000, "remaining": next(answers), "reset_after": 5000, "max_concurrency": 1}

    gate = IdentifyGate(MemoryCache(clock=clock), fetch, sleep=clock.sleep)
    await gate.wait(0)
    assert clock.slept == 10.0  # two resets of 5 s before the budget had room
    assert gate.limits is not None and gate.limits["remaining"] == 4


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_each_wait_is_observed_and_the_budget_left_is_shown() -> None:
    clock = FakeTime()
    shared = MemoryCache(clock=clock)
    first = IdentifyGate(shared, limits(remaining=40), sleep=clock.sleep, clock=clock)
    second = IdentifyGate(shared, limits(remaining=40), sleep=clock.sleep, clock=clock)
    count, total = sample("wolaro_identify_wait_seconds_count"), sample("wolaro_identify_wait_seconds_sum")
    fetched_at = time.time()
    at_once = sample("wolaro_identify_wait_seconds_bucket", le="0.1")
    await first.wait(0)
    assert sample("wolaro_identify_session_start_limit") == 1000
    assert sample("wolaro_identify_session_starts_remaining") == 39
    assert sample("wolaro_identify_session_starts_reset_timestamp_seconds") >= fetched_at + 5  # reset_after 5000 ms
    await second.wait(1)  # the same bucket: it waits for the first's turn to pass
    assert sample("wolaro_identify_wait_seconds_count") == count + 2
    assert sample("wolaro_identify_wait_seconds_sum") - total == clock.slept
    assert clock.slept >= IDENTIFY_SPACING_S
    assert sample("wolaro_identify_session_starts_remaining") == 39  # each process counts its own down
    assert sample("wolaro_identify_wait_seconds_bucket", le="0.1") == at_once + 1  # only the first went at once


async def test_a_spent_budget_shows_zero_left() -> None:
    clock = FakeTime()
    answers = iter([0, 3])

    async def fetch() -> dict[str, Any]:
        return {"total": 1000, "remaining": next(answers), "reset_after": 5000, "max_concurrency": 1}

    seen: list[float] = []

    async def sleep(seconds: float) -> None:  # while it waits for the reset, the gauge says why
        seen.append(sample("wolaro_identify_session_starts_remaining"))
        await clock.sleep(seconds)

    gate = IdentifyGate(MemoryCache(clock=clock), fetch, sleep=sleep, clock=clock)
    await gate.wait(0)
    assert seen == [0]
    assert sample("wolaro_identify_session_starts_remaining") == 2
