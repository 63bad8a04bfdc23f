"""Welcome's settings: where and what to say on joins and leaves, the card, roles on join and sticky roles."""

from __future__ import annotations

from pydantic import Field

from wolaro.sdk import ModuleConfig, SnowflakeId

MESSAGE_MAX = 2000
DEFAULT_JOIN = "Welcome {mention} to **{guild}**! You are member #{count}."
DEFAULT_LEAVE = "**{user}** left {guild}. We are {count} now."


class Config(ModuleConfig):
    """A server's welcome settings."""

    join_channel_id: SnowflakeId | None = Field(
        default=None, title="Welcome channel", description="Where new members are greeted (none: no message)."
    )
    join_dm: bool = Field(
        default=False, title="Greet by DM", description="Send the welcome message to the new member by DM instead."
    )
    join_message: str = Field(
        default=DEFAULT_JOIN,
        max_length=MESSAGE_MAX,
        title="Welcome message",
        description="Placeholders: {user}, {mention}, {display_name}, {guild}, {count} (member number), {created}.",
    )
    join_embed: bool = Field(default=False, title="Welcome as a card", description="Send the message in an embed.")
    join_image: bool = Field(
        default=False,
        title="Welcome image",
        description="Add a picture with the member's avatar, name and member number (and your background).",
    )
    leave_channel_id: SnowflakeId | None = Field(
        default=None, title="Goodbye channel", description="Where departures are announced (none: no message)."
    )
    leave_message: str = Field(
        default=DEFAULT_LEAVE, max_length=MESSAGE_MAX, title="Goodbye message", description="Same placeholders."
    )
    autoroles: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=10,
        title="Roles for new members",
        description="Given to every new member.",
        json_schema_extra={"x-picker": "role"},
    )
    bot_roles: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=10,
        title="Roles for bots",
        description="Given to bots that are added.",
        json_schema_extra={"x-picker": "role"},
    )
    autorole_delay_seconds: int = Field(
        default=0,
        ge=0,
        le=7 * 86400,
        title="Wait before giving roles",
        description="Seconds to wait before new members get their roles (0: at once).",
    )
    sticky_roles: bool = Field(
        default=False,
        title="Give roles back on return",
        description="When someone leaves and comes back, give them back the roles they had.",
    )
