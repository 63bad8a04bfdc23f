"""Earning money: daily (with a streak bonus), weekly, work with a rest between shifts, the games, level-up rewards.

A claim is paid once: the UPDATE that pays it also stamps the claim's time and only matches while the last claim
is old enough (`WHERE daily_at IS NULL OR daily_at <= now - 1 day`). Two claims at the same moment, from one
process or two, both run that statement; PostgreSQL makes the second wait for the first's row lock and then finds
the condition false, SQLite runs them one after the other. Exactly one is paid.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from wolaro.modules.economy import games, ledger
from wolaro.modules.economy.amounts import format_amount, parse_amount
from wolaro.modules.economy.config import Config
from wolaro.modules.economy.ledger import Balance, Move
from wolaro.modules.economy.models import EconomyAccount
from wolaro.sdk import Database, UserFacingError

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
STREAK_KEPT = timedelta(days=2)
"""A daily claim within this time of the previous one continues the streak."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A paid reward: how much, the streak it continues (daily), and the balance after."""

    amount: int
    streak: int
    balance: Balance


def daily_pay(config: Config, previous: datetime | None, streak: int, now: datetime) -> tuple[int, int]:
    """The daily reward and the new streak: one more day if the last claim was under two days ago, else 1."""
    new_streak = streak + 1 if previous is not None and now - previous < STREAK_KEPT else 1
    bonus_days = min(new_streak - 1, config.daily_streak_max)
    return config.daily_amount + config.daily_streak_bonus * bonus_days, new_streak


def wait_text(remaining: timedelta) -> str:
    """A wait as people say it: `5 h 3 min`, `12 min`, `40 s`."""
    seconds = max(1, int(remaining.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    shown = " ".join(p for p in parts if p)
    return shown or f"{secs} s"


async def claim(
    db: Database, guild_id: int, user_id: int, kind: str, config: Config, now: datetime, rng: random.Random
) -> Claim:
    """Pay `kind` ("daily", "weekly" or "work") once per its cooldown; `UserFacingError` says when to come back."""
    column: Any = {
        "daily": EconomyAccount.daily_at,
        "weekly": EconomyAccount.weekly_at,
        "work": EconomyAccount.work_at,
    }[kind]
    cooldown = {"daily": DAY, "weekly": WEEK, "work": timedelta(minutes=config.work_cooldown_minutes)}[kind]
    async with db.transaction() as session:
        await ledger.ensure_accounts(session, guild_id, (user_id,))
        row = await ledger.read(session, guild_id, user_id)
        assert row is not None
        last = getattr(row, column.key)
        if last is not None and now - last < cooldown:
            raise UserFacingError("Come back in {wait}.", wait=wait_text(last + cooldown - now))
        streak = row.daily_streak
        also_set: dict[str, Any] = {column.key: now}
        if kind == "daily":
            amount, streak = daily_pay(config, last, row.daily_streak, now)
            also_set["daily_streak"] = streak
        elif kind == "weekly":
            amount = config.weekly_amount
        else:
            amount = rng.randint(config.work_min, config.work_max)
        move = Move(user_id, kind, wallet=amount)
        paid = await ledger.apply(
            session,
            guild_id,
            move,
            max_total=config.max_balance,
            where=[(column.is_(None)) | (column <= now - cooldown)],
            also_set=also_set,
        )
        if not paid:
            await _refusal(session, guild_id, user_id, column.key, cooldown, now, config)
        return Claim(amount, streak, await ledger.balance_in(session, guild_id, user_id))


async def _refusal(
    session: Any, guild_id: int, user_id: int, key: str, cooldown: timedelta, now: datetime, config: Config
) -> None:
    row = await ledger.read(session, guild_id, user_id)
    last = getattr(row, key) if row is not None else None
    if last is not None and now - last < cooldown:  # claimed a moment ago, by another command or process
        raise UserFacingError("Come back in {wait}.", wait=wait_text(last + cooldown - now))
    raise UserFacingError(
        "You cannot hold more than {limit} here: spend some first.", limit=format_amount(config.max_balance)
    )


@dataclass(frozen=True, slots=True)
class Played:
    """A finished game: what came up, the bet, the payout and the balance after."""

    shown: str
    bet: int
    payout: int
    balance: Balance


async def gamble(db: Database, guild_id: int, user_id: int, text: str, config: Config, kind: str, play: Any) -> Played:
    """Bet an amount from the wallet on `play(bet) -> games.Outcome`; the bet and the payout settle together.

    A win that would pass the server's maximum balance is paid up to the maximum.
    """
    async with db.transaction() as session:
        before = await ledger.balance_in(session, guild_id, user_id, lock=True)
        bet = parse_amount(text, available=min(before.wallet, config.max_bet))
        if bet > before.wallet:
            raise UserFacingError("You only have {wallet} in your wallet.", wallet=format_amount(before.wallet))
        if bet < config.min_bet or bet > config.max_bet:
            raise UserFacingError(
                "Bets here are from {low} to {high}.",
                low=format_amount(config.min_bet),
                high=format_amount(config.max_bet),
            )
        outcome: games.Outcome = play(bet)
        payout = min(outcome.payout, max(0, config.max_balance - before.total + bet))
        move = Move(user_id, kind, wallet=payout - bet)
        if not await ledger.apply(session, guild_id, move, max_total=None):
            raise UserFacingError("You only have {wallet} in your wallet.", wallet=format_amount(before.wallet))
        return Played(outcome.shown, bet, payout, Balance(before.wallet - bet + payout, before.bank))


async def credit(db: Database, guild_id: int, user_id: int, amount: int, kind: str, config: Config) -> bool:
    """Pay a reward (a level gained) up to the maximum balance; whether anything was paid."""
    async with db.transaction() as session:
        await ledger.ensure_accounts(session, guild_id, (user_id,))
        before = await ledger.balance_in(session, guild_id, user_id, lock=True)
        amount = min(amount, config.max_balance - before.total)
        if amount <= 0:
            return False
        return await ledger.apply(session, guild_id, Move(user_id, kind, wallet=amount), max_total=config.max_balance)


def rng_for_games() -> random.Random:
    """The games' source of randomness (the operating system's)."""
    return random.SystemRandom()
