"""What a server owner chooses for statistics: timezone, how long data is kept, and stat channels."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wolaro.sdk import ModuleConfig, SnowflakeId, ui

MAX_STAT_CHANNELS = 10
MAX_TEMPLATE = 90
MAX_IGNORED_CHANNELS = 100


class Figure(StrEnum):
    """The live figure a stat channel shows."""

    MEMBERS = "members"
    HUMANS = "humans"
    ONLINE = "online"
    MESSAGES_TODAY = "messages_today"


class StatChannel(BaseModel):
    """A voice channel whose name shows a live figure, e.g. `Members: {value}`."""

    model_config = ConfigDict(extra="forbid")

    channel_id: SnowflakeId = Field(
        title="Channel", description="The voice channel to rename", json_schema_extra={"x-picker": "channel"}
    )
    figure: Figure = Field(
        default=Figure.MEMBERS,
        title="Figure",
        description="What it shows: members, humans (members who are not bots), online members or messages today",
        json_schema_extra=ui.choices(
            members="Members",
            humans="Members who are not bots",
            online="Members online",
            messages_today="Messages today",
        ),
    )
    template: str = Field(
        default="Members: {value}",
        min_length=1,
        max_length=MAX_TEMPLATE,
        title="Name",
        description="The channel's name, where {value} is replaced by the figure",
    )

    @field_validator("template")
    @classmethod
    def _has_value(cls, value: str) -> str:
        if "{value}" not in value:
            raise ValueError("The name must contain {value}, where the figure goes.")
        return value.strip()


def _valid_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("Enter a time zone such as Europe/Paris, America/New_York or UTC.") from None
    return value


class Config(ModuleConfig):
    """The statistics settings of one server."""

    timezone: str = Field(
        default="UTC",
        min_length=1,
        max_length=64,
        title="Timezone",
        description="The timezone your server's days are counted in, e.g. Europe/Paris",
    )
    hourly_days: int = Field(
        default=90,
        ge=1,
        le=365,
        title="Hour-by-hour detail kept (days)",
        description="How many days of hour-by-hour activity are kept; older activity stays as daily totals",
    )
    retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        title="Statistics kept (days)",
        description="How many days of daily totals are kept; older statistics are deleted",
    )
    count_deafened: bool = Field(
        default=False,
        title="Count deafened time",
        description="Count time in voice while a member is deafened (off: only time they can hear counts)",
    )
    count_online: bool = Field(
        default=False,
        title="Count members online",
        description="Record how many members are online each hour (the bot's host must switch presences on)",
    )
    ignored_channels: Annotated[
        list[SnowflakeId], Field(max_length=MAX_IGNORED_CHANNELS), Field(json_schema_extra={"x-picker": "channel"})
    ] = Field(
        default_factory=list,
        title="Channels not counted",
        description="Messages and voice time in these channels are not counted",
    )
    stat_channels: list[StatChannel] = Field(
        default_factory=list,
        max_length=MAX_STAT_CHANNELS,
        title="Stat channels",
        description="Voice channels whose names show a live figure, renamed at most every 5 minutes",
    )

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return _valid_timezone(value.strip())
