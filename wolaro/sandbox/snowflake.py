"""Discord snowflake ids: deterministic ones for the synthetic world, time-based ones for live traffic."""

from __future__ import annotations

import datetime as dt
import time

DISCORD_EPOCH_MS = 1420070400000


def snowflake_from_ms(unix_ms: int, increment: int = 0) -> int:
    """Build a snowflake whose timestamp is ``unix_ms`` (milliseconds since 1970)."""
    return ((unix_ms - DISCORD_EPOCH_MS) << 22) | (increment & 0xFFF)


def snowflake_time(snowflake: int) -> dt.datetime:
    """Return the UTC creation time encoded in ``snowflake``."""
    return dt.datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=dt.UTC)


def iso(moment: dt.datetime) -> str:
    """Format ``moment`` the way Discord does (``2024-01-01T00:00:00.000000+00:00``)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def now_iso() -> str:
    """Return the current UTC time as a Discord timestamp string."""
    return iso(dt.datetime.now(dt.UTC))


def parse_iso(value: str) -> dt.datetime:
    """Parse a Discord/ISO-8601 timestamp (a trailing ``Z`` is accepted)."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class SnowflakeFactory:
    """Unique, strictly increasing snowflakes.

    ``world()`` hands out ids for the synthetic world: one millisecond apart starting at a fixed,
    seed-dependent instant, so a seed always gives the same ids and consecutive guilds spread over
    shards (a guild's shard is ``(guild_id >> 22) % shard_count``). ``now()`` hands out ids stamped with
    the current time (messages, interactions, new roles), as Discord does, so age checks (bulk delete's
    14 days, account age) behave. ``at()`` stamps a chosen instant (a user created "3 days ago").
    """

    def __init__(self, seed: int = 0) -> None:
        # 2023-01-01T00:00:00Z, one day later per seed.
        self._world_ms = 1672531200000 + seed * 86_400_000
        self._last_ms = 0
        self._increment = 0
        self._used_at: dict[int, int] = {}

    def world(self) -> int:
        """Return the next deterministic world id."""
        value = snowflake_from_ms(self._world_ms)
        self._world_ms += 1
        return value

    def now(self) -> int:
        """Return a fresh id stamped with the current time (strictly greater than the previous one)."""
        ms = int(time.time() * 1000)
        if ms > self._last_ms:
            self._last_ms = ms
            self._increment = 0
        else:
            self._increment += 1
            if self._increment > 0xFFF:
                self._last_ms += 1
                self._increment = 0
        return snowflake_from_ms(self._last_ms, self._increment)

    def at(self, moment: dt.datetime) -> int:
        """Return a unique id stamped with ``moment``."""
        ms = int(moment.timestamp() * 1000)
        increment = self._used_at.get(ms, -1) + 1
        self._used_at[ms] = increment
        return snowflake_from_ms(ms, increment)
