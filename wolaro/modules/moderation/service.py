"""Moderation rules as plain functions: actions, durations, role hierarchy and warn escalation.

Nothing here imports discord: the Cog and the enforcement layer turn Discord objects into these plain values
(role positions, ids) and turn the errors raised here into translated replies.
"""

from __future__ import annotations

import re
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
#: No duration is longer than this, whatever the caller's bound (timedelta overflows far beyond).
HARD_MAX_DURATION = timedelta(days=36500)
#: Purge bounds (messages).
PURGE_MIN, PURGE_MAX = 1, 1000
#: Bulk delete only takes messages younger than this (Discord).
BULK_DELETE_MAX_AGE = timedelta(days=14)

UNITS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604800),
}
_PIECE = re.compile(r"\s*(\d+)\s*([a-zA-Z]+)")
_WHOLE = re.compile(r"(?:\s*\d+\s*[a-zA-Z]+)+\s*")
_MAX_NUMBER_DIGITS = 12


class DurationProblem(StrEnum):
    """Why a text is not an acceptable duration."""

    INVALID = "invalid"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"


class DurationError(ValueError):
    """A duration the user typed cannot be used; `problem` says why (the adapter words it)."""

    def __init__(self, text: str, problem: DurationProblem, bound: timedelta | None = None) -> None:
        super().__init__(f"{text!r}: {problem.value}")
        self.text = text
        self.problem = problem
        self.bound = bound


def parse_duration(
    text: str, *, maximum: timedelta | None = None, minimum: timedelta = timedelta(seconds=1)
) -> timedelta:
    """`10m`, `2h30m`, `1d 12h`, `3 days`, `1w` as a timedelta, within `[minimum, maximum]`.

    Units: s, m, h, d, w (and their long forms: sec, min, hour, day, week, with plurals). Every number needs
    a unit. Raises `DurationError` (INVALID, TOO_LONG, TOO_SHORT).
    """
    cleaned = text.strip()
    if not cleaned or not _WHOLE.fullmatch(cleaned):
        raise DurationError(text, DurationProblem.INVALID)
    seconds = 0
    for number, unit in _PIECE.findall(cleaned):
        factor = UNITS.get(unit.lower())
        if factor is None or len(number) > _MAX_NUMBER_DIGITS:
            raise DurationError(text, DurationProblem.INVALID)
        seconds += int(number) * factor
    bound = min(maximum, HARD_MAX_DURATION) if maximum is not None else HARD_MAX_DURATION
    if seconds > bound.total_seconds():
        raise DurationError(text, DurationProblem.TOO_LONG, bound)
    value = timedelta(seconds=seconds)
    if value < minimum:
        raise DurationError(text, DurationProblem.TOO_SHORT, minimum)
    return value


def split_leading_duration(text: str) -> tuple[str, str]:
    """Split chat arguments that start with a duration: `"2h 30m spamming"` -> `("2h 30m", "spamming")`.

    The first piece is taken even with an unknown unit (`"5 parsecs"` -> `("5 parsecs", "")`) so that the caller
    reports it instead of silently reading it as a reason; later pieces are taken only while their unit is known
    (`"1d 3 spam"` -> `("1d", "3 spam")`). A number followed by no word is returned alone (`"5 !!"` -> `("5", "!!")`).
    """
    stripped = text.lstrip()
    position = 0
    pieces = 0
    while True:
        match = _PIECE.match(stripped, position)
        if match is None:
            break
        known = match.group(2).lower() in UNITS
        if pieces and not known:
            break
        position = match.end()
        pieces += 1
        if not known:
            break
    if pieces == 0:
        word, _, rest = stripped.partition(" ")
        return word, rest.strip()
    return stripped[:position].strip(), stripped[position:].strip()


def format_duration(value: timedelta) -> str:
    """`1w 2d 3h 4m 5s` (largest units first, zero parts left out; `0s` for nothing)."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


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
