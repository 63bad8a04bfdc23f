"""Ticket numbers and limits on both databases with many processes: concurrent openings over separate connection
pools get 1..N once each per guild, a member's limit holds under a burst of clicks, and claims have one winner."""

from __future__ import annotations

import asyncio

import pytest

from wolaro.core.services import upgrade_schema_async as upgrade_async
from wolaro.data.database import Database
from wolaro.modules.tickets import store

pytestmark = pytest.mark.timeout(120)
GUILD_A, GUILD_B = 1001, 1002


async def test_numbers_are_sequential_per_guild_across_processes(database_url):
    await upgrade_async(database_url)
    pools = [Database(database_url, pool_size=5, max_overflow=0) for _ in range(4)]  # four "processes"

    async def opening(index: int, guild: int) -> int:
        ticket = await store.open_ticket(
            pools[index % 4], guild_id=guild, category="help", opener_id=100 + index, answers=[], limit=1
        )
        return ticket.number

    try:
        numbers_a, numbers_b = await asyncio.gather(
            asyncio.gather(*(opening(i, GUILD_A) for i in range(30))),
            asyncio.gather(*(opening(i, GUILD_B) for i in range(12))),
        )
        assert sorted(numbers_a) == list(range(1, 31))
        assert sorted(numbers_b) == list(range(1, 13))

        burst = await asyncio.gather(
            *(
                store.open_ticket(pools[i % 4], guild_id=GUILD_A, category="help", opener_id=7, answers=[], limit=2)
                for i in range(8)
            ),
            return_exceptions=True,
        )
        opened = [t for t in burst if not isinstance(t, BaseException)]
        refused = [e for e in burst if isinstance(e, store.LimitReached)]
        assert len(opened) == 2 and len(refused) == 6  # one member's burst of clicks: the limit holds

        ticket = opened[0]
        wins = await asyncio.gather(*(store.claim(pools[i % 4], ticket.id, 500 + i) for i in range(6)))
        assert wins.count(True) == 1
        closes = await asyncio.gather(
            *(
                store.close(pools[i % 4], ticket.id, closed_by=1, reason=None, guild_id=GUILD_A, number=ticket.number)
                for i in range(4)
            )
        )
        assert closes.count(True) == 1
    finally:
        for pool in pools:
            await pool.dispose()
