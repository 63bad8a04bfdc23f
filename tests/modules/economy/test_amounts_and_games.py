"""Amount parsing and the games' odds, as plain functions (no Discord, no database)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from wolaro.modules.economy import games
from wolaro.modules.economy.amounts import BIGINT_MAX, format_amount, parse_amount
from wolaro.modules.economy.config import Config
from wolaro.modules.economy.rewards import daily_pay, wait_text
from wolaro.sdk import UserFacingError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000", 1000),
        ("1,000", 1000),
        (" 1k ", 1000),
        ("1K", 1000),
        ("2.5m", 2_500_000),
        ("0.5k", 500),
        ("1b", 1_000_000_000),
        ("+7", 7),
        ("all", 1234),
        ("half", 617),
        ("ALL", 1234),
    ],
)
def test_amounts_people_type(text, expected):
    assert parse_amount(text, available=1234) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "more than zero"),
        ("0k", "more than zero"),
        ("-5", "must be positive"),
        ("-1k", "must be positive"),
        ("abc", "is not an amount"),
        ("", "is not an amount"),
        ("1.5", "whole coins"),
        ("1.0001k", "whole coins"),
        ("5kk", "is not an amount"),
        ("1e9", "is not an amount"),
        ("nan", "is not an amount"),
        ("99999999999999999999", "too much"),
        ("9223372036854775808", "too much"),
        ("10000000000b", "too much"),
    ],
)
def test_refusals_say_why(text, message):
    with pytest.raises(UserFacingError) as refused:
        parse_amount(text, available=100)
    assert message in str(refused.value)


def test_all_and_half_need_something_to_use():
    with pytest.raises(UserFacingError, match="nothing to use"):
        parse_amount("all", available=0)
    with pytest.raises(UserFacingError, match="nothing to use"):
        parse_amount("half", available=1)
    with pytest.raises(UserFacingError, match="not `all`"):
        parse_amount("all")
    assert parse_amount(str(BIGINT_MAX)) == BIGINT_MAX
    with pytest.raises(UserFacingError, match="at most 500"):
        parse_amount("501", limit=500)
    assert format_amount(1234567) == "1,234,567"


@given(st.integers(min_value=1, max_value=BIGINT_MAX))
def test_every_written_amount_reads_back(value):
    assert parse_amount(str(value)) == value
    assert parse_amount(format_amount(value)) == value


@given(st.text(max_size=40))
def test_any_text_is_an_amount_in_range_or_a_clear_refusal(text):
    try:
        value = parse_amount(text, available=10**6)
    except UserFacingError as refused:
        assert refused.msgid  # a catalog message, never a Python error
    else:
        assert 1 <= value <= BIGINT_MAX


@pytest.mark.parametrize("edge", [0.0, 3.0, 12.5, 50.0])
def test_slots_keep_exactly_the_house_edge(edge):
    assert games.slots_return(edge) == 1 - Fraction(str(edge)) / 100
    assert games.base_return() > 0


def test_coinflip_pays_twice_less_the_edge():
    rng = random.Random(7)
    outcomes = [games.coinflip(1000, "heads", 3.0, rng) for _ in range(200)]
    assert {o.payout for o in outcomes} == {0, 1940}
    assert {o.shown for o in outcomes} == {"heads", "tails"}
    assert all((o.payout > 0) == (o.shown == "heads") for o in outcomes)
    assert games.coinflip(1000, "tails", 0.0, random.Random(1)).payout in (0, 2000)


def test_slots_pay_by_the_paytable():
    rng = random.Random(3)
    spins = [games.slots(100, 3.0, rng) for _ in range(500)]
    assert all(len(s.shown.split()) == 3 for s in spins)
    jackpot = games.slots_multiplier(("💎", "💎", "💎"), 3.0)
    for spin in spins:
        assert spin.payout == int(100 * games.slots_multiplier(tuple(spin.shown.split()), 3.0))
    assert games.top_multiplier(3.0) == jackpot > 10


def test_daily_streak_grows_within_two_days_and_is_capped():
    config = Config(daily_amount=100, daily_streak_bonus=10, daily_streak_max=3)
    now = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert daily_pay(config, None, 0, now) == (100, 1)
    assert daily_pay(config, now - timedelta(hours=25), 1, now) == (110, 2)
    assert daily_pay(config, now - timedelta(hours=47), 5, now) == (130, 6)
    assert daily_pay(config, now - timedelta(hours=49), 5, now) == (100, 1)


def test_waits_read_like_people_say_them():
    assert wait_text(timedelta(hours=5, minutes=3, seconds=9)) == "5 h 3 min"
    assert wait_text(timedelta(seconds=40)) == "40 s"
    assert wait_text(timedelta(days=6, hours=2)) == "6 d 2 h"


def test_config_bounds_and_ranges():
    assert Config().money(1500) == "🪙 1,500 coins"
    assert Config(currency_symbol="").money(2) == "2 coins"
    with pytest.raises(ValidationError):
        Config(work_min=10, work_max=5)
    with pytest.raises(ValidationError):
        Config(min_bet=10, max_bet=5)
    with pytest.raises(ValidationError):
        Config(house_edge_percent=60)
    for name, field in Config.model_fields.items():
        assert field.title and field.description, name
