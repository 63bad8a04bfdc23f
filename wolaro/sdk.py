"""Wolaro's public SDK: everything a module (built-in or published on its own) imports from the platform.

A module is a package with a `ModuleSpec` named by an entry point in the group `wolaro.modules`::

    [project.entry-points."wolaro.modules"]
    counting = "wolaro_counting.module:SPEC"

Importing from here, not from Wolaro's internals, keeps a module working as the platform's insides change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wolaro.core.commands import hybrid_command, hybrid_group
from wolaro.core.config_service import GuildConfig
from wolaro.core.context import WolaroContext
from wolaro.core.errors import UserFacingError
from wolaro.core.module import GUILD_EVENTS, WolaroModule
from wolaro.core.permissions import ensure_guild_admin, guild_admin_only, master_admin_only
from wolaro.core.privacy import UserData
from wolaro.core.registry import EmptyConfig, ModuleConfig, ModuleSpec, Panel
from wolaro.core.snowflake import SnowflakeId, is_snowflake
from wolaro.data.database import Database
from wolaro.data.models import Base, JSONType, Snowflake, UTCDateTime, utcnow
from wolaro.jobs import JobContext, JobHandler, PermanentJobError
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.web.deps import ManagedGuild, WebDep

__all__ = [
    "GUILD_EVENTS",
    "Base",
    "Database",
    "EmptyConfig",
    "GuildConfig",
    "JSONType",
    "JobContext",
    "JobHandler",
    "ManagedGuild",
    "ModuleConfig",
    "ModuleSpec",
    "Panel",
    "PermanentJobError",
    "Snowflake",
    "SnowflakeId",
    "UTCDateTime",
    "UserData",
    "UserFacingError",
    "WebDep",
    "WolaroContext",
    "WolaroModule",
    "ensure_guild_admin",
    "get_logger",
    "guild_admin_only",
    "hybrid_command",
    "hybrid_group",
    "is_snowflake",
    "master_admin_only",
    "utcnow",
]


def __getattr__(name: str) -> object:
    """The dashboard's dependencies for a module's API router, imported only when a module asks for them.

    `ManagedGuild` (the caller may manage the guild in the path) and `WebDep` (the dashboard's services) come from
    the web layer, which a bot or worker process need not load.
    """
    if name in ("ManagedGuild", "WebDep"):
        from wolaro.web import deps

        return getattr(deps, name)
    raise AttributeError(f"module 'wolaro.sdk' has no attribute {name!r}")
