"""Commands on channels and nicknames: purge, slowmode, lock, unlock, nick.

Each does its Discord part, then records a numbered case (target: the channel, or the member for nick) with its
audit row in one transaction through `enforcement.record`, and posts the case to the modlog channel.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.core.commands import hybrid_command
from wolaro.core.context import WolaroContext
from wolaro.core.durations import format_duration
from wolaro.core.errors import UserFacingError
from wolaro.core.permissions import bot_permissions, is_master_admin, user_permissions
from wolaro.modules.moderation.cases import CaseView
from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.converters import parse_or_refuse
from wolaro.modules.moderation.rules import MAX_SLOWMODE, Action, audit_reason, purge_scan_limit
from wolaro.modules.moderation.service import announce, ensure_can_act, record

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

OFF_WORDS = frozenset({"off", "0", "none", "no"})
PURGE_REPLY_SECONDS = 5.0


class PurgeFilters(commands.FlagConverter, prefix="", delimiter=":"):
    """Which messages a purge deletes (all of them when no filter is given)."""

    user: discord.User | None = commands.flag(default=None, description="Only this user's messages")
    bots: bool = commands.flag(default=False, description="Only messages from bots")
    contains: str | None = commands.flag(default=None, description="Only messages containing this text")
    attachments: bool = commands.flag(default=False, description="Only messages with files or images")

    def any(self) -> bool:
        """Whether any filter is set."""
        return bool(self.user or self.bots or self.contains or self.attachments)

    def matches(self, message: discord.Message) -> bool:
        """Whether `message` passes every filter that is set."""
        if self.user is not None and message.author.id != self.user.id:
            return False
        if self.bots and not message.author.bot:
            return False
        if self.contains and self.contains.lower() not in message.content.lower():
            return False
        return not (self.attachments and not message.attachments)


def _text_channel(ctx: WolaroContext, channel: discord.TextChannel | None) -> discord.TextChannel:
    target = channel or ctx.channel
    if not isinstance(target, discord.TextChannel):
        raise UserFacingError("This only works in a text channel.")
    return target


class ChannelCommands:
    """Mixin of the moderation Cog: channel tools and nicknames."""

    bot: WolaroBot

    async def _case(
        self,
        ctx: WolaroContext,
        action: Action,
        target_id: int,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        before: dict[str, Any] | None = None,
    ) -> CaseView:
        """Record the action as a numbered case (with its audit row, in one transaction) and post it to the modlog."""
        assert ctx.guild is not None
        services = self.bot.services
        assert ctx.config is not None
        config = Config.of(ctx.config)
        bot_id = self.bot.user.id if self.bot.user else ctx.author.id
        async with services.db.transaction() as session:
            case, _, _ = await record(
                session,
                services,
                guild_id=ctx.guild.id,
                action=action,
                target_id=target_id,
                moderator_id=ctx.author.id,
                reason=reason.strip()[:1000] if reason and reason.strip() else None,
                duration=None,
                automated=False,
                config=config,
                bot_id=bot_id,
                details=details,
                audit_before=before,
            )
        return await announce(
            services, self.bot.http, case, config=config, t=ctx.t, guild_name=ctx.guild.name, dm=False, bot=self.bot
        )

    @hybrid_command(name="purge", aliases=["clear"])
    @commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @user_permissions(manage_messages=True)
    @bot_permissions(manage_messages=True, read_message_history=True)
    @app_commands.describe(amount="How many messages to delete (1-1000)")
    async def purge(self, ctx: WolaroContext, amount: commands.Range[int, 1, 1000], *, filters: PurgeFilters) -> None:
        """Delete recent messages, optionally filtered.

        Needs Manage Messages.
        Examples: `!purge 50`, `!purge 100 user: @alice`, `!purge 200 bots: yes`, `!purge 30 contains: discord.gg`,
        `!purge 20 attachments: yes`. With filters, up to `amount` matching messages among the last 1000 are
        deleted. Messages under 14 days old go in bulk; older ones one by one.
        """
        channel = _text_channel(ctx, None)
        filtered = filters.any()
        matched = 0

        def check(message: discord.Message) -> bool:
            nonlocal matched
            if matched >= amount or message.pinned or not filters.matches(message):
                return False
            matched += 1
            return True

        if ctx.interaction is not None:
            await ctx.defer(ephemeral=True)
        reason = audit_reason(f"{ctx.author} ({ctx.author.id})", ctx.t("purge"))
        before = ctx.message if ctx.interaction is None else None
        deleted = await channel.purge(
            limit=purge_scan_limit(amount, filtered=filtered), check=check, before=before, bulk=True, reason=reason
        )
        if ctx.interaction is None:
            with contextlib.suppress(discord.HTTPException):
                await ctx.message.delete()
        filters_used = {
            "user": filters.user.id if filters.user else None,
            "bots": filters.bots,
            "contains": filters.contains,
            "attachments": filters.attachments,
        }
        case = await self._case(
            ctx, Action.PURGE, channel.id, details={"deleted": len(deleted), "filters": filters_used}
        )
        text = ctx.t("Deleted {count} messages (case #{number}).", count=len(deleted), number=case.number)
        if ctx.interaction is not None:
            await ctx.send(text, ephemeral=True)
        else:
            await ctx.channel.send(text, delete_after=PURGE_REPLY_SECONDS)

    @hybrid_command(name="slowmode")
    @commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @user_permissions(manage_channels=True)
    @bot_permissions(manage_channels=True)
    @app_commands.describe(delay="Time between messages: 5s, 1m, 2h (at most 6h); off to remove", channel="Which one")
    async def slowmode(self, ctx: WolaroContext, delay: str, channel: discord.TextChannel | None = None) -> None:
        """Set or remove a channel's slowmode.

        Needs Manage Channels; at most 6h.
        Examples: `!slowmode 10s`, `!slowmode 2m #general`, `!slowmode off`.
        """
        target = _text_channel(ctx, channel)
        seconds = 0
        if delay.strip().lower() not in OFF_WORDS:
            seconds = int(parse_or_refuse(delay, maximum=MAX_SLOWMODE).total_seconds())
        before = target.slowmode_delay
        await target.edit(slowmode_delay=seconds, reason=audit_reason(f"{ctx.author} ({ctx.author.id})", None))
        case = await self._case(
            ctx,
            Action.SLOWMODE,
            target.id,
            details={"delay_seconds": seconds, "before_seconds": before},
            before={"slowmode": before},
        )
        if seconds:
            await ctx.answer(
                "Slowmode in {channel} is now {delay} (case #{number}).",
                channel=target.mention,
                delay=_seconds(seconds),
                number=case.number,
            )
        else:
            await ctx.answer(
                "Slowmode in {channel} is off (case #{number}).", channel=target.mention, number=case.number
            )

    @hybrid_command(name="lock")
    @commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @user_permissions(manage_channels=True)
    @bot_permissions(manage_channels=True, manage_roles=True)
    @app_commands.describe(channel="Which channel (this one if empty)", reason="Why")
    async def lock(
        self, ctx: WolaroContext, channel: discord.TextChannel | None = None, *, reason: str | None = None
    ) -> None:
        """Stop @everyone from sending messages in a channel.

        Needs Manage Channels.
        Example: `!lock #general raid in progress`. `!unlock` undoes it.
        """
        await self._set_lock(ctx, channel, reason, locked=True)

    @hybrid_command(name="unlock")
    @commands.guild_only()
    @app_commands.default_permissions(manage_channels=True)
    @user_permissions(manage_channels=True)
    @bot_permissions(manage_channels=True, manage_roles=True)
    @app_commands.describe(channel="Which channel (this one if empty)", reason="Why")
    async def unlock(
        self, ctx: WolaroContext, channel: discord.TextChannel | None = None, *, reason: str | None = None
    ) -> None:
        """Let @everyone send messages in a locked channel again.

        Needs Manage Channels.
        Example: `!unlock #general`.
        """
        await self._set_lock(ctx, channel, reason, locked=False)

    async def _set_lock(
        self, ctx: WolaroContext, channel: discord.TextChannel | None, reason: str | None, *, locked: bool
    ) -> None:
        assert ctx.guild is not None
        target = _text_channel(ctx, channel)
        everyone = ctx.guild.default_role
        overwrite = target.overwrites_for(everyone)
        if locked and overwrite.send_messages is False:
            raise UserFacingError("{channel} is already locked.", channel=target.mention)
        if not locked and overwrite.send_messages is not False:
            raise UserFacingError("{channel} is not locked.", channel=target.mention)
        overwrite.update(send_messages=False if locked else None)
        audit = audit_reason(f"{ctx.author} ({ctx.author.id})", reason)
        me = ctx.guild.me
        own = target.overwrites_for(me)
        if locked and own.send_messages is not True:
            # @everyone's deny applies to the bot too: keep its own voice in the channel (as Discord bots do).
            own.update(send_messages=True)
            await target.set_permissions(me, overwrite=own, reason=audit)
        await target.set_permissions(everyone, overwrite=None if overwrite.is_empty() else overwrite, reason=audit)
        if not locked and own.pair() == (discord.Permissions(send_messages=True), discord.Permissions.none()):
            await target.set_permissions(me, overwrite=None, reason=audit)
        case = await self._case(ctx, Action.LOCK if locked else Action.UNLOCK, target.id, reason=reason)
        if locked:
            await ctx.answer("{channel} is locked (case #{number}).", channel=target.mention, number=case.number)
        else:
            await ctx.answer("{channel} is unlocked (case #{number}).", channel=target.mention, number=case.number)

    @hybrid_command(name="nick")
    @commands.guild_only()
    @app_commands.default_permissions(manage_nicknames=True)
    @user_permissions(manage_nicknames=True)
    @bot_permissions(manage_nicknames=True)
    @app_commands.describe(member="Whose nickname", nickname="The new nickname (empty: reset to their name)")
    async def nick(self, ctx: WolaroContext, member: discord.Member, *, nickname: str | None = None) -> None:
        """Reset or change a member's nickname.

        Needs Manage Nicknames.
        Examples: `!nick @alice` resets it; `!nick @alice Alice from accounting` sets one (32 characters at most).
        """
        assert ctx.guild is not None
        if nickname is not None and not 1 <= len(nickname.strip()) <= 32:
            raise UserFacingError("A nickname has 1 to 32 characters.")
        moderator = ctx.author if isinstance(ctx.author, discord.Member) else None
        if member.id != ctx.author.id:
            await ensure_can_act(
                self.bot, ctx.guild, member.id, member, moderator=None if is_master_admin(ctx) else moderator
            )
        before = member.nick
        new = nickname.strip() if nickname else None
        await member.edit(nick=new, reason=audit_reason(f"{ctx.author} ({ctx.author.id})", None))
        case = await self._case(
            ctx, Action.NICK, member.id, details={"before": before, "after": new}, before={"nick": before}
        )
        if new:
            await ctx.answer(
                "**{user}** is now called {nickname} (case #{number}).",
                user=str(member),
                nickname=new,
                number=case.number,
            )
        else:
            await ctx.answer("**{user}**'s nickname was reset (case #{number}).", user=str(member), number=case.number)


def _seconds(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds))
