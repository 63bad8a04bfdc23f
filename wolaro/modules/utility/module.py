"""Everyday tools: latency, server and user information, avatars."""

from __future__ import annotations

import time
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import Field

from wolaro.modules.utility import service
from wolaro.sdk import ModuleConfig, ModuleSpec, WolaroContext, WolaroModule, hybrid_command


class Config(ModuleConfig):
    """Utility settings."""

    ping_show_shard: bool = Field(
        default=False,
        title="Show the connection number in /ping",
        description="For troubleshooting with support: /ping also says which of the bot's connections answered.",
    )
    embed_colour: int = Field(
        default=0x5865F2,
        ge=0,
        le=0xFFFFFF,
        title="Colour of info cards",
        description="The colour of the side bar of /serverinfo, /userinfo and /avatar cards.",
    )


class Utility(WolaroModule):
    """Everyday tools."""

    @hybrid_command(name="ping")
    async def ping(self, ctx: WolaroContext) -> None:
        """Show the bot's gateway latency and the round trip of a reply."""
        config = await self.config_for(ctx.guild.id, Config) if ctx.guild else Config()
        gateway = service.latency_ms(self.bot.latency)
        started = time.perf_counter()
        message = await ctx.send(ctx.t("Pong! Gateway {gateway} ms.", gateway=gateway))
        round_trip = round((time.perf_counter() - started) * 1000)
        text = ctx.t("Pong! Gateway {gateway} ms, round trip {round_trip} ms.", gateway=gateway, round_trip=round_trip)
        if config.ping_show_shard and ctx.guild is not None:
            text += " " + ctx.t("(shard {shard})", shard=ctx.guild.shard_id)
        if message is not None:
            await message.edit(content=text)

    @hybrid_command(name="serverinfo")
    @commands.guild_only()
    async def serverinfo(self, ctx: WolaroContext) -> None:
        """Show this server's name, owner, size, channels, roles and age."""
        guild = ctx.guild
        assert guild is not None
        config = await self.config_for(guild.id, Config)
        embed = discord.Embed(title=guild.name, colour=config.embed_colour)
        embed.add_field(name=ctx.t("Owner"), value=f"<@{guild.owner_id}>")
        embed.add_field(name=ctx.t("Members"), value=str(guild.member_count or 0))
        embed.add_field(name=ctx.t("Text channels"), value=str(len(guild.text_channels)))
        embed.add_field(name=ctx.t("Voice channels"), value=str(len(guild.voice_channels)))
        embed.add_field(name=ctx.t("Roles"), value=str(len(guild.roles)))
        embed.add_field(name=ctx.t("Created"), value=discord.utils.format_dt(guild.created_at, "R"))
        embed.set_footer(text=f"ID {guild.id}")
        if guild.icon:
            embed.set_thumbnail(url=guild.icon.url)
        await ctx.embed(embed)

    @hybrid_command(name="userinfo")
    @commands.guild_only()
    @app_commands.describe(member="Whom to show (yourself if empty)")
    async def userinfo(self, ctx: WolaroContext, member: discord.Member | None = None) -> None:
        """Show a member's account age, join date and roles."""
        target = member or ctx.author
        assert isinstance(target, discord.Member) and ctx.guild is not None
        config = await self.config_for(ctx.guild.id, Config)
        embed = discord.Embed(title=str(target), colour=config.embed_colour)
        embed.add_field(name=ctx.t("Account created"), value=discord.utils.format_dt(target.created_at, "R"))
        if target.joined_at:
            embed.add_field(name=ctx.t("Joined"), value=discord.utils.format_dt(target.joined_at, "R"))
        roles = [role.mention for role in reversed(target.roles) if not role.is_default()]
        embed.add_field(name=ctx.t("Roles"), value=" ".join(roles[:20]) or ctx.t("none"), inline=False)
        embed.set_thumbnail(url=target.display_avatar.url)
        embed.set_footer(text=f"ID {target.id}")
        await ctx.embed(embed)

    @hybrid_command(name="avatar")
    @app_commands.describe(user="Whose avatar (yours if empty)")
    async def avatar(self, ctx: WolaroContext, user: discord.User | None = None) -> None:
        """Show a user's avatar in full size."""
        target = user or ctx.author
        embed = discord.Embed(title=ctx.t("Avatar of {user}", user=str(target)))
        embed.set_image(url=target.display_avatar.with_size(1024).url)
        await ctx.embed(embed)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="utility",
    description="Everyday tools: ping, server and user info, avatars.",
    version="1.0.0",
    config=Config,
    enabled_by_default=True,
    title="Utility",
    cogs=(Utility,),
    locales=HERE / "locales",
)
