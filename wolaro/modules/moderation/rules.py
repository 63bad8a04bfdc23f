"""Moderation rules as plain functions: actions, duration bounds, role hierarchy and warn escalation.

Nothing here imports discord: the Cog and the enforcement layer turn Discord objects into these plain values
(role positions, ids) and turn the errors raised here into translated replies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Action(StrEnum):
    """What a moderation case records."""

    WARN = "warn"
    KICK = "kick"
    BAN = "ban"
    SOFTBAN = "softban"
    UNBAN = "unban"
    TIMEOUT = "timeout"
    UNTIMEOUT = "untimeout"
    NOTE = "note"
    PURGE = "purge"
    SLOWMODE = "slowmode"
    LOCK = "lock"
    UNLOCK = "unlock"
    NICK = "nick"


class TargetKind(StrEnum):
    """What a case's `target_id` names: a member (most actions) or a channel (purge, slowmode, lock, unlock)."""

    MEMBER = "member"
    CHANNEL = "channel"


#: Actions whose case stays "in force" until lifted, pardoned or expired; the others are instantaneous.
LASTING_ACTIONS = frozenset({Action.WARN, Action.BAN, Action.TIMEOUT, Action.NOTE})
#: Actions the bot carries out on a member in Discord (so its own role must be above the target's).
MEMBER_ACTIONS = frozenset({Action.KICK, Action.BAN, Action.SOFTBAN, Action.TIMEOUT, Action.UNTIMEOUT})
#: Actions that need the target to be a member of the guild right now.
NEEDS_MEMBER = frozenset({Action.KICK, Action.TIMEOUT, Action.UNTIMEOUT})
#: Actions after which the target shares no server with the bot: DM them before acting.
REMOVES_MEMBER = frozenset({Action.KICK, Action.BAN, Action.SOFTBAN})
#: Actions on a channel: their case's target is the channel.
CHANNEL_ACTIONS = frozenset({Action.PURGE, Action.SLOWMODE, Action.LOCK, Action.UNLOCK})
#: Actions recorded by their own commands (which act in Discord themselves), never carried out by `enforce`.
RECORD_ONLY_ACTIONS = CHANNEL_ACTIONS | {Action.NICK}
#: Escalation may apply these when a member reaches a number of warnings.
ESCALATION_ACTIONS = (Action.TIMEOUT, Action.KICK, Action.SOFTBAN, Action.BAN)


def target_kind(action: Action) -> TargetKind:
    """What the case of `action` targets."""
    return TargetKind.CHANNEL if action in CHANNEL_ACTIONS else TargetKind.MEMBER


# ----------------------------------------------------------------------------------------------- durations
#: Discord's longest member timeout.
MAX_TIMEOUT = timedelta(days=28)
#: The longest temporary ban (longer: ban permanently).
MAX_TEMP_BAN = timedelta(days=365)
#: The longest warning lifetime a guild may configure.
MAX_WARN_EXPIRY = timedelta(days=3650)
#: Discord's longest channel slowmode.
MAX_SLOWMODE = timedelta(hours=6)
#: Purge bounds (messages).
PURGE_MIN, PURGE_MAX = 1, 1000
#: Bulk delete only takes messages younger than this (Discord).
BULK_DELETE_MAX_AGE = timedelta(days=14)


# ----------------------------------------------------------------------------------------------- hierarchy
@dataclass(frozen=True, slots=True)
class Standing:
    """A member's place in a guild: id and the position of their highest role (0 = @everyone only)."""

    user_id: int
    top_role: int


class HierarchyProblem(StrEnum):
    """Why an action on a member is not allowed by Discord's role hierarchy (or by common sense)."""

    TARGET_IS_BOT = "target_is_bot"
    TARGET_IS_SELF = "target_is_self"
    TARGET_IS_OWNER = "target_is_owner"
    ACTOR_TOO_LOW = "actor_too_low"
    BOT_TOO_LOW = "bot_too_low"


def hierarchy_problem(
    *,
    owner_id: int,
    bot: Standing,
    target_id: int,
    target: Standing | None,
    actor: Standing | None,
    bot_acts: bool = True,
) -> HierarchyProblem | None:
    """What forbids `actor` (None: automated, or a platform admin) acting on `target_id`, or None.

    `target` is None when the user is not a member (a ban by id): only the ban list is touched then.
    Nobody acts on the bot, on themselves or on the owner; a member acts only on members whose highest role is
    strictly below theirs (the owner outranks everyone); with `bot_acts`, the bot's highest role must be above
    the target's too, as Discord requires.
    """
    if target_id == bot.user_id:
        return HierarchyProblem.TARGET_IS_BOT
    if actor is not None and target_id == actor.user_id:
        return HierarchyProblem.TARGET_IS_SELF
    if target_id == owner_id:
        return HierarchyProblem.TARGET_IS_OWNER
    if target is None:
        return None
    if actor is not None and actor.user_id != owner_id and actor.top_role <= target.top_role:
        return HierarchyProblem.ACTOR_TOO_LOW
    if bot_acts and bot.user_id != owner_id and bot.top_role <= target.top_role:
        return HierarchyProblem.BOT_TOO_LOW
    return None


# ----------------------------------------------------------------------------------------------- escalation
@dataclass(frozen=True, slots=True)
class Escalation:
    """What to do when a member reaches `warns` active warnings."""

    warns: int
    action: Action
    duration: timedelta | None = None


def escalation_for(steps: Iterable[Escalation], active_warns: int) -> Escalation | None:
    """The step triggered by reaching exactly `active_warns` active warnings (the last such step), or None.

    Exactly: a member with 4 warnings under `[3 -> timeout, 5 -> ban]` is not timed out again by the 4th.
    """
    found = None
    for step in steps:
        if step.warns == active_warns:
            found = step
    return found


def check_escalation_steps(steps: Sequence[Escalation]) -> None:
    """Raise ValueError unless the steps are usable: distinct warn counts, sensible actions and durations."""
    seen: set[int] = set()
    for step in steps:
        if step.warns in seen:
            raise ValueError(f"two steps for {step.warns} warnings")
        seen.add(step.warns)
        if step.action not in ESCALATION_ACTIONS:
            raise ValueError(f"{step.action} cannot be an escalation action")
        if step.action is Action.TIMEOUT:
            if step.duration is None:
                raise ValueError("a timeout step needs a duration")
            if step.duration > MAX_TIMEOUT:
                raise ValueError("a timeout lasts at most 28 days")
        elif step.action is Action.BAN:
            if step.duration is not None and step.duration > MAX_TEMP_BAN:
                raise ValueError("a temporary ban lasts at most 365 days")
        elif step.duration is not None:
            raise ValueError(f"a {step.action} step takes no duration")


# ----------------------------------------------------------------------------------------------- small rules
def audit_reason(moderator: str, reason: str | None, *, limit: int = 512) -> str:
    """The `X-Audit-Log-Reason` Discord shows in the server's audit log: who, through the bot, and why."""
    text = f"{moderator}: {reason}" if reason else moderator
    return text[:limit]


def page_bounds(total: int, page: int, per_page: int) -> tuple[int, int, int]:
    """`(page, offset, pages)` for a 0-based `page` clamped into range (at least one page, even when empty)."""
    pages = max(1, -(-total // per_page))
    page = min(max(page, 0), pages - 1)
    return page, page * per_page, pages


def purge_scan_limit(amount: int, *, filtered: bool) -> int:
    """How many recent messages a purge looks through: `amount` plainly; with filters, up to 1000 to find them."""
    return PURGE_MAX if filtered else amount
