"""Request and response bodies of the REST API (ids travel as strings: they do not fit a JavaScript number)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from wolaro.core.config_service import PREFIX_MAX_LENGTH


class Strict(BaseModel):
    """A request body: unknown fields are refused with 422 naming them."""

    model_config = ConfigDict(extra="forbid")


class UserOut(BaseModel):
    """The logged-in user."""

    id: str
    username: str
    global_name: str | None
    avatar: str | None
    master_admin: bool
    session_expires_at: int


class GuildSummary(BaseModel):
    """A guild the user can open in the dashboard."""

    id: str
    name: str
    icon: str | None
    owner: bool
    access: Literal["member", "master"]


class GuildSettings(BaseModel):
    """Guild-level settings."""

    prefix: str
    language: str
    languages: list[str]
    blacklisted: bool


class SettingsPatch(Strict):
    """Change guild-level settings: every given field is validated before anything is written."""

    prefix: str | None = Field(
        default=None,
        min_length=1,
        max_length=PREFIX_MAX_LENGTH,
        description=f"Command prefix, 1 to {PREFIX_MAX_LENGTH} characters, no spaces",
    )
    language: str | None = Field(
        default=None, min_length=2, max_length=8, description="Language the bot answers in, e.g. en or fr"
    )


class ModuleSummary(BaseModel):
    """A module and whether it runs in this guild."""

    name: str
    description: str
    version: str
    enabled: bool
    can_disable: bool


class ModuleOut(ModuleSummary):
    """A module with its config and the JSON schema of that config (for the settings form)."""

    title: str = Field(default="", max_length=200, description="What people call the module, in their language")
    config: dict[str, Any]
    config_schema: dict[str, Any] = Field(description="JSON schema of `config` (from the module's pydantic model)")


class GuildOverview(BaseModel):
    """A guild's dashboard home: who it is, its settings, its modules."""

    id: str
    name: str
    icon: str | None
    access: Literal["member", "master"]
    settings: GuildSettings
    modules: list[ModuleSummary]


class EnabledIn(Strict):
    """Switch a module on or off."""

    enabled: bool


class BlacklistIn(Strict):
    """Blacklist a guild (the bot ignores it) or lift the blacklist."""

    blacklisted: bool
    reason: str | None = Field(default=None, max_length=500, description="Why (kept in the audit log)")


class AuditEntry(BaseModel):
    """One audit-log row."""

    id: str
    guild_id: str | None
    actor_id: str | None
    action: str
    target: str | None
    before: Any
    after: Any
    created_at: datetime


class AuditPage(BaseModel):
    """A page of the audit log, newest first; pass `next_before` as `before` for the next page."""

    entries: list[AuditEntry]
    next_before: str | None


class ChannelOut(BaseModel):
    """A channel, for pickers."""

    id: str
    name: str | None
    type: int
    position: int
    parent_id: str | None


class RoleOut(BaseModel):
    """A role, for pickers."""

    id: str
    name: str
    color: int
    position: int
    managed: bool


class SyncOut(BaseModel):
    """A forced resync happened."""

    ok: bool
    guild_id: str


class AdminGuild(BaseModel):
    """A guild the bot is in (master-admin view)."""

    id: str
    name: str
    icon: str | None
    owner_id: str | None
    member_count: int | None
    shard_id: int
