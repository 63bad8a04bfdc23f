"""The settings a server admin chooses for the counting game (every value bounded, ids as Discord snowflakes)."""

from __future__ import annotations

from pydantic import Field

from wolaro.sdk import ModuleConfig, SnowflakeId


class Config(ModuleConfig):
    """Counting settings of one server (the game is off until an admin enables the module and picks a channel)."""

    channel_id: SnowflakeId | None = Field(
        default=None,
        title="Counting channel",
        description="The channel where members count. Empty: nowhere yet.",
    )
    reset_on_mistake: bool = Field(
        default=True,
        title="Start again after a mistake",
        description="A wrong number, or the same member twice in a row, starts the count again at 0.",
    )
    allow_same_member_twice: bool = Field(
        default=False, title="Count twice in a row", description="Let a member count two numbers in a row."
    )
