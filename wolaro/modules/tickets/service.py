"""Tickets as plain values: custom ids, permission overwrites, auto-close timing and staff statistics.

Nothing here imports discord or touches the database: the Cog, the jobs and the dashboard call these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

TRANSCRIPT_JOB = "tickets.transcript"
INACTIVITY_JOB = "tickets.inactivity"
DELETE_JOB = "tickets.delete"

PREFIX = "tickets:"
PRIORITIES = ("low", "normal", "high", "urgent")
MAX_REASON = 500
MAX_COMMENT = 1000
MAX_NAME = 90

# Discord permission bits (https://discord.com/developers/docs/topics/permissions).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
TALK = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
READ_ONLY = VIEW_CHANNEL | READ_MESSAGE_HISTORY
ROLE, MEMBER = 0, 1


class Status(StrEnum):
    """Where a ticket stands."""

    OPEN = "open"
    CLOSED = "closed"
    DELETED = "deleted"


# ---------------------------------------------------------------------------------------------- custom ids
@dataclass(frozen=True, slots=True)
class Action:
    """What a component or modal of the module asks: `kind` and its arguments (from its custom id)."""

    kind: str
    args: tuple[str, ...] = ()


_ID = re.compile(r"^tickets:([a-z-]+)((?::[a-z0-9_-]{1,20})*)$")


def custom_id(kind: str, *args: object) -> str:
    """The stable custom id of a component: `tickets:<kind>[:<arg>...]` (the same after every restart)."""
    return ":".join((PREFIX + kind, *(str(a) for a in args)))


def parse_custom_id(value: str) -> Action | None:
    """The action a custom id asks for, or None when it is not one of ours."""
    match = _ID.match(value or "")
    if match is None:
        return None
    args = tuple(part for part in match.group(2).split(":") if part)
    return Action(match.group(1), args)


# ---------------------------------------------------------------------------------------------- channels
@dataclass(frozen=True, slots=True)
class Access:
    """Who a ticket channel lets in: the pieces its permission overwrites are built from."""

    guild_id: int
    bot_id: int
    opener_id: int
    support_role_ids: Sequence[int]
    members: Sequence[int] = ()
    claimed_by: int | None = None
    hide_claimed: bool = False
    closed: bool = False


def overwrites(access: Access) -> list[dict[str, Any]]:
    """The permission overwrites of a ticket channel, as Discord's payload (`id`, `type`, `allow`, `deny`).

    Nobody sees it but the bot, the opener, the category's support roles and added members; a claimed ticket
    with `hide_claimed` is hidden from the support roles and shown to its claimer only; a closed ticket is read
    only for the opener and added members (they may still rate it).
    """
    member_allow = READ_ONLY if access.closed else TALK
    member_deny = SEND_MESSAGES if access.closed else 0
    out: dict[int, dict[str, Any]] = {
        access.guild_id: {"id": str(access.guild_id), "type": ROLE, "allow": "0", "deny": str(VIEW_CHANNEL)}
    }
    hidden = access.hide_claimed and access.claimed_by is not None
    for role in access.support_role_ids:
        out[role] = {
            "id": str(role),
            "type": ROLE,
            "allow": "0" if hidden else str(TALK),
            "deny": str(VIEW_CHANNEL) if hidden else "0",
        }
    people = [access.opener_id, *access.members] if access.opener_id else list(access.members)
    for user in people:
        out[user] = {"id": str(user), "type": MEMBER, "allow": str(member_allow), "deny": str(member_deny)}
    if access.claimed_by is not None:
        out[access.claimed_by] = {"id": str(access.claimed_by), "type": MEMBER, "allow": str(TALK), "deny": "0"}
    out[access.bot_id] = {"id": str(access.bot_id), "type": MEMBER, "allow": str(TALK), "deny": "0"}
    return list(out.values())


def channel_name(number: int, opener_name: str) -> str:
    """`ticket-0042-alice`: the number first (unique), then who opened it, in Discord's channel-name alphabet."""
    slug = re.sub(r"[^a-z0-9-]+", "-", opener_name.lower()).strip("-")[:40]
    return f"ticket-{number:04d}" + (f"-{slug}" if slug else "")


def clean_name(value: str) -> str:
    """A channel name staff typed, in Discord's alphabet (lowercase, dashes), or "" when nothing is left."""
    return re.sub(r"[^a-z0-9_-]+", "-", value.strip().lower()).strip("-")[:MAX_NAME]


# ---------------------------------------------------------------------------------------------- inactivity
@dataclass(frozen=True, slots=True)
class NextStep:
    """What the inactivity job does now: `act` is "warn", "close" or "wait"; `at` is when to look again."""

    act: str
    at: datetime | None = None


def inactivity_step(
    stage: str, *, idle_since: datetime, now: datetime, after: timedelta, warning: timedelta | None
) -> NextStep:
    """Decide the inactivity job's next step for a ticket idle since `idle_since`.

    A ticket closes `after` of silence (counted from its opening when nobody ever wrote), with a warning
    `warning` before that. Any message since resets the count: the job waits again.
    """
    close_at = idle_since + after
    warn_at = close_at - warning if warning and warning < after else None
    if stage == "close":
        if now >= close_at:
            return NextStep("close")
        return NextStep("wait", warn_at if warn_at and now < warn_at else close_at)
    if warn_at is None:
        return NextStep("close") if now >= close_at else NextStep("wait", close_at)
    if now < warn_at:
        return NextStep("wait", warn_at)
    return NextStep("warn", close_at)


def first_check(opened_at: datetime, after: timedelta, warning: timedelta | None) -> datetime:
    """When the inactivity job of a new ticket first runs."""
    close_at = opened_at + after
    return close_at - warning if warning and warning < after else close_at


# ---------------------------------------------------------------------------------------------- statistics
@dataclass(frozen=True, slots=True)
class TicketTimes:
    """The facts of one ticket the statistics are computed from."""

    opened_at: datetime
    claimed_by: int | None
    closed_by: int | None
    first_response_at: datetime | None
    first_response_by: int | None
    closed_at: datetime | None
    rating: int | None


@dataclass(slots=True)
class StaffStats:
    """One staff member's figures: tickets handled, average first response and resolution (seconds), rating."""

    user_id: int
    handled: int = 0
    first_response_seconds: float | None = None
    resolution_seconds: float | None = None
    rating: float | None = None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def staff_stats(tickets: Iterable[TicketTimes]) -> list[StaffStats]:
    """Per staff member: a closed ticket counts for whoever claimed it (else whoever answered it first).

    First response is measured on the tickets a member answered first; resolution (open to close) and rating on
    the tickets they handled. Sorted by tickets handled, most first.
    """
    handled: dict[int, list[TicketTimes]] = {}
    responses: dict[int, list[float]] = {}
    for ticket in tickets:
        if ticket.first_response_by and ticket.first_response_at:
            delay = (ticket.first_response_at - ticket.opened_at).total_seconds()
            responses.setdefault(ticket.first_response_by, []).append(max(0.0, delay))
        owner = ticket.claimed_by or ticket.first_response_by
        if owner and ticket.closed_at is not None:
            handled.setdefault(owner, []).append(ticket)
    out = []
    for user in set(handled) | set(responses):
        mine = handled.get(user, [])
        out.append(
            StaffStats(
                user_id=user,
                handled=len(mine),
                first_response_seconds=_mean(responses.get(user, [])),
                resolution_seconds=_mean(
                    [(t.closed_at - t.opened_at).total_seconds() for t in mine if t.closed_at is not None]
                ),
                rating=_mean([float(t.rating) for t in mine if t.rating]),
            )
        )
    return sorted(out, key=lambda s: (-s.handled, s.user_id))


def may_unclaim(*, claimed_by: int | None, user_id: int, is_admin: bool) -> bool:
    """Only the claimer or an admin releases a claimed ticket."""
    return claimed_by is not None and (claimed_by == user_id or is_admin)


def is_staff(member_role_ids: Iterable[int], support_role_ids: Iterable[int], *, is_admin: bool) -> bool:
    """Whether a member handles a kind of ticket: an admin, or holding one of its support roles."""
    return is_admin or bool(set(member_role_ids) & set(support_role_ids))
