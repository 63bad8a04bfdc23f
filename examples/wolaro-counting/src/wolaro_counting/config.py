"""The settings a server admin chooses for the counting game (every value bounded, ids as Discord snowflakes)."""

from __future__ import annotations

from pydantic import Field

from wolaro.sdk import ModuleConfig, SnowflakeId


class Config(ModuleConfig):
    """Counting settings of one server (the game is off until an admin enables the module and picks a channel)."""

    channel_id: SnowflakeId | None = Field(
        default=None, description="The channel where members count (leave empty: nowhere yet)"
    )
    reset_on_mistake: bool = Field(
        default=True, description="A wrong number, or the same member twice in a row, starts the count again at 0"
    )
    allow_same_member_twice: bool = Field(default=False, description="Let a member count two numbers in a row")
