"""Commands that act on a member: warn, kick, ban (temporary too), softban, unban, timeout, untimeout, note."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.core.commands import hybrid_command
from wolaro.core.context import WolaroContext
from wolaro.core.durations import format_duration
from wolaro.core.permissions import bot_permissions, is_master_admin, user_permissions
from wolaro.modules.moderation.converters import Duration, OptionalDuration
from wolaro.modules.moderation.modlog import action_label, t
from wolaro.modules.moderation.rules import Action
from wolaro.modules.moderation.service import Policy, Request, execute

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

DONE: dict[Action, str] = {
    Action.WARN: t("**{user}** was warned (case #{number})."),
    Action.KICK: t("**{user}** was kicked (case #{number})."),
    Action.BAN: t("**{user}** was banned (case #{number})."),
    Action.SOFTBAN: t("**{user}** was softbanned: kicked, with their recent messages deleted (case #{number})."),
    Action.UNBAN: t("**{user}** was unbanned (case #{number})."),
    Action.TIMEOUT: t("**{user}** was timed out for {duration} (case #{number})."),
    Action.UNTIMEOUT: t("**{user}**'s timeout was removed (case #{number})."),
    Action.NOTE: t("Note added to **{user}** (case #{number})."),
}
DONE_TEMP_BAN = t("**{user}** was banned for {duration} (case #{number}).")


class ActionCommands:
    """Mixin of the moderation Cog: the commands that punish (each one records a numbered case)."""

    bot: WolaroBot

    async def _act(
        self,
        ctx: WolaroContext,
        action: Action,
        target: discord.abc.User,
        *,
        reason: str | None,
        duration: timedelta | None = None,
        delete_days: int = 0,
    ) -> None:
        assert ctx.guild is not None and ctx.config is not None
        request = Request.checked(
            action, target.id, ctx.author.id, reason, duration=duration, delete_message_days=delete_days
        )
        outcome = await execute(
            self.bot,
            Policy.of(self.bot, ctx.config, ctx.guild.name),
            guild=ctx.guild,
            target=target,
            request=request,
            moderator=ctx.author if isinstance(ctx.author, discord.Member) else None,
            skip_actor_check=is_master_admin(ctx),
        )
        case = outcome.case
        template = DONE_TEMP_BAN if action is Action.BAN and case.duration is not None else DONE[action]
        shown = format_duration(case.duration) if case.duration is not None else ""
        lines = [ctx.t(template, user=str(target), number=case.number, duration=shown)]
        if outcome.active_warnings is not None:
            lines.append(ctx.t("Active warnings: {count}.", count=outcome.active_warnings))
        if outcome.escalation is not None:
            follow = outcome.escalation
            lines.append(
                ctx.t(
                    "Automatic escalation: {action} (case #{number}).",
                    action=action_label(follow, ctx.t),
                    number=follow.number,
                )
            )
        elif outcome.escalation_error is not None:
            lines.append(ctx.t("The automatic escalation failed: {error}", error=outcome.escalation_error))
        text = "\n".join(lines)
        await ctx.send(text, allowed_mentions=discord.AllowedMentions.none())

    @hybrid_command(name="warn")
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @app_commands.describe(member="Who to warn", reason="Why (shown to them and in the modlog)")
    async def warn(self, ctx: WolaroContext, member: discord.Member, *, reason: str | None = None) -> None:
        """Warn a member; warnings can trigger automatic sanctions.

        Needs Timeout Members.
        Example: `!warn @alice posting invite links`. Warnings count towards the `escalation` steps of
        `!config show moderation` until they expire (`warn_expiry`) or are pardoned (`!pardon <case>`).
        """
        await self._act(ctx, Action.WARN, member, reason=reason)

    @hybrid_command(name="kick")
    @commands.guild_only()
    @app_commands.default_permissions(kick_members=True)
    @user_permissions(kick_members=True)
    @bot_permissions(kick_members=True)
    @app_commands.describe(member="Who to kick", reason="Why (shown to them and in the modlog)")
    async def kick(self, ctx: WolaroContext, member: discord.Member, *, reason: str | None = None) -> None:
        """Kick a member from the server.

        Needs Kick Members; they can come back with an invite.
        Example: `!kick @alice trolling`.
        """
        await self._act(ctx, Action.KICK, member, reason=reason)

    @hybrid_command(name="ban")
    @commands.guild_only()
    @app_commands.default_permissions(ban_members=True)
    @user_permissions(ban_members=True)
    @bot_permissions(ban_members=True)
    @app_commands.describe(
        user="Who to ban (a member, or any user by id)",
        duration="For a temporary ban: 30m, 12h, 7d, 2w... (at most 365d); empty = for good",
        delete_days="Delete their messages of the last 0-7 days",
        reason="Why (shown to them and in the modlog)",
    )
    async def ban(
        self,
        ctx: WolaroContext,
        user: discord.User,
        duration: Annotated[timedelta | None, OptionalDuration] = None,
        delete_days: commands.Range[int, 0, 7] | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        """Ban a user, permanently or for a set time.

        Needs Ban Members. A temporary ban is lifted on time, even across restarts.
        Examples: `!ban @alice spam bot`, `!ban @alice 7d 1 raiding` (7 days, deleting 1 day of messages),
        `!ban 123456789012345678 alt account`. Durations: s, m, h, d, w (`2h30m`, `1w`). A reason cannot start
        with a digit in the prefix form (it would be read as a duration).
        """
        await self._act(ctx, Action.BAN, user, reason=reason, duration=duration, delete_days=delete_days or 0)

    @hybrid_command(name="softban")
    @commands.guild_only()
    @app_commands.default_permissions(ban_members=True)
    @user_permissions(ban_members=True)
    @bot_permissions(ban_members=True)
    @app_commands.describe(
        user="Who to softban", delete_days="Delete their messages of the last 1-7 days (1 if empty)", reason="Why"
    )
    async def softban(
        self,
        ctx: WolaroContext,
        user: discord.User,
        delete_days: commands.Range[int, 1, 7] | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        """Kick a user and delete their recent messages (ban + unban).

        Needs Ban Members.
        Example: `!softban @alice 2 spam` deletes two days of their messages.
        """
        await self._act(ctx, Action.SOFTBAN, user, reason=reason, delete_days=delete_days or 1)

    @hybrid_command(name="unban")
    @commands.guild_only()
    @app_commands.default_permissions(ban_members=True)
    @user_permissions(ban_members=True)
    @bot_permissions(ban_members=True)
    @app_commands.describe(user="Who to unban (their id works)", reason="Why")
    async def unban(self, ctx: WolaroContext, user: discord.User, *, reason: str | None = None) -> None:
        """Lift a user's ban.

        Needs Ban Members; a pending temporary-ban expiry is cancelled.
        Example: `!unban 123456789012345678 appeal accepted`.
        """
        await self._act(ctx, Action.UNBAN, user, reason=reason)

    @hybrid_command(name="timeout", aliases=["mute"])
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @bot_permissions(moderate_members=True)
    @app_commands.describe(member="Who to time out", duration="How long: 10m, 2h, 1d... (at most 28d)", reason="Why")
    async def timeout(
        self,
        ctx: WolaroContext,
        member: discord.Member,
        duration: Annotated[timedelta, Duration],
        *,
        reason: str | None = None,
    ) -> None:
        """Time a member out (Discord's native timeout, up to 28 days).

        Needs Timeout Members; they can't write, react or speak meanwhile.
        Example: `!timeout @alice 2h30m flooding`. At most 28 days; Discord lifts it by itself.
        """
        await self._act(ctx, Action.TIMEOUT, member, reason=reason, duration=duration)

    @hybrid_command(name="untimeout", aliases=["unmute"])
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @bot_permissions(moderate_members=True)
    @app_commands.describe(member="Whose timeout to lift", reason="Why")
    async def untimeout(self, ctx: WolaroContext, member: discord.Member, *, reason: str | None = None) -> None:
        """Lift a member's timeout.

        Needs Timeout Members.
        Example: `!untimeout @alice apologised`.
        """
        await self._act(ctx, Action.UNTIMEOUT, member, reason=reason)

    @hybrid_command(name="note")
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @app_commands.describe(user="Who the note is about", text="The note (moderators only see it)")
    async def note(self, ctx: WolaroContext, user: discord.User, *, text: str) -> None:
        """Add a private moderator note to a user's history.

        Needs Timeout Members; a case with no Discord action, never sent to them.
        Example: `!note @alice was warned verbally in voice`.
        """
        await self._act(ctx, Action.NOTE, user, reason=text)
