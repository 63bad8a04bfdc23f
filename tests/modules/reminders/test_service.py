"""Reminders' plain logic: reading "when", splitting chat arguments, limits, and reminders from job rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from wolaro.jobs.store import JobInfo
from wolaro.modules.reminders.module import Config
from wolaro.modules.reminders.service import (
    DELIVER_JOB,
    WhenError,
    WhenProblem,
    parse_horizon,
    parse_when,
    payload_for,
    preview,
    reminders_of,
    split_when,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
YEAR = timedelta(days=365)


@pytest.mark.parametrize(
    ("text", "delay"),
    [
        ("10m", timedelta(minutes=10)),
        ("in 10m", timedelta(minutes=10)),
        ("IN 10 minutes", timedelta(minutes=10)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("in 2h 30m", timedelta(hours=2, minutes=30)),
        ("1d", timedelta(days=1)),
        ("1d 12h", timedelta(days=1, hours=12)),
        ("in 3 days", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("2s", timedelta(seconds=2)),
    ],
)
def test_when_is_a_delay_from_now(text, delay):
    assert parse_when(text, now=NOW, horizon=YEAR) == NOW + delay


@pytest.mark.parametrize("text", ["", "in", "tomorrow", "10", "in ten minutes", "5 parsecs", "10m later", "-5m"])
def test_what_is_not_a_delay_is_refused(text):
    with pytest.raises(WhenError) as caught:
        parse_when(text, now=NOW, horizon=YEAR)
    assert caught.value.problem is WhenProblem.INVALID


def test_too_far_and_too_soon_say_their_bound():
    with pytest.raises(WhenError) as caught:
        parse_when("366d", now=NOW, horizon=YEAR)
    assert (caught.value.problem, caught.value.bound) == (WhenProblem.TOO_FAR, YEAR)
    assert parse_when("365d", now=NOW, horizon=YEAR) == NOW + YEAR
    with pytest.raises(WhenError) as caught:
        parse_when("0s", now=NOW, horizon=YEAR)
    assert caught.value.problem is WhenProblem.TOO_SOON
    with pytest.raises(WhenError) as caught:
        parse_when("99999999999w", now=NOW, horizon=YEAR)  # no overflow, just too far
    assert caught.value.problem is WhenProblem.TOO_FAR


@pytest.mark.parametrize(
    ("text", "when", "rest"),
    [
        ("in 10m take the pizza out", "in 10m", "take the pizza out"),
        ("2h 30m call mum", "2h 30m", "call mum"),
        ("1d 3 apples", "1d", "3 apples"),
        ("  in 3 days renew the domain", "in 3 days", "renew the domain"),
        ("tomorrow buy milk", "tomorrow", "buy milk"),
        ("in a bit stretch", "in a", "bit stretch"),
        ("inside joke", "inside", "joke"),
        ("10m", "10m", ""),
    ],
)
def test_split_when_from_chat_arguments(text, when, rest):
    assert split_when(text) == (when, rest)


def job(job_id, user_id, due, *, kind=DELIVER_JOB, status="pending"):
    payload = payload_for(
        guild_id=1, guild_name="Cafe", channel_id=10, user_id=user_id, text=f"text {job_id}", created_at=NOW
    )
    return JobInfo(
        id=job_id,
        guild_id=1,
        kind=kind,
        payload=payload,
        run_at=NOW + timedelta(minutes=due),
        status=status,
        attempts=0,
        max_attempts=8,
        last_error=None,
        dedupe_key=None,
        created_at=NOW,
    )


def test_reminders_of_one_user_soonest_first():
    jobs = [job(1, 5, 30), job(2, 6, 10), job(3, 5, 20), job(4, 5, 5, kind="moderation.unban"), job(5, 5, 20)]
    found = reminders_of(jobs, 5)
    assert [r.id for r in found] == [3, 5, 1]
    first = found[0]
    assert (first.user_id, first.channel_id, first.text, first.created_at) == (5, 10, "text 3", NOW)
    assert first.due_at == NOW + timedelta(minutes=20) and not first.delivering
    assert reminders_of([job(9, 5, 1, status="running")], 5)[0].delivering
    assert reminders_of(jobs, 7) == []


def test_preview_keeps_lists_on_one_line():
    assert preview("buy\nmilk   now") == "buy milk now"
    assert preview("x" * 100, 10) == "x" * 9 + "…"


def test_config_horizon_is_a_delay_within_ten_years():
    assert parse_horizon(Config().max_horizon) == YEAR
    assert Config(max_horizon=" 30d ").max_horizon == "30d"
    for bad in ("forever", "3651d"):
        with pytest.raises(ValidationError):
            Config(max_horizon=bad)
    with pytest.raises(ValidationError):
        Config(max_per_user=0)
