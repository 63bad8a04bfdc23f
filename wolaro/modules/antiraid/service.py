"""Anti-raid decisions as pure functions: join spikes, account age, when raid mode ends, channel lock arithmetic.

No Discord objects here: permissions are Discord's integer bit fields, instants are aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

END_JOB = "antiraid.end"
STATE_CHANNEL = "antiraid:state"
"""Pub/sub channel: `{"guild_id": ...}` after every change of a guild's raid state (each process drops its copy)."""

# Discord permission bits raid mode denies @everyone in locked channels.
SEND_MESSAGES = 1 << 11
ADD_REACTIONS = 1 << 6
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
LOCK_BITS = SEND_MESSAGES | ADD_REACTIONS | CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS | SEND_MESSAGES_IN_THREADS

END_TOLERANCE = timedelta(seconds=1)
"""A due end job runs even if the stored end is this much later (clocks of workers and database differ a little)."""


def join_key(guild_id: int) -> str:
    """The shared-cache key counting a guild's joins (every bot process hits the same one)."""
    return f"antiraid:joins:{guild_id}"


def end_job_key(guild_id: int) -> str:
    """The dedupe key of a guild's pending raid-end job (one at a time; rescheduling replaces it)."""
    return f"{END_JOB}:{guild_id}"


def is_spike(joins_in_window: int, threshold: int) -> bool:
    """Whether the joins counted in the window exceed the threshold ("more than 10 in 10 s")."""
    return joins_in_window > threshold


def too_young(created_at: datetime, now: datetime, min_days: float) -> bool:
    """Whether an account created at `created_at` is younger than `min_days` (never, when the filter is off)."""
    return min_days > 0 and now - created_at < timedelta(days=min_days)


def extension_slack(quiet_seconds: float) -> timedelta:
    """How much later than strictly needed an end is scheduled, so a raid is not rescheduled on every join."""
    return timedelta(seconds=min(quiet_seconds * 0.1, 60.0))


def first_end(now: datetime, quiet_seconds: float) -> datetime:
    """When a raid that starts now ends if nobody else joins."""
    return now + timedelta(seconds=quiet_seconds) + extension_slack(quiet_seconds)


def extended_end(current_end: datetime | None, join_at: datetime, quiet_seconds: float) -> datetime | None:
    """The new end after a join at `join_at`, or None when the current end is already late enough.

    The end stays between `quiet` and `quiet + slack` after the last join, and is written at most once per slack.
    """
    wanted = join_at + timedelta(seconds=quiet_seconds)
    if current_end is not None and current_end >= wanted:
        return None
    return wanted + extension_slack(quiet_seconds)


def end_is_due(ends_at: datetime | None, now: datetime) -> bool:
    """Whether a raid whose end is `ends_at` should end at `now` (never for an open-ended manual raid)."""
    return ends_at is not None and ends_at <= now + END_TOLERANCE


def raised_level(current: int, wanted: int, enabled: bool) -> int | None:
    """The verification level to set, or None when raising is off or the current level is already as strict."""
    return wanted if enabled and current < wanted else None


def level_to_restore(current: int, raised: int | None, previous: int | None) -> int | None:
    """The level to go back to at the end, or None if raid mode did not raise it or an admin changed it since."""
    if raised is None or previous is None or current != raised:
        return None
    return previous


@dataclass(frozen=True, slots=True)
class Lock:
    """The @everyone overwrite of a locked channel: what to write, and what raid mode changed (to undo it)."""

    allow: int
    deny: int
    denied: int
    unallowed: int
    existed: bool

    def record(self) -> dict[str, Any]:
        """What the raid state keeps for the end."""
        return {"denied": self.denied, "unallowed": self.unallowed, "existed": self.existed}


def lock(allow: int, deny: int, bits: int, *, existed: bool) -> Lock:
    """Deny `bits` to @everyone: remember which of them were not denied (and which were allowed) before."""
    return Lock(
        allow=allow & ~bits,
        deny=deny | bits,
        denied=bits & ~deny,
        unallowed=allow & bits,
        existed=existed,
    )


def unlock(allow: int, deny: int, record: dict[str, Any]) -> tuple[int, int, bool]:
    """Undo a lock on the overwrite as it is now: `(allow, deny, delete)`, delete when nothing is left of it.

    Only the bits raid mode changed are touched, so an admin's other edits during the raid survive.
    """
    denied = int(record.get("denied", 0))
    unallowed = int(record.get("unallowed", 0))
    deny &= ~denied
    allow |= unallowed & ~deny
    delete = allow == 0 and deny == 0 and not record.get("existed", False)
    return allow, deny, delete


def merge_locks(pending: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Locks of a raid that starts before the previous one was fully undone: the older record of a channel wins."""
    return {**new, **pending}


def describe_duration(seconds: float) -> str:
    """A short human duration: `45 s`, `10 min`, `2 h`, `1 h 30 min`."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"
