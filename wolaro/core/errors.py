"""Refusals a user sees: each carries an English message (a catalog msgid) and its fields."""

from __future__ import annotations

from typing import Any

from discord.ext import commands


class UserFacingError(commands.CheckFailure):
    """A refusal shown to the user as an ephemeral reply, translated to the guild's language."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message.format(**fields) if fields else message)
        self.msgid = message
        self.fields = fields


class ModuleDisabled(commands.CheckFailure):
    """The command's module is switched off in this guild: prefix calls are ignored, slash calls told so."""

    def __init__(self, module: str) -> None:
        super().__init__(f"module {module} is disabled")
        self.module = module


class GuildBlacklisted(commands.CheckFailure):
    """The guild is blacklisted: the bot ignores it."""


class RateLimited(UserFacingError):
    """Too many calls: says when to try again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("Slow down: try again in {seconds:.1f} s.", seconds=retry_after)
        self.retry_after = retry_after
