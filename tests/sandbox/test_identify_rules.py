"""The sandbox's identify rules: one IDENTIFY per 5 s per bucket and the session-start budget, as Discord."""

from __future__ import annotations

from wolaro.sandbox.identify_rules import IdentifyRules


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_second_identify_in_the_same_bucket_within_5_s_is_a_violation() -> None:
    clock = Clock()
    rules = IdentifyRules(max_concurrency=2, enforce=True, clock=clock)
    assert rules.admit(0) is None
    assert rules.admit(1) is None  # another bucket: allowed at once
    clock.now += 4.9
    assert rules.admit(2) == "more than one IDENTIFY per 5 s in a bucket"  # 2 % 2 == bucket 0
    clock.now += 0.1
    assert rules.admit(2) is None
    assert rules.violations == {"more than one IDENTIFY per 5 s in a bucket": 1}
    assert rules.session_start_limit()["remaining"] == 1000 - 3


def test_the_budget_once_spent_refuses_every_identify() -> None:
    clock = Clock()
    rules = IdentifyRules(session_start_total=2, enforce=True, clock=clock)
    for _ in range(2):
        assert rules.admit(0) is None
        clock.now += 5
    assert rules.admit(0) == "session start budget spent"
    assert rules.session_start_limit() == {
        "total": 2,
        "remaining": 0,
        "reset_after": 86_400_000,
        "max_concurrency": 1,
    }


def test_unenforced_rules_count_breaches_but_let_them_through() -> None:
    rules = IdentifyRules(clock=Clock())
    assert rules.admit(0) is None
    assert rules.admit(0) is None
    assert rules.violations == {"more than one IDENTIFY per 5 s in a bucket": 1}
