"""Anti-raid and automod state shared by several bot processes: counters in Redis, raid mode in the database.

Each "process" here has its own Redis cache client, its own Redis pub/sub connection and its own cached view of
raid states, as two `wolaro bot` processes would; they share the Redis server and the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
import pytest_asyncio

from wolaro.data.cache import RedisCache
from wolaro.data.database import Database
from wolaro.data.models import utcnow
from wolaro.data.pubsub import RedisPubSub
from wolaro.jobs.scheduler import JobScheduler
from wolaro.modules.antiraid import service, state
from wolaro.modules.automod.service import spam_key

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

GUILD = 424242


@pytest_asyncio.fixture
async def two_caches(redis_url: str, redis_prefix: str) -> AsyncIterator[tuple[RedisCache, RedisCache]]:
    first, second = RedisCache(redis_url, prefix=redis_prefix), RedisCache(redis_url, prefix=redis_prefix)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_two_processes_count_one_guilds_joins(two_caches):
    first, second = two_caches
    counts = []
    for n in range(11):  # joins of one guild arrive at either process
        cache = first if n % 2 else second
        counts.append(await state.count_join(cache, GUILD, 10.0))
    assert counts == list(range(1, 12))
    assert service.is_spike(counts[-1], 10) and not service.is_spike(counts[-2], 10)
    assert await state.count_join(first, GUILD + 1, 10.0) == 1  # another guild counts apart


async def test_two_processes_share_one_members_spam_counter(two_caches):
    first, second = two_caches
    key = spam_key(GUILD, 7)
    counts = [await (first if n % 2 else second).window_hit(key, 5.0, limit_members=6) for n in range(8)]
    assert counts == [1, 2, 3, 4, 5, 6, 6, 6]  # saturates above the limit: the rule keeps catching


async def test_join_window_slides(two_caches):
    first, second = two_caches
    assert await state.count_join(first, GUILD, 0.2) == 1
    assert await state.count_join(second, GUILD, 0.2) == 2
    await asyncio.sleep(0.3)
    assert await state.count_join(first, GUILD, 0.2) == 1


def _process(db: Database, redis_url: str, prefix: str) -> SimpleNamespace:
    services = SimpleNamespace(
        db=db,
        cache=RedisCache(redis_url, prefix=prefix),
        pubsub=RedisPubSub(redis_url, prefix=prefix, reconnect_max=0.5),
        jobs=JobScheduler(db),
    )
    services.states = state.RaidStates(services)  # type: ignore[arg-type]
    return services


async def test_raid_mode_started_by_one_process_is_seen_by_the_other(migrated_db, redis_url, redis_prefix, eventually):
    one, two = _process(migrated_db, redis_url, redis_prefix), _process(migrated_db, redis_url, redis_prefix)
    for process in (one, two):
        process.states.attach()
        await process.pubsub.start()
        assert await process.pubsub.wait_subscribed()
    try:
        assert not (await two.states.get(GUILD)).active  # process two has it cached as off
        ends_at = service.first_end(utcnow(), 60)

        async def start(process):
            return await state.start(
                process,
                GUILD,
                manual=False,
                started_by=None,
                ends_at=ends_at,
                joins=11,
                previous_level=1,
                raised_level=3,
                locks={"5": {"denied": 2048, "unallowed": 0, "existed": False}},
            )

        results = await asyncio.gather(*(start(p) for p in (one, two, one, two)))
        assert sum(r is not None for r in results) == 1  # exactly one process starts raid mode

        async def two_sees(active: bool) -> bool:
            return (await two.states.get(GUILD)).active is active

        await eventually(lambda: two_sees(True))
        jobs = await one.jobs.pending(guild_id=GUILD)
        assert [(j.kind, j.dedupe_key) for j in jobs] == [(service.END_JOB, service.end_job_key(GUILD))]

        later = ends_at + timedelta(seconds=30)
        extended = await state.extend(two, GUILD, join_at=utcnow(), ends_at=later)
        assert extended is not None and extended.ends_at == later
        jobs = await one.jobs.pending(guild_id=GUILD)
        assert len(jobs) == 1 and jobs[0].run_at == later  # rescheduled, not duplicated

        assert await state.finish(one, GUILD, force=False, actor_id=None) is None  # not due yet
        ended = await state.finish(one, GUILD, force=True, actor_id=99)
        assert ended is not None and ended.raised_verification_level == 3 and ended.locked_channels
        await eventually(lambda: two_sees(False))
        assert not await one.jobs.pending(guild_id=GUILD)  # a manual end cancels the scheduled one
        assert (await state.load(one, GUILD)).restore_pending
        await state.mark_restored(two, GUILD)
        assert not (await state.load(one, GUILD)).restore_pending
    finally:
        for process in (one, two):
            process.states.detach()
            await process.pubsub.close()
            await process.cache.close()
