"""Anti-raid decisions as pure functions: spikes, account age, when raid mode ends, channel lock arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from wolaro.modules.antiraid import service
from wolaro.modules.antiraid.config import Config, JoinerAction

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BITS = st.integers(min_value=0, max_value=(1 << 50) - 1)


def test_defaults_follow_the_seed_and_are_gentle():
    config = Config()
    assert (config.join_threshold, config.join_window_seconds) == (10, 10.0)
    assert config.joiner_action is JoinerAction.TIMEOUT
    assert config.min_account_age_days == 0  # the age filter is off by default
    with pytest.raises(ValidationError):
        Config.model_validate({"verification_level": 5})
    with pytest.raises(ValidationError):
        Config.model_validate({"young_account_action": "ban"})


def test_a_spike_is_more_than_the_threshold():
    assert not service.is_spike(10, 10)
    assert service.is_spike(11, 10)


def test_keys_name_the_guild():
    assert service.join_key(5) == "antiraid:joins:5"
    assert service.end_job_key(5) == "antiraid.end:5"


def test_account_age_filter():
    assert not service.too_young(NOW - timedelta(hours=1), NOW, 0)  # off
    assert service.too_young(NOW - timedelta(days=2), NOW, 3)
    assert not service.too_young(NOW - timedelta(days=3, seconds=1), NOW, 3)
    assert service.too_young(NOW - timedelta(hours=11), NOW, 0.5)


def test_raid_end_is_pushed_back_at_most_once_per_slack():
    quiet = 600.0
    slack = service.extension_slack(quiet)
    assert slack == timedelta(seconds=60)
    assert service.extension_slack(5) == timedelta(seconds=0.5)
    end = service.first_end(NOW, quiet)
    assert end == NOW + timedelta(seconds=quiet) + slack
    # joins within the slack do not move the end
    assert service.extended_end(end, NOW + timedelta(seconds=30), quiet) is None
    assert service.extended_end(end, NOW + slack, quiet) is None
    later = NOW + slack + timedelta(seconds=1)
    new_end = service.extended_end(end, later, quiet)
    assert new_end == later + timedelta(seconds=quiet) + slack
    assert service.extended_end(None, NOW, quiet) == end


@given(st.lists(st.floats(min_value=0, max_value=5000), min_size=1, max_size=50))
def test_the_end_always_stays_within_quiet_and_quiet_plus_slack_of_the_last_join(offsets):
    quiet = 300.0
    joins = sorted(NOW + timedelta(seconds=offset) for offset in offsets)
    end = service.first_end(joins[0], quiet)
    writes = 0
    for join in joins[1:]:
        new = service.extended_end(end, join, quiet)
        if new is not None:
            end, writes = new, writes + 1
    last = joins[-1]
    assert last + timedelta(seconds=quiet) <= end <= last + timedelta(seconds=quiet) + service.extension_slack(quiet)
    assert writes <= len(joins) - 1


def test_end_is_due():
    assert not service.end_is_due(None, NOW)
    assert service.end_is_due(NOW, NOW)
    assert service.end_is_due(NOW + timedelta(milliseconds=500), NOW)  # tolerance for clock differences
    assert not service.end_is_due(NOW + timedelta(seconds=5), NOW)


def test_verification_is_raised_only_upwards_and_restored_only_if_untouched():
    assert service.raised_level(1, 3, True) == 3
    assert service.raised_level(3, 3, True) is None
    assert service.raised_level(4, 3, True) is None
    assert service.raised_level(1, 3, False) is None
    assert service.level_to_restore(3, 3, 1) == 1
    assert service.level_to_restore(2, 3, 1) is None  # an admin changed it during the raid
    assert service.level_to_restore(3, None, 1) is None


def test_lock_denies_the_bits_and_remembers_what_changed():
    allow = service.SEND_MESSAGES | (1 << 10)  # explicitly allowed to send, and to view
    deny = service.ADD_REACTIONS
    plan = service.lock(allow, deny, service.LOCK_BITS, existed=True)
    assert plan.deny & service.LOCK_BITS == service.LOCK_BITS
    assert not plan.allow & service.LOCK_BITS and plan.allow & (1 << 10)
    assert plan.denied == service.LOCK_BITS & ~service.ADD_REACTIONS  # reactions were denied already
    assert plan.unallowed == service.SEND_MESSAGES
    new_allow, new_deny, delete = service.unlock(plan.allow, plan.deny, plan.record())
    assert (new_allow, new_deny, delete) == (allow, deny, False)


def test_unlock_deletes_an_overwrite_raid_mode_created():
    plan = service.lock(0, 0, service.SEND_MESSAGES, existed=False)
    assert (plan.allow, plan.deny) == (0, service.SEND_MESSAGES)
    assert service.unlock(plan.allow, plan.deny, plan.record()) == (0, 0, True)


def test_unlock_keeps_an_admins_edits_made_during_the_raid():
    plan = service.lock(0, 0, service.SEND_MESSAGES, existed=False)
    attach_files = 1 << 15
    allow, deny, delete = service.unlock(plan.allow, plan.deny | attach_files, plan.record())
    assert (allow, deny, delete) == (0, attach_files, False)


@given(BITS, BITS, BITS, st.booleans())
def test_lock_then_unlock_gives_back_the_overwrite(allow, deny, bits, existed):
    allow &= ~deny  # Discord never allows and denies the same bit
    plan = service.lock(allow, deny, bits, existed=existed)
    assert plan.deny & bits == bits and not plan.allow & bits
    new_allow, new_deny, delete = service.unlock(plan.allow, plan.deny, plan.record())
    assert (new_allow, new_deny) == (allow, deny)
    assert delete == (allow == 0 and deny == 0 and not existed)


def test_pending_locks_of_an_unrestored_raid_win():
    assert service.merge_locks({"1": {"denied": 1}}, {"1": {"denied": 2}, "2": {"denied": 4}}) == {
        "1": {"denied": 1},
        "2": {"denied": 4},
    }


@pytest.mark.parametrize(
    ("seconds", "text"), [(45, "45 s"), (600, "10 min"), (3600, "1 h"), (5400, "1 h 30 min"), (59.6, "1 min")]
)
def test_describe_duration(seconds, text):
    assert service.describe_duration(seconds) == text
