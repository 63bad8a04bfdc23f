"""Giveaway rules as plain values: who may enter, how winners are drawn, how long one may run. No discord here."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

END_JOB = "giveaways.end"
MAX_PRIZE = 256
MAX_WINNERS = 20
MIN_DURATION = timedelta(seconds=1)
MAX_DURATION = timedelta(days=60)
MAX_ACTIVE_LIST = 25
CUSTOM_ID_PREFIX = "giveaways:enter:"

_draw = random.SystemRandom()


def enter_custom_id(giveaway_id: int) -> str:
    """The custom id of a giveaway's Enter button (handled whichever process receives the click)."""
    return f"{CUSTOM_ID_PREFIX}{giveaway_id}"


def giveaway_of_custom_id(custom_id: str) -> int | None:
    """The giveaway an Enter button's custom id names, or None if it is not one."""
    if not custom_id.startswith(CUSTOM_ID_PREFIX):
        return None
    rest = custom_id[len(CUSTOM_ID_PREFIX) :]
    return int(rest) if rest.isdigit() and len(rest) < 20 else None


class Refusal(StrEnum):
    """Why a member may not enter."""

    ROLE = "role"
    ACCOUNT_AGE = "account_age"
    MEMBER_AGE = "member_age"
    LEVEL = "level"


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a member needs to enter (None: no such requirement)."""

    role_id: int | None = None
    min_account_days: int | None = None
    min_member_days: int | None = None
    min_level: int | None = None

    @property
    def any(self) -> bool:
        """Whether the giveaway has any requirement."""
        return any(v is not None for v in (self.role_id, self.min_account_days, self.min_member_days, self.min_level))


@dataclass(frozen=True, slots=True)
class Entrant:
    """What the requirements look at about a member."""

    role_ids: Collection[int]
    account_created: datetime
    joined_at: datetime | None
    level: int | None = None


def refusal(req: Requirements, who: Entrant, now: datetime) -> Refusal | None:
    """The first requirement `who` misses, or None if they may enter."""
    if req.role_id is not None and req.role_id not in who.role_ids:
        return Refusal.ROLE
    if req.min_account_days is not None and now - who.account_created < timedelta(days=req.min_account_days):
        return Refusal.ACCOUNT_AGE
    if req.min_member_days is not None and (
        who.joined_at is None or now - who.joined_at < timedelta(days=req.min_member_days)
    ):
        return Refusal.MEMBER_AGE
    if req.min_level is not None and (who.level is None or who.level < req.min_level):
        return Refusal.LEVEL
    return None


def draw(entrants: Sequence[int], count: int, *, rng: random.Random | None = None) -> list[int]:
    """`count` distinct winners among `entrants` (all of them if fewer), in draw order."""
    pool = sorted(set(entrants))
    return (rng or _draw).sample(pool, min(count, len(pool)))


def mentions(user_ids: Sequence[int]) -> str:
    """Winners as mentions, separated by commas."""
    return ", ".join(f"<@{user}>" for user in user_ids)
