"""Where each kind of server event is posted, and what is never logged."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from wolaro.sdk import ModuleConfig, SnowflakeId

MAX_IGNORED = 100


class Category(StrEnum):
    """A kind of event, posted to its own channel."""

    MESSAGES = "messages"
    MEMBERS = "members"
    BANS = "bans"
    MEMBER_CHANGES = "member_changes"
    SERVER = "server"
    VOICE = "voice"


def _channel(title: str, description: str) -> SnowflakeId | None:
    return Field(default=None, title=title, description=description, json_schema_extra={"x-picker": "channel"})


class Config(ModuleConfig):
    """Server log settings: one channel per kind of event (empty: that kind is not logged)."""

    messages_channel_id: SnowflakeId | None = _channel(
        "Messages", "Edited and deleted messages, and messages deleted in bulk. Empty: not logged."
    )
    members_channel_id: SnowflakeId | None = _channel(
        "Arrivals and departures", "Members who join or leave the server. Empty: not logged."
    )
    bans_channel_id: SnowflakeId | None = _channel("Bans", "Members banned and unbanned. Empty: not logged.")
    member_changes_channel_id: SnowflakeId | None = _channel(
        "Roles and nicknames", "Roles given or taken, and nickname changes. Empty: not logged."
    )
    server_channel_id: SnowflakeId | None = _channel(
        "Channels and roles", "Channels and roles created, changed or deleted. Empty: not logged."
    )
    voice_channel_id: SnowflakeId | None = _channel(
        "Voice", "Members joining, leaving and moving between voice channels. Empty: not logged."
    )
    ignored_channel_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_IGNORED,
        title="Channels not logged",
        description="Messages and voice activity in these channels (or categories) are never logged.",
        json_schema_extra={"x-picker": "channel"},
    )
    ignored_user_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_IGNORED,
        title="Members not logged",
        description="What these members do is never logged (their Discord user ids).",
    )

    def channel_for(self, category: Category) -> int | None:
        """The channel a category is posted to (None: not logged)."""
        value: int | None = getattr(self, f"{category.value}_channel_id")
        return value
