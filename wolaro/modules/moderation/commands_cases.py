"""Commands on the case log: case, reason, modlogs (paged), warnings, pardon, clearwarns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.core.commands import hybrid_command
from wolaro.core.context import WolaroContext
from wolaro.core.errors import UserFacingError
from wolaro.core.permissions import user_permissions
from wolaro.data.guilds import add_audit
from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.modules.moderation import cases
from wolaro.modules.moderation.config import Config
from wolaro.modules.moderation.converters import CaseNumber
from wolaro.modules.moderation.modlog import case_embed, case_line, notice_embed
from wolaro.modules.moderation.rules import Action, page_bounds
from wolaro.modules.moderation.service import post_notice
from wolaro.modules.moderation.views import HistoryPages

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

log = get_logger(__name__)

CASES_PER_PAGE = 5


class CaseCommands:
    """Mixin of the moderation Cog: reading and amending the case log."""

    bot: WolaroBot

    @hybrid_command(name="case")
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @app_commands.describe(number="The case number")
    async def case(self, ctx: WolaroContext, number: CaseNumber) -> None:
        """Show one moderation case.

        Needs Timeout Members.
        Example: `!case 12`.
        """
        assert ctx.guild is not None
        async with self.bot.services.db.session() as session:
            found = await cases.get(session, ctx.guild.id, number)
        if found is None:
            raise UserFacingError("There is no case #{number} here.", number=number)
        await ctx.embed(case_embed(found, ctx.t))

    @hybrid_command(name="reason")
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @app_commands.describe(number="The case number", text="The new reason")
    async def reason(self, ctx: WolaroContext, number: CaseNumber, *, text: str) -> None:
        """Change the reason of a case.

        Needs Timeout Members; the modlog post is updated and the change audited.
        Example: `!reason 12 spamming scam links in #general`.
        """
        assert ctx.guild is not None
        text = text.strip()[:1000]
        async with self.bot.services.db.transaction() as session:
            row = await cases.lock(session, ctx.guild.id, number)
            if row is None:
                raise UserFacingError("There is no case #{number} here.", number=number)
            before = row.reason
            row.reason = text
            row.updated_at = utcnow()
            add_audit(
                session,
                guild_id=ctx.guild.id,
                actor_id=ctx.author.id,
                action="moderation.reason",
                target=f"case:{number}",
                before={"reason": before},
                after={"reason": text},
            )
            await session.flush()
            updated = cases.view(row)
        if updated.modlog_channel_id and updated.modlog_message_id:
            try:
                with discord.http.handle_message_parameters(
                    embed=case_embed(updated, ctx.t), allowed_mentions=discord.AllowedMentions.none()
                ) as params:
                    await self.bot.http.edit_message(
                        updated.modlog_channel_id, updated.modlog_message_id, params=params
                    )
            except discord.HTTPException as exc:
                log.warning("modlog post not updated", guild_id=ctx.guild.id, case=number, error=str(exc))
        await ctx.answer("Reason of case #{number} updated.", number=number)

    @hybrid_command(name="modlogs", aliases=["history"])
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @app_commands.describe(user="Whose history to show")
    async def modlogs(self, ctx: WolaroContext, user: discord.User) -> None:
        """Show a user's moderation history, page by page.

        Needs Timeout Members; newest first, only you can turn the pages.
        Example: `!modlogs @alice`. Struck-through cases are no longer in force.
        """
        assert ctx.guild is not None
        guild_id = ctx.guild.id
        db = self.bot.services.db

        total = 0

        async def render(page: int) -> tuple[discord.Embed, int]:
            nonlocal total
            async with db.session() as session:
                total = await cases.count_for(session, guild_id, user.id)
                page, offset, pages = page_bounds(total, page, CASES_PER_PAGE)
                found = await cases.for_target(session, guild_id, user.id, offset=offset, limit=CASES_PER_PAGE)
            embed = discord.Embed(
                title=ctx.t("Moderation history of {user}", user=str(user)),
                description="\n".join(case_line(case, ctx.t) for case in found),
                colour=discord.Colour.dark_orange(),
            )
            embed.set_footer(
                text=ctx.t("Page {page} of {pages} · {total} cases", page=page + 1, pages=pages, total=total)
            )
            return embed, pages

        embed, pages = await render(0)
        if total == 0:
            await ctx.answer("**{user}** has no cases here.", user=str(user))
            return
        if pages == 1:
            await ctx.embed(embed)
            return
        view = HistoryPages(owner_id=ctx.author.id, page=0, pages=pages, render=render, t=ctx.t)
        view.message = await ctx.send(embed=embed, view=view)

    @hybrid_command(name="warnings", aliases=["warns"])
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @app_commands.describe(user="Whose warnings to show")
    async def warnings(self, ctx: WolaroContext, user: discord.User) -> None:
        """List a user's active warnings.

        Needs Timeout Members; pardoned and expired warnings are left out.
        Example: `!warnings @alice`.
        """
        assert ctx.guild is not None
        async with self.bot.services.db.session() as session:
            found = await cases.active_warnings(session, ctx.guild.id, user.id)
        if not found:
            await ctx.answer("**{user}** has no active warnings.", user=str(user))
            return
        embed = discord.Embed(
            title=ctx.t("Active warnings of {user}: {count}", user=str(user), count=len(found)),
            description="\n".join(case_line(case, ctx.t) for case in found[-20:]),
            colour=discord.Colour.gold(),
        )
        await ctx.embed(embed)

    @hybrid_command(name="pardon")
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @app_commands.describe(number="The warning's case number", reason="Why")
    async def pardon(self, ctx: WolaroContext, number: CaseNumber, *, reason: str | None = None) -> None:
        """Pardon a warning so it no longer counts.

        Needs Timeout Members; it stays in the history.
        Example: `!pardon 12 was a misunderstanding`.
        """
        assert ctx.guild is not None and ctx.config is not None
        async with self.bot.services.db.transaction() as session:
            row = await cases.lock(session, ctx.guild.id, number)
            if row is None:
                raise UserFacingError("There is no case #{number} here.", number=number)
            if row.action != Action.WARN.value:
                raise UserFacingError("Case #{number} is not a warning.", number=number)
            if not cases.view(row).in_force():
                raise UserFacingError("Warning #{number} is already pardoned or expired.", number=number)
            row.active = False
            row.updated_at = utcnow()
            add_audit(
                session,
                guild_id=ctx.guild.id,
                actor_id=ctx.author.id,
                action="moderation.pardon",
                target=str(row.target_id),
                before={"case": number, "active": True},
                after={"case": number, "active": False, "reason": reason},
            )
            target_id = row.target_id
        await post_notice(
            self.bot,
            ctx.guild.id,
            Config.of(ctx.config),
            notice_embed(
                ctx.t("Warning #{number} pardoned", number=number),
                [
                    (ctx.t("User"), f"<@{target_id}>"),
                    (ctx.t("Moderator"), ctx.author.mention),
                    (ctx.t("Reason"), reason or ctx.t("No reason given")),
                ],
            ),
        )
        await ctx.answer("Warning #{number} pardoned: it no longer counts.", number=number)

    @hybrid_command(name="clearwarns")
    @commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @user_permissions(moderate_members=True)
    @app_commands.describe(user="Whose warnings to clear", reason="Why")
    async def clearwarns(self, ctx: WolaroContext, user: discord.User, *, reason: str | None = None) -> None:
        """Pardon all of a user's active warnings.

        Needs Timeout Members.
        Example: `!clearwarns @alice fresh start`.
        """
        assert ctx.guild is not None and ctx.config is not None
        async with self.bot.services.db.transaction() as session:
            cleared = await cases.deactivate(
                session, guild_id=ctx.guild.id, target_id=user.id, actions=[Action.WARN], unexpired_only=True
            )
            if cleared:
                add_audit(
                    session,
                    guild_id=ctx.guild.id,
                    actor_id=ctx.author.id,
                    action="moderation.clearwarns",
                    target=str(user.id),
                    after={"cases": cleared, "reason": reason},
                )
        if not cleared:
            await ctx.answer("**{user}** has no active warnings.", user=str(user))
            return
        await post_notice(
            self.bot,
            ctx.guild.id,
            Config.of(ctx.config),
            notice_embed(
                ctx.t("Warnings cleared"),
                [
                    (ctx.t("User"), f"<@{user.id}>"),
                    (ctx.t("Moderator"), ctx.author.mention),
                    (ctx.t("Cases"), ", ".join(f"#{n}" for n in cleared)),
                    (ctx.t("Reason"), reason or ctx.t("No reason given")),
                ],
            ),
        )
        await ctx.answer("Cleared {count} warnings of **{user}**.", count=len(cleared), user=str(user))
