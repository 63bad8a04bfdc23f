"""Anti-raid's per-guild settings: what a raid is, how raid mode responds, when it ends, the account-age filter."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from wolaro.core.registry import ModuleConfig
from wolaro.core.snowflake import SnowflakeId

MAX_TIMEOUT_MINUTES = 28 * 24 * 60
#: Channels locked in raid mode (each one is a Discord call when raid mode starts and ends).
MAX_LOCK_CHANNELS = 50


class JoinerAction(StrEnum):
    """What raid mode does to each member who joins while it lasts."""

    NONE = "none"
    TIMEOUT = "timeout"
    KICK = "kick"


class Config(ModuleConfig):
    """Anti-raid settings (defaults: more than 10 joins in 10 s starts raid mode, 10 quiet minutes end it)."""

    join_threshold: int = Field(default=10, ge=1, le=10_000, description="Raid mode starts above this many joins")
    join_window_seconds: float = Field(default=10.0, gt=0, le=3600, description="...within this many seconds")
    quiet_seconds: float = Field(
        default=600.0, ge=1, le=7 * 86400, description="Raid mode ends after this long without a join"
    )
    alert: bool = Field(default=True, description="Announce raid mode in the alert channel")
    alert_channel_id: SnowflakeId | None = Field(
        default=None, description="Where to announce raid mode (default: the moderation module's modlog channel)"
    )
    joiner_action: JoinerAction = Field(default=JoinerAction.TIMEOUT, description="What happens to raid joiners")
    joiner_timeout_minutes: int = Field(default=60, ge=1, le=MAX_TIMEOUT_MINUTES)
    raise_verification: bool = Field(default=True, description="Raise the server's verification level in a raid")
    verification_level: int = Field(default=3, ge=1, le=4, description="1 low, 2 medium, 3 high, 4 highest")
    lock_channel_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_LOCK_CHANNELS,
        description="Channels where @everyone may not write while raid mode lasts",
    )
    min_account_age_days: float = Field(
        default=0, ge=0, le=3650, description="Accounts younger than this are acted on when they join (0 = off)"
    )
    young_account_action: Literal["timeout", "kick"] = Field(default="kick")
    young_account_timeout_minutes: int = Field(default=60, ge=1, le=MAX_TIMEOUT_MINUTES)
