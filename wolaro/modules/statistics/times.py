"""Hours and days as integers: hours since 1970 UTC, and days since 1970 in a server's timezone."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DISCORD_EPOCH_MS = 1420070400000
EPOCH = date(1970, 1, 1)
PERIODS: dict[str, int | None] = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365, "all": None}
"""Period option -> how many local days it covers, today included (None: everything kept)."""


DISCORD_EPOCH_HOUR = DISCORD_EPOCH_MS // 3_600_000
"""Discord's epoch (2015-01-01 00:00 UTC) falls on a whole hour: 394,464 hours after 1970."""


def hour_of_snowflake(snowflake: int) -> int:
    """The UTC hour (since 1970) a Discord id was created in: the message's hour, with no datetime built."""
    return (snowflake >> 22) // 3_600_000 + DISCORD_EPOCH_HOUR


@functools.lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The timezone named `name` (UTC if it is unknown)."""
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


@functools.lru_cache(maxsize=65_536)
def day_of_hour(hour: int, timezone: str) -> int:
    """The local day (since 1970) in which the UTC hour `hour` starts, in `timezone`."""
    local = datetime.fromtimestamp(hour * 3600, tz=zone(timezone))
    return (local.date() - EPOCH).days


def today(timezone: str, now: datetime | None = None) -> int:
    """Today's local day number in `timezone`."""
    now = now or datetime.now(UTC)
    return (now.astimezone(zone(timezone)).date() - EPOCH).days


def day_date(day: int) -> date:
    """The calendar date of a day number."""
    return EPOCH + timedelta(days=day)


def day_number(value: date) -> int:
    """The day number of a calendar date."""
    return (value - EPOCH).days


def period_days(period: str, timezone: str, now: datetime | None = None) -> tuple[int, int]:
    """(first day, last day) of a period ending today, both included; `all` starts at day 0."""
    last = today(timezone, now)
    length = PERIODS[period]
    return (0 if length is None else last - length + 1), last


def split_by_hour(start: float, end: float) -> list[tuple[int, int]]:
    """[(hour, whole seconds in it)] covering start..end (epoch seconds); nothing if end <= start."""
    pieces: list[tuple[int, int]] = []
    cursor = start
    while cursor < end:
        hour = int(cursor // 3600)
        boundary = min(end, (hour + 1) * 3600)
        seconds = round(boundary) - round(cursor)
        if seconds > 0:
            pieces.append((hour, seconds))
        cursor = boundary
    return pieces
