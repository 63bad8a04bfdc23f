"""Wolaro's public SDK: everything a module (built-in or published on its own) imports from the platform.

A module is a package with a `ModuleSpec` named by an entry point in the group `wolaro.modules`::

    [project.entry-points."wolaro.modules"]
    counting = "wolaro_counting.module:SPEC"

Importing from here, not from Wolaro's internals, keeps a module working as the platform's insides change.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.core import command_access
from wolaro.core import config_ui as ui
from wolaro.core.chat import ChatMessage
from wolaro.core.command_access import CommandRule
from wolaro.core.commands import hybrid_command, hybrid_group
from wolaro.core.config_edit import edit_module_config
from wolaro.core.config_errors import FieldValueError
from wolaro.core.config_service import ConfigError, GuildConfig
from wolaro.core.context import WolaroContext
from wolaro.core.errors import UserFacingError
from wolaro.core.i18n import format_number
from wolaro.core.jsonsafe import jsonable
from wolaro.core.module import GUILD_EVENTS, WolaroModule
from wolaro.core.permissions import ensure_guild_admin, guild_admin_only, guild_permissions, master_admin_only
from wolaro.core.privacy import ERASED_CHANNEL, UserData, scrub_text
from wolaro.core.registry import EmptyConfig, ModuleConfig, ModuleSpec, Panel
from wolaro.core.snowflake import SnowflakeId, is_snowflake
from wolaro.core.templates import (
    TemplateBudget,
    TemplateError,
    compile_template,
    register_filter,
    render_template,
    render_template_async,
    session_of,
)
from wolaro.data.database import Database, is_unavailable
from wolaro.data.guilds import add_audit, load_guild
from wolaro.data.models import Base, JSONType, Snowflake, UTCDateTime, utcnow
from wolaro.jobs import JobContext, JobHandler, PermanentJobError
from wolaro.jobs.ending import EndingRows
from wolaro.logging import get_logger
from wolaro.tasks import cancel_and_wait, every

if TYPE_CHECKING:
    from wolaro.web.deps import GuildVisitor, ManagedGuild, WebDep
    from wolaro.web.language import request_language
    from wolaro.web.names import request_names

__all__ = [
    "ERASED_CHANNEL",
    "GUILD_EVENTS",
    "Base",
    "ChatMessage",
    "CommandRule",
    "ConfigError",
    "Database",
    "EmptyConfig",
    "EndingRows",
    "FieldValueError",
    "GuildConfig",
    "GuildVisitor",
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
    "TemplateBudget",
    "TemplateError",
    "UTCDateTime",
    "UserData",
    "UserFacingError",
    "WebDep",
    "WolaroContext",
    "WolaroModule",
    "cancel_and_wait",
    "command_access",
    "compile_template",
    "edit_module_config",
    "ensure_guild_admin",
    "every",
    "format_number",
    "get_logger",
    "guild_admin_only",
    "guild_permissions",
    "hybrid_command",
    "hybrid_group",
    "is_snowflake",
    "is_unavailable",
    "jsonable",
    "master_admin_only",
    "record_audit",
    "register_filter",
    "render_template",
    "render_template_async",
    "request_language",
    "request_names",
    "scrub_text",
    "session_of",
    "stored_module_config",
    "ui",
    "utcnow",
]


_ACTION = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")
ACTION_MAX = 64
"""The longest audit action the audit log keeps."""


def record_audit(
    session: AsyncSession,
    *,
    module: str,
    guild_id: int | None,
    actor_id: int | None,
    action: str,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Record a change in the server's audit log, in the caller's transaction (the change and its record together).

    `action` must read `<module>.<what>` (lowercase), so a module writes only its own kind of rows; give it a label
    in the spec's `audit_labels` for the dashboard's audit page. `actor_id` is who made the change (None: the bot
    on its own); `target` what it was made to (a person as `user:<id>`, which `/privacy delete` recognises);
    `before` and `after` are stored as JSON (`jsonable`: ids past 2**53 as text, instants in ISO 8601). A bad
    action raises `ValueError`: it is a mistake in the module, not the user's.
    """
    if not action.startswith(f"{module}.") or not _ACTION.fullmatch(action) or len(action) > ACTION_MAX:
        raise ValueError(
            f"audit action {action!r} must read '{module}.<what>' (lowercase letters, digits, _; at most {ACTION_MAX})"
        )
    add_audit(
        session,
        guild_id=guild_id,
        actor_id=actor_id,
        action=action,
        target=target,
        before=None if before is None else jsonable(before),
        after=None if after is None else jsonable(after),
    )


async def stored_module_config(db: Database, guild_id: int, module: str) -> dict[str, Any]:
    """A module's settings as a guild stored them ({} if never changed; defaults are not filled in).

    For code that has the database but not the bot's config service at hand, such as a `public.py` function
    another module calls; commands and handlers read their config with `config_for` or the `GuildConfig` instead.
    """
    async with db.session() as session:
        record = await load_guild(session, guild_id)
    if record is None or module not in record.modules:
        return {}
    return dict(record.modules[module][1])


def __getattr__(name: str) -> object:
    """The dashboard's dependencies for a module's API router, imported only when a module asks for them.

    `ManagedGuild` (the caller may manage the guild in the path), `GuildVisitor` (any logged-in caller; the route
    checks its own rule) and `WebDep` (the dashboard's services) come from
    the web layer, which a bot or worker process need not load.
    """
    if name in ("GuildVisitor", "ManagedGuild", "WebDep"):
        from wolaro.web import deps

        return getattr(deps, name)
    if name == "request_names":  # names for ids on a module's own dashboard routes
        from wolaro.web import names

        return getattr(names, name)
    if name == "request_language":  # the language a module's own dashboard route answers in
        from wolaro.web import language

        return getattr(language, name)
    raise AttributeError(f"module 'wolaro.sdk' has no attribute {name!r}")
