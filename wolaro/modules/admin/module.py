"""Platform administration for the bot's master admins: blacklists, module reloads and bot statistics."""

from __future__ import annotations

import time
from pathlib import Path

import discord
import psutil
from discord import app_commands

from wolaro.modules.admin import service
from wolaro.sdk import (
    ModuleSpec,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    hybrid_group,
    is_snowflake,
    master_admin_only,
)


def _guild_id(raw: str) -> int:
    try:
        guild_id = service.parse_guild_id(raw)
    except ValueError:
        guild_id = 0
    if not is_snowflake(guild_id):  # 20 digits can pass 2**63 - 1, which no database column holds
        raise UserFacingError("`{value}` is not a server id.", value=raw)
    return guild_id


class Admin(WolaroModule):
    """Master-admin tools."""

    @hybrid_group(name="admin", fallback="stats")
    @master_admin_only()
    async def admin(self, ctx: WolaroContext) -> None:
        """Show the bot's guilds, shards, latency, uptime, memory and command count (master admins)."""
        stats = service.BotStats(
            guilds=len(self.bot.guilds),
            shards=self.bot.shard_count or 1,
            latency_ms=service.gateway_latency_ms(self.bot.latency),
            uptime_s=time.time() - self.bot.started_at,
            rss_mb=psutil.Process().memory_info().rss / 2**20,
            commands_run=self.bot.commands_run,
            config_hit_rate=self.bot.config.stats()["local_hit_rate"],
            modules=len(self.bot.loader.modules),
        )
        embed = discord.Embed(title=ctx.t("Bot statistics"), colour=discord.Colour.dark_teal())
        embed.add_field(name=ctx.t("Servers"), value=str(stats.guilds))
        embed.add_field(name=ctx.t("Shards"), value=str(stats.shards))
        embed.add_field(name=ctx.t("Latency"), value=f"{stats.latency_ms} ms")
        embed.add_field(name=ctx.t("Uptime"), value=service.format_uptime(stats.uptime_s))
        embed.add_field(name=ctx.t("Memory"), value=f"{stats.rss_mb:.1f} MiB")
        embed.add_field(name=ctx.t("Commands run"), value=str(stats.commands_run))
        embed.add_field(name=ctx.t("Config cache hit rate"), value=f"{stats.config_hit_rate:.1%}")
        embed.add_field(name=ctx.t("Modules"), value=str(stats.modules))
        await ctx.embed(embed, ephemeral=True)

    @admin.subcommand(name="blacklist")
    @master_admin_only()
    @app_commands.describe(guild_id="The server's id", reason="Why (kept in the audit log)")
    async def blacklist(self, ctx: WolaroContext, guild_id: str, *, reason: str | None = None) -> None:
        """Blacklist a server: the bot ignores it until unblacklisted (master admins)."""
        target = _guild_id(guild_id)
        await self.bot.config.set_blacklisted(target, True, reason=reason, actor_id=ctx.author.id)
        await ctx.answer("Server `{guild_id}` is blacklisted.", guild_id=target, ephemeral=True)

    @admin.subcommand(name="unblacklist")
    @master_admin_only()
    @app_commands.describe(guild_id="The server's id")
    async def unblacklist(self, ctx: WolaroContext, guild_id: str) -> None:
        """Lift a server's blacklist (master admins)."""
        target = _guild_id(guild_id)
        await self.bot.config.set_blacklisted(target, False, reason=None, actor_id=ctx.author.id)
        await ctx.answer("Server `{guild_id}` is no longer blacklisted.", guild_id=target, ephemeral=True)

    @admin.subcommand(name="reload")
    @master_admin_only()
    @app_commands.describe(module="The module to reload from disk")
    async def reload(self, ctx: WolaroContext, module: str) -> None:
        """Reload a module's code without restarting the bot (master admins)."""
        name = module.lower()
        if name not in self.bot.loader.modules:
            raise UserFacingError("No loaded module called `{module}`.", module=module)
        started = time.perf_counter()
        await self.bot.loader.reload(name)
        elapsed = round((time.perf_counter() - started) * 1000)
        await ctx.answer("Module `{module}` reloaded in {ms} ms.", module=name, ms=elapsed, ephemeral=True)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="admin",
    description="Platform administration for the bot's master admins.",
    version="1.0.0",
    can_disable=False,
    enabled_by_default=True,
    title="Platform admin",
    cogs=(Admin,),
    locales=HERE / "locales",
    audit_labels={
        "guild.blacklist": "Server blacklisted",
        "guild.unblacklist": "Blacklist lifted",
        "admin.guild_access": "Master admin access",
    },
)
