"""`/tickets ...`: what admins do from chat (the dashboard edits the same settings): panels, kinds, statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.tickets import discord_io, interactions, store
from wolaro.modules.tickets.config import Config, PanelSettings
from wolaro.modules.tickets.discord_io import ButtonSpec
from wolaro.modules.tickets.lifecycle import Desk
from wolaro.modules.tickets.service import custom_id, staff_stats
from wolaro.sdk import UserFacingError, WolaroContext, guild_admin_only, hybrid_group

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

MODULE = "tickets"


def panel_message(desk: Desk, panel: PanelSettings) -> tuple[discord.Embed, discord.ui.View]:
    """A panel's embed and its buttons (or menu), with custom ids that stay valid across restarts."""
    offered = desk.config.offered(panel)
    if not offered:
        raise UserFacingError("This panel offers no kind of ticket yet: add one with /tickets kind first.")
    embed = discord.Embed(title=panel.title, description=panel.description, colour=discord.Colour.blurple())
    if panel.style == "menu":
        options = [(c.key, c.name, c.description, c.emoji) for c in offered]
        return embed, discord_io.menu_view(custom_id("menu", panel.key), desk.t("Choose what it is about"), options)
    buttons = [
        ButtonSpec(custom_id("open", panel.key, c.key), c.name, discord.ButtonStyle.primary, c.emoji) for c in offered
    ]
    return embed, discord_io.buttons_view(buttons)


class AdminCommands:
    """Mixin of the tickets Cog: set-up and statistics."""

    bot: WolaroBot

    async def _save(self, ctx: WolaroContext, changes: dict[str, object]) -> Config:
        assert ctx.guild is not None
        saved = await self.bot.config.update_module_config(ctx.guild.id, MODULE, changes, actor_id=ctx.author.id)
        return Config.model_validate(saved)

    @hybrid_group(name="tickets", fallback="list")
    @commands.guild_only()
    @guild_admin_only()
    async def tickets(self, ctx: WolaroContext) -> None:
        """List the kinds of ticket and the panels of this server (Manage Server)."""
        assert ctx.guild is not None
        desk = await interactions.desk_of(self.bot, ctx.guild.id)
        kinds = (
            "\n".join(
                f"`{c.key}` {c.name}: " + (" ".join(f"<@&{r}>" for r in c.support_role_ids) or "-")
                for c in desk.config.categories
            )
            or "-"
        )
        panels = (
            "\n".join(f"`{p.key}` <#{p.channel_id}>" if p.channel_id else f"`{p.key}`" for p in desk.config.panels)
            or "-"
        )
        embed = discord.Embed(title=desk.t("Tickets"), colour=discord.Colour.blurple())
        embed.add_field(name=desk.t("Kinds of ticket"), value=kinds[:1024], inline=False)
        embed.add_field(name=desk.t("Panels"), value=panels[:1024], inline=False)
        await ctx.embed(embed, ephemeral=True)

    @tickets.subcommand(name="kind")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(
        key="A short name, e.g. billing",
        name="The button's label",
        role="The support role",
        category="The channel category new tickets go in",
    )
    async def tickets_kind(
        self,
        ctx: WolaroContext,
        key: str,
        name: str,
        role: discord.Role,
        category: discord.CategoryChannel | None = None,
    ) -> None:
        """Add or change a kind of ticket. Example: `!tickets kind billing Billing @Support`."""
        assert ctx.guild is not None
        desk = await interactions.desk_of(self.bot, ctx.guild.id)
        kinds = [c.model_dump() for c in desk.config.categories if c.key != key.lower()]
        existing = desk.config.category(key.lower())
        kind = {
            **(existing.model_dump() if existing else {}),
            "key": key.lower(),
            "name": name,
            "support_role_ids": [role.id],
            "parent_id": category.id if category else None,
        }
        await self._save(ctx, {"categories": [*kinds, kind]})
        await ctx.answer(
            "Kind of ticket `{key}` saved: {name}, handled by {role}.",
            ephemeral=True,
            key=key.lower(),
            name=name,
            role=role.mention,
        )

    @tickets.subcommand(name="panel")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(key="The panel's short name", channel="Where to post it (default: here)")
    async def tickets_panel(
        self, ctx: WolaroContext, key: str = "support", channel: discord.TextChannel | None = None
    ) -> None:
        """Post (or post again) a panel members open tickets with. Example: `!tickets panel support #help`."""
        assert ctx.guild is not None
        desk = await interactions.desk_of(self.bot, ctx.guild.id)
        target = channel or ctx.channel
        if not isinstance(target, discord.TextChannel):
            raise UserFacingError("Panels go in a text channel.")
        panel = desk.config.panel(key.lower()) or PanelSettings(key=key.lower())
        embed, view = panel_message(desk, panel)
        sent = await discord_io.send(self.bot.http, target.id, embed=embed, view=view)
        panel = panel.model_copy(update={"channel_id": target.id, "message_id": int(sent["id"])})
        others = [p.model_dump() for p in desk.config.panels if p.key != panel.key]
        await self._save(ctx, {"panels": [*others, panel.model_dump()]})
        await ctx.answer("Panel `{key}` posted in {channel}.", ephemeral=True, key=panel.key, channel=target.mention)

    @tickets.subcommand(name="stats")
    @commands.guild_only()
    @guild_admin_only()
    async def tickets_stats(self, ctx: WolaroContext) -> None:
        """Staff statistics: tickets handled, average first response and resolution times, ratings."""
        assert ctx.guild is not None
        desk = await interactions.desk_of(self.bot, ctx.guild.id)
        figures = staff_stats(await store.times(self.bot.services.db, ctx.guild.id))
        if not figures:
            await ctx.answer("No ticket has been handled yet.", ephemeral=True)
            return
        lines = [
            desk.t(
                "<@{user}>: {handled} handled · first answer {first} · resolved in {resolution} · {rating}",
                user=s.user_id,
                handled=s.handled,
                first=_minutes(s.first_response_seconds),
                resolution=_minutes(s.resolution_seconds),
                rating=f"{s.rating:.1f}★" if s.rating else "-",
            )
            for s in figures[:20]
        ]
        embed = discord.Embed(title=desk.t("Support team"), description="\n".join(lines), colour=discord.Colour.green())
        await ctx.embed(embed, ephemeral=True)


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
