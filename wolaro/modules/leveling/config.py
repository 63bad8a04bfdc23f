"""The settings a server admin chooses for leveling (every value bounded, ids as Discord snowflakes)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wolaro.sdk import ModuleConfig, SnowflakeId

NAME = "leveling"
MAX_LEVEL = 1000
"""The highest level any curve may reach (the thresholds are computed up to it)."""
MAX_LIST = 100
"""Channels, roles, multipliers and rewards a server lists, at most."""
MAX_TEMPLATE = 500

Curve = Literal["mee6", "linear", "exponential"]
Announce = Literal["same_channel", "channel", "dm", "off"]


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleReward(_Item):
    """A role a member gets on reaching a level."""

    level: int = Field(ge=1, le=MAX_LEVEL, title="Level", description="The level at which members get the role")
    role_id: SnowflakeId = Field(title="Role", description="The role they get")


class ChannelMultiplier(_Item):
    """XP earned in a channel is multiplied by this."""

    channel_id: SnowflakeId = Field(title="Channel", description="The channel (or category) this applies to")
    multiplier: float = Field(
        ge=0, le=10, title="Multiplier", description="1 is normal, 2 doubles the XP, 0.5 halves it"
    )


class RoleMultiplier(_Item):
    """XP earned by members with a role is multiplied by this."""

    role_id: SnowflakeId = Field(title="Role", description="Members with this role")
    multiplier: float = Field(
        ge=0, le=10, title="Multiplier", description="1 is normal, 2 doubles the XP, 0.5 halves it"
    )


class Config(ModuleConfig):
    """Leveling settings of one server."""

    xp_min: int = Field(
        default=15, ge=0, le=1000, title="Least XP per message", description="The smallest XP a message earns"
    )
    xp_max: int = Field(
        default=25,
        ge=0,
        le=1000,
        title="Most XP per message",
        description="The largest XP a message earns (each message earns a random amount between the two)",
    )
    cooldown_seconds: int = Field(
        default=60,
        ge=0,
        le=3600,
        title="Seconds between rewarded messages",
        description="A member earns XP for one message in this time; the messages in between earn nothing",
    )
    voice_xp_per_minute: int = Field(
        default=0,
        ge=0,
        le=1000,
        title="XP per minute in voice",
        description="XP for each minute in a voice channel, unmuted, not deafened, not in the AFK channel and with "
        "someone else there (0: no XP for voice)",
    )
    no_xp_channel_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        title="Channels without XP",
        description="Messages here (or in these categories) earn nothing",
    )
    no_xp_role_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        title="Roles without XP",
        description="Members with one of these roles earn nothing",
    )
    channel_multipliers: list[ChannelMultiplier] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        title="Channel boosts",
        description="More (or less) XP in some channels",
    )
    role_multipliers: list[RoleMultiplier] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        title="Role boosts",
        description="More (or less) XP for members with some roles (the largest of their boosts counts)",
    )
    curve: Curve = Field(
        default="mee6",
        title="Level curve",
        description="How much XP each level takes: mee6 (5 × level² + 50 × level + 100, like MEE6), linear "
        "(the same amount more each level) or exponential (a percentage more each level)",
    )
    linear_base: int = Field(
        default=100,
        ge=1,
        le=1_000_000,
        title="Linear: XP for level 1",
        description="With the linear curve, the XP from level 0 to 1",
    )
    linear_step: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        title="Linear: more XP each level",
        description="With the linear curve, how much more each next level takes",
    )
    exponential_base: int = Field(
        default=100,
        ge=1,
        le=1_000_000,
        title="Exponential: XP for level 1",
        description="With the exponential curve, the XP from level 0 to 1",
    )
    exponential_growth: float = Field(
        default=1.2,
        ge=1,
        le=3,
        title="Exponential: growth per level",
        description="With the exponential curve, each level takes this many times the previous one (1.2: 20% more)",
    )
    curve_multiplier: float = Field(
        default=1.0,
        ge=0.1,
        le=10,
        title="Curve multiplier",
        description="Every level takes this many times the XP of the curve (2: twice as long)",
    )
    max_level: int = Field(
        default=100, ge=1, le=MAX_LEVEL, title="Highest level", description="Nobody levels up past this level"
    )
    announce: Announce = Field(
        default="same_channel",
        title="Level-up announcement",
        description="Where a level-up is announced: in the channel of the message, in a chosen channel, "
        "by direct message, or nowhere",
    )
    announce_channel_id: SnowflakeId | None = Field(
        default=None,
        title="Announcement channel",
        description="The channel for level-up announcements, when you chose a channel",
    )
    announce_template: str = Field(
        default="GG {user}, you reached level {level}!",
        min_length=1,
        max_length=MAX_TEMPLATE,
        title="Announcement text",
        description="The level-up message; {user} mentions the member, {level} is the new level, "
        "{guild} the server's name",
    )
    role_rewards: list[RoleReward] = Field(
        default_factory=list,
        max_length=MAX_LIST,
        title="Role rewards",
        description="Roles members get on reaching a level",
    )
    stack_rewards: bool = Field(
        default=True,
        title="Keep earlier reward roles",
        description="On: members keep the roles of every level they reached. Off: they keep only the highest one",
    )
    public_leaderboard: bool = Field(
        default=False,
        title="Public leaderboard",
        description="Anyone with the link may see this server's leaderboard, without logging in",
    )

    @model_validator(mode="after")
    def _coherent(self) -> Config:
        if self.xp_min > self.xp_max:
            raise ValueError("The smallest amount of XP per message cannot be more than the largest.")
        if self.announce == "channel" and self.announce_channel_id is None:
            raise ValueError("Choose the channel for announcements, or another place for them.")
        return self
