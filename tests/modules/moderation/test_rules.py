"""Moderation rules without Discord: durations, hierarchy, escalation, config validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from wolaro.core.durations import (
    HARD_MAX_DURATION,
    UNITS,
    DurationError,
    DurationProblem,
    format_duration,
    parse_duration,
    split_leading_duration,
)
from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.rules import (
    MAX_TIMEOUT,
    Action,
    Escalation,
    HierarchyProblem,
    Standing,
    check_escalation_steps,
    escalation_for,
    hierarchy_problem,
    page_bounds,
)


# --------------------------------------------------------------------------- durations
@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10m", 600),
        ("2h30m", 9000),
        ("2h 30m", 9000),
        ("1d", 86400),
        ("1w", 604800),
        ("45s", 45),
        ("3 days", 259200),
        ("1 hour 5 minutes", 3900),
        ("1D2H", 93600),
        ("  90sec ", 90),
        ("2wks", 1209600),
    ],
)
def test_parse_duration_accepts_usual_forms(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "   ", "5", "5 parsecs", "parsecs", "10x", "1h foo", "-5m", "1.5h", "m10", "h"])
def test_parse_duration_refuses_nonsense(text):
    with pytest.raises(DurationError) as error:
        parse_duration(text)
    assert error.value.problem is DurationProblem.INVALID


def test_parse_duration_bounds():
    with pytest.raises(DurationError) as error:
        parse_duration("29d", maximum=MAX_TIMEOUT)
    assert error.value.problem is DurationProblem.TOO_LONG and error.value.bound == MAX_TIMEOUT
    assert parse_duration("28d", maximum=MAX_TIMEOUT) == MAX_TIMEOUT
    with pytest.raises(DurationError) as error:
        parse_duration("0s")
    assert error.value.problem is DurationProblem.TOO_SHORT
    assert parse_duration("0s", minimum=timedelta(0)) == timedelta(0)


def test_parse_duration_never_overflows():
    with pytest.raises(DurationError) as error:
        parse_duration("999999999999w")
    assert error.value.problem is DurationProblem.TOO_LONG and error.value.bound == HARD_MAX_DURATION
    with pytest.raises(DurationError):
        parse_duration("9" * 40 + "s")


@given(st.integers(min_value=1, max_value=int(HARD_MAX_DURATION.total_seconds())))
def test_format_then_parse_round_trips(seconds):
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value


@given(st.lists(st.tuples(st.integers(0, 500), st.sampled_from(sorted(UNITS))), min_size=1, max_size=5))
def test_sum_of_pieces(pieces):
    text = "".join(f"{number}{unit}" for number, unit in pieces)
    expected = sum(number * UNITS[unit] for number, unit in pieces)
    if expected == 0:
        with pytest.raises(DurationError):
            parse_duration(text)
    else:
        assert parse_duration(text).total_seconds() == expected


@given(st.text(max_size=30))
def test_parse_duration_only_raises_duration_error(text):
    try:
        value = parse_duration(text)
    except DurationError:
        return
    assert timedelta(seconds=1) <= value <= HARD_MAX_DURATION


def test_format_duration():
    assert format_duration(timedelta(0)) == "0s"
    assert format_duration(timedelta(days=9, hours=3, seconds=5)) == "1w 2d 3h 5s"


@pytest.mark.parametrize(
    ("text", "duration", "rest"),
    [
        ("2h 30m spamming links", "2h 30m", "spamming links"),
        ("5 parsecs", "5 parsecs", ""),
        ("1d 3 spam", "1d", "3 spam"),
        ("10 minutes calm down", "10 minutes", "calm down"),
        ("5 spam", "5 spam", ""),
        ("5", "5", ""),
        ("5 !!", "5", "!!"),
        ("7d", "7d", ""),
        ("  3rd strike", "3rd", "strike"),
    ],
)
def test_split_leading_duration(text, duration, rest):
    assert split_leading_duration(text) == (duration, rest)


# --------------------------------------------------------------------------- hierarchy
OWNER, BOT, MOD, MEMBER, ADMIN = 1, 2, 3, 4, 5
BOT_STANDING = Standing(BOT, 3)


def problem(target_id, target_rank, actor, *, bot_acts=True, bot=BOT_STANDING):
    target = Standing(target_id, target_rank) if target_rank is not None else None
    return hierarchy_problem(
        owner_id=OWNER, bot=bot, target_id=target_id, target=target, actor=actor, bot_acts=bot_acts
    )


def test_nobody_acts_on_the_bot_themselves_or_the_owner():
    mod = Standing(MOD, 2)
    assert problem(BOT, 3, mod) is HierarchyProblem.TARGET_IS_BOT
    assert problem(MOD, 2, mod) is HierarchyProblem.TARGET_IS_SELF
    assert problem(OWNER, 4, mod) is HierarchyProblem.TARGET_IS_OWNER
    assert problem(OWNER, 4, None) is HierarchyProblem.TARGET_IS_OWNER
    assert problem(BOT, 3, None) is HierarchyProblem.TARGET_IS_BOT


def test_actor_must_outrank_the_target_strictly():
    assert problem(MEMBER, 1, Standing(MOD, 2)) is None
    assert problem(MEMBER, 2, Standing(MOD, 2)) is HierarchyProblem.ACTOR_TOO_LOW
    assert problem(ADMIN, 4, Standing(MOD, 2)) is HierarchyProblem.ACTOR_TOO_LOW
    assert problem(ADMIN, 4, Standing(OWNER, 0)) is HierarchyProblem.BOT_TOO_LOW  # the owner may, the bot can't


def test_bot_must_outrank_the_target_when_it_acts():
    assert problem(MEMBER, 3, None) is HierarchyProblem.BOT_TOO_LOW
    assert problem(MEMBER, 3, None, bot_acts=False) is None  # a warning: the bot does nothing to them
    assert problem(MEMBER, 2, None) is None
    assert problem(MEMBER, 9, None, bot=Standing(OWNER, 0)) is None  # a bot that owns the guild


def test_non_members_are_only_checked_for_identity():
    assert problem(MEMBER, None, Standing(MOD, 1)) is None
    assert problem(MOD, None, Standing(MOD, 1)) is HierarchyProblem.TARGET_IS_SELF


@given(st.integers(0, 10), st.integers(0, 10), st.integers(0, 10))
def test_hierarchy_is_a_strict_order(actor_rank, target_rank, bot_rank):
    found = problem(MEMBER, target_rank, Standing(MOD, actor_rank), bot=Standing(BOT, bot_rank))
    if actor_rank <= target_rank:
        assert found is HierarchyProblem.ACTOR_TOO_LOW
    elif bot_rank <= target_rank:
        assert found is HierarchyProblem.BOT_TOO_LOW
    else:
        assert found is None


# --------------------------------------------------------------------------- escalation
STEPS = [Escalation(3, Action.TIMEOUT, timedelta(hours=1)), Escalation(5, Action.BAN)]


@pytest.mark.parametrize(
    ("count", "expected"), [(1, None), (2, None), (3, STEPS[0]), (4, None), (5, STEPS[1]), (6, None)]
)
def test_escalation_triggers_exactly_at_its_count(count, expected):
    assert escalation_for(STEPS, count) == expected


def test_escalation_steps_are_checked():
    check_escalation_steps(STEPS)
    with pytest.raises(ValueError, match="two steps"):
        check_escalation_steps([*STEPS, Escalation(3, Action.KICK)])
    with pytest.raises(ValueError, match="needs a duration"):
        check_escalation_steps([Escalation(2, Action.TIMEOUT)])
    with pytest.raises(ValueError, match="28 days"):
        check_escalation_steps([Escalation(2, Action.TIMEOUT, timedelta(days=29))])
    with pytest.raises(ValueError, match="no duration"):
        check_escalation_steps([Escalation(2, Action.KICK, timedelta(hours=1))])
    with pytest.raises(ValueError, match="cannot be"):
        check_escalation_steps([Escalation(2, Action.NOTE)])


def test_config_validates_and_sorts_escalation():
    config = Config.model_validate(
        {
            "escalation": [{"warns": 5, "action": "ban"}, {"warns": 3, "action": "timeout", "duration": "1h"}],
            "warn_expiry": "30d",
        }
    )
    assert config.escalation_rules() == STEPS
    assert config.warn_lifetime() == timedelta(days=30)
    assert Config().warn_lifetime() is None and Config().escalation_rules() == []


@pytest.mark.parametrize(
    "value",
    [
        {"escalation": [{"warns": 3, "action": "timeout"}]},
        {"escalation": [{"warns": 3, "action": "explode"}]},
        {"escalation": [{"warns": 0, "action": "kick"}]},
        {"escalation": [{"warns": 3, "action": "timeout", "duration": "5 parsecs"}]},
        {"escalation": [{"warns": 3, "action": "kick"}, {"warns": 3, "action": "ban"}]},
        {"escalation": [{"warns": 3, "action": "kick", "extra": 1}]},
        {"warn_expiry": "forever"},
        {"no_such_setting": 1},
    ],
)
def test_config_refuses_bad_values(value):
    with pytest.raises(ValidationError):
        Config.model_validate(value)


def test_page_bounds():
    assert page_bounds(0, 0, 5) == (0, 0, 1)
    assert page_bounds(11, 1, 5) == (1, 5, 3)
    assert page_bounds(11, 7, 5) == (2, 10, 3)
    assert page_bounds(11, -1, 5) == (0, 0, 3)
