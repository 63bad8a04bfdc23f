"""What a failed command tells its user: one clear reply per kind of failure, and what the bot records of it.

`answer_command_error` is the bot's one error path for prefix and slash commands (`WolaroBot.on_command_error`):
it unwraps discord.py's wrappers, replies (ephemerally for slash commands, through `ctx.refuse`, so the reply is
translated) and returns the status to record, or None when the failure is not recorded as a command run.
"""

from __future__ import annotations

import uuid
from typing import Any

from discord import app_commands
from discord.ext import commands

from wolaro.core.config_service import ConfigError
from wolaro.core.context import WolaroContext
from wolaro.core.errors import GuildBlacklisted, ModuleDisabled, UserFacingError
from wolaro.data.database import is_unavailable
from wolaro.logging import get_logger

log = get_logger(__name__)

#: What the bot records of an answered failure: its status and an optional detail (message, error id).
Outcome = tuple[str, str | None]


async def answer_command_error(ctx: WolaroContext, error: commands.CommandError) -> Outcome | None:
    """Reply to `error` in `ctx`; the status to record, None if the failure is not recorded."""
    if isinstance(error, commands.CommandNotFound):
        return None
    if isinstance(error, commands.HybridCommandError | commands.CommandInvokeError):
        original = unwrap(error)
        if isinstance(original, ConfigError | app_commands.TransformerError):
            return await _invalid_value(ctx, original)
        if isinstance(original, commands.CommandError):
            error = original
    if isinstance(error, ModuleDisabled | GuildBlacklisted):
        await _refused_server(ctx, error)
        return None
    if isinstance(error, UserFacingError):
        await _reply(ctx, error.msgid, **error.fields)
        return "denied", error.msgid
    if isinstance(error, commands.UserInputError):
        usage = f"{ctx.clean_prefix}{ctx.command.qualified_name} {ctx.command.signature}" if ctx.command else ""
        await _reply(ctx, "Invalid input: {error}\nUsage: `{usage}`", error=str(error), usage=usage.strip())
        return "invalid", str(error)
    if isinstance(error, commands.CheckFailure):
        await _reply(ctx, "You can't use this command here.")
        return "denied", str(error)
    if is_unavailable(error):
        return await _unavailable(ctx, error)
    return await _unexpected(ctx, error)


def unwrap(error: commands.HybridCommandError | commands.CommandInvokeError) -> BaseException:
    """The exception a command raised, out of discord.py's hybrid and invoke wrappers."""
    original: BaseException = getattr(error, "original", error)
    if isinstance(original, app_commands.CommandInvokeError):
        original = original.original
    return original


async def _invalid_value(ctx: WolaroContext, error: ConfigError | app_commands.TransformerError) -> Outcome:
    """A config value or a slash-command option that could not be read: name the field."""
    if isinstance(error, ConfigError):  # the setting by its title, the problem in a sentence, both translated
        problem = error.problems[0]
        field = " › ".join(ctx.t(part) for part in problem.label) if problem.label else error.field
        await _reply(
            ctx, "Invalid value for {field}: {message}", field=field, message=ctx.t(problem.msgid, **problem.values)
        )
    else:
        await _reply(ctx, "Invalid value for {field}: {message}", field=error.type.name, message=str(error))
    return "invalid", None


async def _refused_server(ctx: WolaroContext, error: ModuleDisabled | GuildBlacklisted) -> None:
    """A module switched off or a blacklisted server: said to slash commands only, prefix commands stay silent."""
    if ctx.interaction is None:
        return
    if isinstance(error, ModuleDisabled):
        await _reply(ctx, "The {module} module is disabled in this server.", module=error.module)
    else:
        await _reply(ctx, "This server is blacklisted from using the bot.")


async def _unavailable(ctx: WolaroContext, error: commands.CommandError) -> Outcome:
    """The database is down: nothing was done, and the user can try again later."""
    log.warning(
        "command failed: the database is unavailable",
        command=ctx.command.qualified_name if ctx.command else None,
        guild_id=ctx.guild.id if ctx.guild else None,
        error=repr(getattr(error, "original", error)),
    )
    await _reply(
        ctx,
        "The data store is unavailable right now, so nothing was done. Please try again in a few minutes.",
    )
    return "unavailable", None


async def _unexpected(ctx: WolaroContext, error: commands.CommandError) -> Outcome:
    """A bug: logged with its traceback under a short id that the reply gives the user to quote."""
    error_id = uuid.uuid4().hex[:8]
    log.error(
        "command failed",
        command=ctx.command.qualified_name if ctx.command else None,
        error_id=error_id,
        guild_id=ctx.guild.id if ctx.guild else None,
        exc_info=error,
    )
    await _reply(ctx, "Something went wrong (error {error_id}). The team has been told.", error_id=error_id)
    return "error", error_id


async def _reply(ctx: WolaroContext, message: str, /, **fields: Any) -> None:
    """Refuse with `message` (translated); the error path never raises again (e.g. Discord unreachable)."""
    try:
        await ctx.refuse(message, **fields)
    except Exception as exc:
        log.warning("could not deliver error reply", guild_id=ctx.guild.id if ctx.guild else None, error=repr(exc))
