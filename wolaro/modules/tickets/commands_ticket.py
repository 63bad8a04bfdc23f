"""`/ticket ...`: what staff (and the opener) do inside a ticket channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.tickets import actions, interactions, lifecycle, store
from wolaro.modules.tickets.actions import Actor
from wolaro.modules.tickets.lifecycle import Desk
from wolaro.modules.tickets.models import Ticket
from wolaro.modules.tickets.service import MAX_REASON
from wolaro.sdk import UserFacingError, WolaroContext, hybrid_group

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot


class TicketCommands:
    """Mixin of the tickets Cog: the commands used inside a ticket."""

    bot: WolaroBot

    async def _ticket_here(self, ctx: WolaroContext) -> tuple[Desk, Ticket, Actor]:
        assert ctx.guild is not None
        desk = await interactions.desk_of(self.bot, ctx.guild.id)
        ticket = await store.in_channel(self.bot.services.db, ctx.guild.id, ctx.channel.id)
        if ticket is None:
            raise UserFacingError("This is not a ticket channel.")
        return desk, ticket, interactions.actor_of(ctx.author)

    async def _do(self, ctx: WolaroContext, step: Callable[[Desk, Ticket, Actor], Awaitable[str]]) -> None:
        desk, ticket, actor = await self._ticket_here(ctx)
        text = await step(desk, ticket, actor)
        await ctx.send(text, allowed_mentions=discord.AllowedMentions.none())

    @hybrid_group(name="ticket", fallback="info")
    @commands.guild_only()
    async def ticket(self, ctx: WolaroContext) -> None:
        """Show this ticket: its number, kind, who opened and who claimed it, its priority."""
        desk, ticket, _ = await self._ticket_here(ctx)
        embed = discord.Embed(title=desk.t("Ticket #{number}", number=ticket.number), colour=discord.Colour.blurple())
        embed.add_field(name=desk.t("Kind"), value=desk.category(ticket).name)
        embed.add_field(name=desk.t("Opened by"), value=f"<@{ticket.opener_id}>")
        embed.add_field(name=desk.t("Claimed by"), value=f"<@{ticket.claimed_by}>" if ticket.claimed_by else "-")
        embed.add_field(name=desk.t("Priority"), value=desk.t(lifecycle.PRIORITY_LABELS.get(ticket.priority, "Normal")))
        await ctx.embed(embed, ephemeral=True)

    @ticket.subcommand(name="claim")
    @commands.guild_only()
    async def ticket_claim(self, ctx: WolaroContext) -> None:
        """Claim this ticket: you handle it (support team)."""
        await self._do(ctx, actions.claim)

    @ticket.subcommand(name="unclaim")
    @commands.guild_only()
    async def ticket_unclaim(self, ctx: WolaroContext) -> None:
        """Give this ticket back to the team (its claimer or an admin)."""
        await self._do(ctx, actions.unclaim)

    @ticket.subcommand(name="transfer")
    @commands.guild_only()
    @app_commands.describe(member="Who takes the ticket over")
    async def ticket_transfer(self, ctx: WolaroContext, member: discord.Member) -> None:
        """Hand this ticket to another member of the support team."""
        roles = tuple(r.id for r in member.roles)
        await self._do(ctx, lambda d, t, a: actions.transfer(d, t, a, member.id, roles))

    @ticket.subcommand(name="add")
    @commands.guild_only()
    @app_commands.describe(member="Who to let in")
    async def ticket_add(self, ctx: WolaroContext, member: discord.Member) -> None:
        """Let another member see and write in this ticket."""
        await self._do(ctx, lambda d, t, a: actions.add_member(d, t, a, member.id))

    @ticket.subcommand(name="remove")
    @commands.guild_only()
    @app_commands.describe(member="Who to take out")
    async def ticket_remove(self, ctx: WolaroContext, member: discord.Member) -> None:
        """Take a member you added out of this ticket."""
        await self._do(ctx, lambda d, t, a: actions.remove_member(d, t, a, member.id))

    @ticket.subcommand(name="rename")
    @commands.guild_only()
    @app_commands.describe(name="The channel's new name")
    async def ticket_rename(self, ctx: WolaroContext, *, name: str) -> None:
        """Rename this ticket's channel."""
        await self._do(ctx, lambda d, t, a: actions.rename(d, t, a, name))

    @ticket.subcommand(name="priority")
    @commands.guild_only()
    @app_commands.describe(level="low, normal, high or urgent")
    @app_commands.choices(level=[app_commands.Choice(name=p, value=p) for p in ("low", "normal", "high", "urgent")])
    async def ticket_priority(self, ctx: WolaroContext, level: str) -> None:
        """Set how urgent this ticket is: low, normal, high or urgent."""
        await self._do(ctx, lambda d, t, a: actions.set_priority(d, t, a, level))

    @ticket.subcommand(name="close")
    @commands.guild_only()
    @app_commands.describe(reason="Why it is closed (shown in the ticket and its transcript)")
    async def ticket_close(self, ctx: WolaroContext, *, reason: str | None = None) -> None:
        """Close this ticket, after a confirmation button. Example: `!ticket close solved by a refund`."""
        desk, ticket, actor = await self._ticket_here(ctx)
        actions.ensure_open(ticket)
        if actor.user_id != ticket.opener_id:
            actions.ensure_staff(desk, ticket, actor)
        if reason and len(reason) > MAX_REASON:
            raise UserFacingError("A reason has at most {maximum} characters.", maximum=MAX_REASON)
        embed, view = interactions.close_confirmation(desk, reason)
        await ctx.send(embed=embed, view=view, ephemeral=True)

    @ticket.subcommand(name="reopen")
    @commands.guild_only()
    async def ticket_reopen(self, ctx: WolaroContext) -> None:
        """Reopen this closed ticket (support team)."""
        desk, ticket, actor = await self._ticket_here(ctx)
        actions.ensure_staff(desk, ticket, actor)
        if not await lifecycle.reopen_ticket(desk, ticket, by=actor.user_id):
            raise UserFacingError("This ticket is open already.")
        await ctx.answer("Ticket reopened.", ephemeral=True)

    @ticket.subcommand(name="delete")
    @commands.guild_only()
    async def ticket_delete(self, ctx: WolaroContext) -> None:
        """Remove this ticket's channel (closed first if needed; its transcript is kept)."""
        desk, ticket, actor = await self._ticket_here(ctx)
        actions.ensure_staff(desk, ticket, actor)
        await interactions.remove(desk, ticket, actor.user_id)
        await ctx.answer("This ticket's channel will be removed in a few seconds.", ephemeral=True)

    @ticket.subcommand(name="tag")
    @commands.guild_only()
    @app_commands.describe(name="The canned answer's name")
    async def ticket_tag(self, ctx: WolaroContext, name: str) -> None:
        """Post a canned answer by name. Example: `!ticket tag refund`."""
        assert ctx.guild is not None
        desk = await interactions.desk_of(self.bot, ctx.guild.id)
        tag = next((t for t in desk.config.tags if t.name == name.strip().lower()), None)
        if tag is None:
            known = ", ".join(t.name for t in desk.config.tags) or "-"
            raise UserFacingError("There is no canned answer named {name}. Known: {known}.", name=name, known=known)
        await ctx.send(tag.content, allowed_mentions=discord.AllowedMentions.none())
