"""Anti-raid's per-guild settings: what a raid is, how raid mode responds, when it ends, the account-age filter."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from wolaro.core import config_ui as ui
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

    join_threshold: int = Field(
        default=10,
        ge=1,
        le=10_000,
        title="Joins that start a raid",
        description="Raid mode starts when more members than this join within the time below.",
    )
    join_window_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        title="Within",
        description="The time in which those joins are counted.",
        json_schema_extra=ui.duration("seconds"),
    )
    quiet_seconds: float = Field(
        default=600.0,
        ge=1,
        le=7 * 86400,
        title="Raid mode ends after",
        description="Raid mode ends once nobody has joined for this long.",
        json_schema_extra=ui.duration("seconds"),
    )
    alert: bool = Field(
        default=True, title="Announce raids", description="Post a message when raid mode starts and ends."
    )
    alert_channel_id: SnowflakeId | None = Field(
        default=None,
        title="Announcement channel",
        description="Where raids are announced. Empty: the moderation log channel.",
        json_schema_extra=ui.show_if("alert", True),
    )
    joiner_action: JoinerAction = Field(
        default=JoinerAction.TIMEOUT,
        title="Members who join during a raid",
        description="What happens to each member who joins while raid mode lasts.",
        json_schema_extra=ui.choices(none="Nothing", timeout="Time them out", kick="Kick them"),
    )
    joiner_timeout_minutes: int = Field(
        default=60,
        ge=1,
        le=MAX_TIMEOUT_MINUTES,
        title="Timeout length",
        description="How long those members stay timed out.",
        json_schema_extra=ui.merge(ui.duration("minutes"), ui.show_if("joiner_action", "timeout")),
    )
    raise_verification: bool = Field(
        default=True,
        title="Raise the verification level",
        description="During a raid, new members must meet a stricter verification level before they can talk.",
    )
    verification_level: Literal[1, 2, 3, 4] = Field(
        default=3,
        title="Verification level during a raid",
        description="The level Discord asks of members while raid mode lasts.",
        json_schema_extra=ui.merge(
            ui.choices(
                **{
                    "1": "Low: a verified email",
                    "2": "Medium: registered for 5 minutes",
                    "3": "High: a member here for 10 minutes",
                    "4": "Highest: a verified phone number",
                }
            ),
            ui.show_if("raise_verification", True),
        ),
    )
    lock_channel_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_LOCK_CHANNELS,
        title="Channels to lock",
        description="In these channels nobody can write while raid mode lasts.",
    )
    min_account_age_days: float = Field(
        default=0,
        ge=0,
        le=3650,
        title="Youngest account allowed",
        description="Accounts created more recently than this are acted on when they join. 0: off.",
        json_schema_extra=ui.duration("days"),
    )
    young_account_action: Literal["timeout", "kick"] = Field(
        default="kick",
        title="Young accounts",
        description="What happens to an account that is too young when it joins.",
        json_schema_extra=ui.choices(timeout="Time them out", kick="Kick them"),
    )
    young_account_timeout_minutes: int = Field(
        default=60,
        ge=1,
        le=MAX_TIMEOUT_MINUTES,
        title="Timeout length for young accounts",
        description="How long a young account stays timed out.",
        json_schema_extra=ui.merge(ui.duration("minutes"), ui.show_if("young_account_action", "timeout")),
    )
