"""The economy's invariant as a hypothesis property on SQLite: whatever members do, in whatever order or overlap,
every server's balances equal its ledger, no balance is negative, and a refused action changes nothing.

The service functions are called directly (no Discord); operations run in concurrent batches on one database.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import run_sync
from wolaro.core.services import upgrade_schema_async
from wolaro.data.database import Database
from wolaro.modules.economy import bank, games, ledger, rewards, shop
from wolaro.modules.economy.config import Config
from wolaro.modules.economy.models import EconomyAccount, EconomyLedger
from wolaro.sdk import UserFacingError

MEMBERS = [101, 102, 103, 104, 105]
ADMIN = 999
CONFIG = Config(max_balance=50_000, daily_amount=300, weekly_amount=2_000, min_bet=1, max_bet=5_000)
_guilds = itertools.count(1)

member = st.sampled_from(MEMBERS)
amount_text = st.one_of(
    st.integers(min_value=1, max_value=3_000).map(str),
    st.integers(min_value=1, max_value=3_000).map(str),
    st.integers(min_value=-50, max_value=60_000).map(str),
    st.sampled_from(["all", "half", "1k", "2.5k", "0", "abc", "-5", "1.5"]),
)
operation = st.one_of(
    st.tuples(st.just("pay"), member, member, amount_text),
    st.tuples(st.just("pay"), member, member, st.integers(min_value=1, max_value=1_500).map(str)),
    st.tuples(st.just("pay"), member, member, st.integers(min_value=1, max_value=1_500).map(str)),
    st.tuples(st.just("deposit"), member, amount_text),
    st.tuples(st.just("withdraw"), member, amount_text),
    st.tuples(st.just("give"), member, st.integers(min_value=1, max_value=40_000)),
    st.tuples(st.just("take"), member, amount_text),
    st.tuples(st.just("reset"), member),
    st.tuples(st.just("claim"), member, st.sampled_from(["daily", "weekly", "work"])),
    st.tuples(st.just("game"), member, amount_text, st.sampled_from(["coinflip", "slots"])),
    st.tuples(st.just("buy"), member, st.integers(min_value=1, max_value=3)),
    st.tuples(st.just("use"), member),
)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('economy') / 'economy.db'}"
    run_sync(lambda: upgrade_schema_async(url))
    return url


async def _run(db: Database, guild: int, op: tuple, rng: random.Random, now: datetime) -> None:
    kind = op[0]
    if kind == "pay":
        await bank.pay(db, guild, op[1], op[2], op[3], max_total=CONFIG.max_balance)
    elif kind == "deposit":
        await bank.deposit(db, guild, op[1], op[2])
    elif kind == "withdraw":
        await bank.withdraw(db, guild, op[1], op[2])
    elif kind == "give":
        await bank.give(db, guild, ADMIN, op[1], op[2], max_total=CONFIG.max_balance)
    elif kind == "take":
        await bank.take(db, guild, ADMIN, op[1], op[2])
    elif kind == "reset":
        await bank.reset(db, guild, ADMIN, op[1])
    elif kind == "claim":
        await rewards.claim(db, guild, op[1], op[2], CONFIG, now, rng)
    elif kind == "game":
        play = (
            (lambda bet: games.coinflip(bet, "heads", 3.0, rng))
            if op[3] == "coinflip"
            else (lambda bet: games.slots(bet, 3.0, rng))
        )
        await rewards.gamble(db, guild, op[1], op[2], CONFIG, op[3], play)
    elif kind == "buy":
        await shop.buy(db, guild, op[1], "Cookie", op[2])
    else:
        await shop.use(db, guild, op[1], "Cookie")


async def _scenario(url: str, guild: int, batches: list[list[tuple]], seed: int) -> None:
    db = Database(url)
    rng = random.Random(seed)
    try:
        await shop.save_item(db, guild, ADMIN, {"name": "Cookie", "price": 150, "use_message": "Yum"}, None)
        for user in MEMBERS[:3]:
            await bank.give(db, guild, ADMIN, user, 5_000, max_total=CONFIG.max_balance)
        now = datetime(2026, 12, 5, tzinfo=UTC)
        for batch in batches:
            results = await asyncio.gather(*(_run(db, guild, op, rng, now) for op in batch), return_exceptions=True)
            for result in results:
                assert result is None or isinstance(result, UserFacingError), repr(result)
            now += timedelta(hours=13)
        async with db.session() as session:
            sums = await ledger.sums(session, guild)
            assert sums.consistent, sums
            per_user = dict(
                (
                    await session.execute(
                        select(EconomyLedger.user_id, func.sum(EconomyLedger.wallet_delta + EconomyLedger.bank_delta))
                        .where(EconomyLedger.guild_id == guild)
                        .group_by(EconomyLedger.user_id)
                    )
                ).all()
            )
            accounts = (await session.scalars(select(EconomyAccount).where(EconomyAccount.guild_id == guild))).all()
            for account in accounts:
                assert account.wallet >= 0 and account.bank >= 0
                assert account.total == account.wallet + account.bank
                assert per_user.get(account.user_id, 0) == account.total
                assert account.total <= CONFIG.max_balance
    finally:
        await db.dispose()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(st.lists(operation, min_size=1, max_size=6), min_size=1, max_size=6),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_balances_always_equal_the_ledger(db_url, batches, seed):
    run_sync(lambda: _scenario(db_url, next(_guilds), batches, seed))
