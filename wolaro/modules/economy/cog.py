"""The base of the economy's Cogs: the server's settings at hand, and members' names remembered after each command."""

from __future__ import annotations

from typing import Any

import discord

from wolaro.modules.economy import people
from wolaro.modules.economy.config import Config
from wolaro.sdk import WolaroContext, WolaroModule, get_logger

log = get_logger(__name__)

#: Commands that never create an account: after them, "this member has no account" is still true.
READ_ONLY_COMMANDS = frozenset({"balance", "leaderboard", "inventory", "shop", "shop list", "economy", "economy show"})


class EconomyCog(WolaroModule):
    """Shared by the economy's Cogs."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.names = people.RecentNames()

    async def settings(self, ctx: WolaroContext) -> Config:
        """The server's economy settings."""
        assert ctx.guild is not None
        return await self.config_for(ctx.guild.id, Config)

    async def cog_after_invoke(self, ctx: WolaroContext) -> None:  # type: ignore[override]
        """Remember the names and pictures of the author and of any member the command named (public leaderboard)."""
        if ctx.guild is None:
            return
        named = [value for value in (*ctx.args, *ctx.kwargs.values()) if isinstance(value, discord.Member)]
        found = [people.person_of(m) for m in (ctx.author, *named) if not m.bot]
        reads_only = ctx.command is not None and ctx.command.qualified_name in READ_ONLY_COMMANDS
        fresh = self.names.unknown(ctx.guild.id, found, trust_absent=reads_only)
        if not fresh:
            return
        try:
            with_account = await people.remember(self.bot.services.db, ctx.guild.id, fresh)
            self.names.learn(ctx.guild.id, fresh, with_account)
        except Exception:  # a name is a nicety: never fail the command for it
            log.exception("economy: names not remembered", guild_id=ctx.guild.id)
