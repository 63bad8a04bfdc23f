"""Reminders as plain values: reading "when" ("in 10m", "2h30m", "1d"), limits, and the job rows they live in.

A reminder is a durable job of kind `reminders.deliver` (no table of its own): its payload says who, where and
what, its `run_at` says when, its id is the number users see. Nothing here imports discord.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from wolaro.core.durations import (
    DurationError,
    DurationProblem,
    format_duration,
    parse_duration,
    split_leading_duration,
)
from wolaro.jobs.store import JobInfo

__all__ = [
    "DELIVER_JOB",
    "HARD_MAX_HORIZON",
    "MAX_TEXT",
    "MIN_DELAY",
    "Reminder",
    "WhenError",
    "WhenProblem",
    "format_duration",
    "parse_horizon",
    "parse_when",
    "payload_for",
    "preview",
    "reminders_of",
    "split_when",
]

DELIVER_JOB = "reminders.deliver"
#: The longest text a reminder keeps (the delivered message adds a mention and a line around it: under 2000).
MAX_TEXT = 1500
#: The shortest delay.
MIN_DELAY = timedelta(seconds=1)
#: No guild may let reminders be set further ahead than this.
HARD_MAX_HORIZON = timedelta(days=3650)
#: How many of a guild's pending reminders a command reads to find one member's (see `reminders_of`).
GUILD_SCAN_LIMIT = 10_000

_IN = re.compile(r"\s*in\s+", re.IGNORECASE)


class WhenProblem(StrEnum):
    """Why a "when" cannot be used."""

    INVALID = "invalid"
    TOO_FAR = "too_far"
    TOO_SOON = "too_soon"


class WhenError(ValueError):
    """A "when" the user typed cannot be used; `problem` says why, `bound` the limit it broke (if any)."""

    def __init__(self, text: str, problem: WhenProblem, bound: timedelta | None = None) -> None:
        super().__init__(f"{text!r}: {problem.value}")
        self.text = text
        self.problem = problem
        self.bound = bound


def _without_in(text: str) -> str:
    match = _IN.match(text)
    return text[match.end() :] if match else text


def split_when(text: str) -> tuple[str, str]:
    """Split chat arguments into the "when" and the text: `"in 2h 30m call mum"` -> `("in 2h 30m", "call mum")`.

    The delay is read as every command reads durations (`split_leading_duration`): numbers with units, an
    optional leading "in". A first word that is not a delay is returned as the "when" so the caller can refuse
    it clearly.
    """
    stripped = text.lstrip()
    rest = _without_in(stripped)
    head = stripped[: len(stripped) - len(rest)]
    when, remainder = split_leading_duration(rest)
    return (head + when).strip(), remainder


def parse_when(text: str, *, now: datetime, horizon: timedelta) -> datetime:
    """When a reminder set at `now` with `text` ("in 10m", "2h30m", "1d 12h", "in 3 days") is due.

    Raises `WhenError`: INVALID (not a delay), TOO_FAR (beyond `horizon`), TOO_SOON (under one second).
    """
    try:
        delay = parse_duration(_without_in(text), maximum=horizon, minimum=MIN_DELAY)
    except DurationError as exc:
        if exc.problem is DurationProblem.TOO_LONG:
            raise WhenError(text, WhenProblem.TOO_FAR, horizon) from None
        if exc.problem is DurationProblem.TOO_SHORT:
            raise WhenError(text, WhenProblem.TOO_SOON, MIN_DELAY) from None
        raise WhenError(text, WhenProblem.INVALID) from None
    return now + delay


def parse_horizon(text: str) -> timedelta:
    """A guild's `max_horizon` setting as a delay (raises `DurationError` if it is not one within ten years)."""
    return parse_duration(text, maximum=HARD_MAX_HORIZON)


def clean_text(text: str) -> str:
    """The reminder's text as kept: trimmed (the caller refuses it if empty or longer than `MAX_TEXT`)."""
    return text.strip()


@dataclass(frozen=True, slots=True)
class Reminder:
    """A pending reminder: its number (the job id), whose it is, where it was set, what and when."""

    id: int
    guild_id: int
    user_id: int
    channel_id: int
    text: str
    due_at: datetime
    created_at: datetime
    delivering: bool = False


def payload_for(
    *, guild_id: int, guild_name: str, channel_id: int, user_id: int, text: str, created_at: datetime
) -> dict[str, Any]:
    """The job payload of a new reminder."""
    return {
        "guild_id": guild_id,
        "guild_name": guild_name,
        "channel_id": channel_id,
        "user_id": user_id,
        "text": text,
        "created_at": created_at.isoformat(),
    }


def from_job(job: JobInfo) -> Reminder:
    """The reminder a `reminders.deliver` job carries."""
    payload = job.payload
    return Reminder(
        id=job.id,
        guild_id=int(payload["guild_id"]),
        user_id=int(payload["user_id"]),
        channel_id=int(payload["channel_id"]),
        text=str(payload["text"]),
        due_at=job.run_at,
        created_at=datetime.fromisoformat(payload["created_at"]),
        delivering=job.status == "running",
    )


def reminders_of(jobs: Iterable[JobInfo], user_id: int) -> list[Reminder]:
    """The reminders of `user_id` among a guild's pending `reminders.deliver` jobs, soonest first."""
    found = [from_job(job) for job in jobs if job.kind == DELIVER_JOB and int(job.payload["user_id"]) == user_id]
    return sorted(found, key=lambda reminder: (reminder.due_at, reminder.id))


def preview(text: str, limit: int = 80) -> str:
    """The first `limit` characters of a reminder on one line (for lists)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
