"""The giveaway store on SQLite and PostgreSQL: many processes racing to end one giveaway draw once."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from wolaro.data.database import Database
from wolaro.jobs import JobScheduler
from wolaro.modules.giveaways import service, store
from wolaro.modules.giveaways.service import Entrant, Refusal, Requirements

GUILD = 1058897343283200000


async def _giveaway(db: Database, entrants: int, winners: int) -> int:
    number = await store.create(
        db,
        JobScheduler(db),
        guild_id=GUILD,
        channel_id=2,
        host_id=3,
        prize="A prize",
        winners=winners,
        ends_at=datetime.now(UTC) + timedelta(hours=1),
        requirements=Requirements(),
    )
    for user in range(100, 100 + entrants):
        outcome, _ = await store.toggle(db, GUILD, number, user, may_enter=True)
        assert outcome is store.Entry.ENTERED
    return number


async def test_eight_processes_ending_at_once_draw_exactly_once(migrated_db, database_url):
    number = await _giveaway(migrated_db, entrants=30, winners=3)
    others = [Database(database_url, pool_size=2, max_overflow=0) for _ in range(8)]  # one pool per "process"
    try:
        now = datetime.now(UTC)
        results = await asyncio.gather(*(store.claim_end(db, GUILD, number, now) for db in others))
    finally:
        for db in others:
            await db.dispose()
    drawn = [r for r in results if r is not None]
    assert len(drawn) == 1 and len(drawn[0]) == 3
    assert sorted(await store.winners_of(migrated_db, number, 1)) == sorted(drawn[0])
    assert (await store.get(migrated_db, GUILD, number)).ended_at is not None  # type: ignore[union-attr]


async def test_rerolls_never_pick_a_winner_twice_and_run_out(migrated_db):
    number = await _giveaway(migrated_db, entrants=4, winners=2)
    first = await store.claim_end(migrated_db, GUILD, number, datetime.now(UTC))
    assert first is not None and len(first) == 2
    assert await store.claim_end(migrated_db, GUILD, number, datetime.now(UTC)) is None
    round2, second = await store.reroll(migrated_db, GUILD, number, 5)  # type: ignore[misc]
    assert round2 == 2 and sorted(second + first) == [100, 101, 102, 103]
    assert await store.reroll(migrated_db, GUILD, number, 1) == (3, [])
    outcome = await store.toggle(migrated_db, GUILD, number, 999, may_enter=True)
    assert outcome == (store.Entry.ENDED, 0)


def test_requirements_name_the_first_one_missed():
    now = datetime(2026, 1, 31, tzinfo=UTC)
    young = Entrant(role_ids=[7], account_created=now - timedelta(days=2), joined_at=now - timedelta(days=1))
    old = Entrant(role_ids=[7], account_created=now - timedelta(days=400), joined_at=now - timedelta(days=40))
    assert service.refusal(Requirements(), young, now) is None
    assert service.refusal(Requirements(role_id=8), old, now) is Refusal.ROLE
    assert service.refusal(Requirements(role_id=7, min_account_days=30), young, now) is Refusal.ACCOUNT_AGE
    assert service.refusal(Requirements(min_account_days=30, min_member_days=30), old, now) is None
    assert service.refusal(Requirements(min_member_days=30), young, now) is Refusal.MEMBER_AGE
    assert service.refusal(Requirements(min_level=5), old, now) is Refusal.LEVEL  # no level known: refused
    assert service.refusal(Requirements(min_level=5), Entrant([], now, now, level=5), now) is None


def test_draw_picks_distinct_entrants_and_all_of_them_when_few():
    rng = random.Random(4)
    assert sorted(service.draw([1, 2, 3], 5, rng=rng)) == [1, 2, 3]
    picked = service.draw(list(range(50)), 10, rng=rng)
    assert len(set(picked)) == 10 and set(picked) <= set(range(50))
    assert service.draw([], 3) == []
    assert service.giveaway_of_custom_id(service.enter_custom_id(42)) == 42
    assert service.giveaway_of_custom_id("giveaways:enter:x") is None
    assert service.giveaway_of_custom_id("tickets:open") is None
