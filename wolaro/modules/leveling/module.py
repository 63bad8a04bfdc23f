"""Leveling: XP for chatting and voice, levels, role rewards, rank cards, a leaderboard and the admin's `/xp`.

Levels follow MEE6's curve (or a linear or exponential one); `/xp` sets, adds, resets, imports and exports XP.
The engine (`engine.py`) keeps the hot path free of SQL; the commands here are the thin Discord side.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.modules.leveling import csvio, role_sync, store
from wolaro.modules.leveling.api import router
from wolaro.modules.leveling.card import CardData, render_card
from wolaro.modules.leveling.config import NAME, Config
from wolaro.modules.leveling.curves import level_for_xp, progress
from wolaro.modules.leveling.engine import LevelingEngine, Parsed
from wolaro.modules.leveling.models import LevelingMember
from wolaro.modules.leveling.pages import PANELS
from wolaro.modules.leveling.privacy import PRIVACY
from wolaro.sdk import (
    ModuleSpec,
    UserFacingError,
    WolaroContext,
    get_logger,
    guild_admin_only,
    hybrid_command,
    hybrid_group,
)

log = get_logger(__name__)

PAGE_SIZE = 10
#: The last leaderboard page anyone may ask for (a bound on the query's offset).
MAX_PAGE = 100_000
AVATAR_TIMEOUT = 3.0


class Leveling(LevelingEngine):
    """Commands of the leveling module."""

    def _not_a_bot(self, member: discord.abc.User) -> None:
        if member.bot:
            raise UserFacingError("Bots do not earn XP.")

    async def _total(self, guild_id: int, user_id: int) -> int:
        """Stored XP plus what waits in this process's buffer (so /rank is right before the next write)."""
        stored = await store.total(self.bot.services.db, guild_id, user_id)
        waiting = self.buffer.peek((guild_id, user_id))
        return stored + waiting

    async def _avatar(self, member: discord.abc.User) -> bytes | None:
        try:
            async with asyncio.timeout(AVATAR_TIMEOUT):
                return await member.display_avatar.replace(size=256, static_format="png").read()
        except (discord.HTTPException, TimeoutError, ValueError) as exc:
            log.info("avatar not fetched for the rank card", user_id=member.id, error=repr(exc))
            return None

    @hybrid_command(name="rank")
    @commands.guild_only()
    @app_commands.describe(member="Whose rank to show (you, if empty)")
    async def rank(self, ctx: WolaroContext, member: discord.Member | None = None) -> None:
        """Show your rank card (or a member's): level, XP to the next level and place on the leaderboard."""
        assert ctx.guild is not None
        who = member or ctx.author
        self._not_a_bot(who)
        await ctx.defer()
        parsed = await self.parsed_for(ctx.guild.id)
        total = await self._total(ctx.guild.id, who.id)
        place = await store.rank(self.bot.services.db, ctx.guild.id, who.id, total)
        where = progress(total, parsed.curve)
        data = CardData(
            who.display_name, place, where.level, where.into_level, where.needed, total, await self._avatar(who)
        )
        picture = await asyncio.to_thread(render_card, data)
        text = ctx.t(
            "{name}: level {level}, {xp} XP, rank #{rank}.",
            name=who.display_name,
            level=where.level,
            xp=total,
            rank=place,
        )
        await ctx.send(
            text,
            file=discord.File(io.BytesIO(picture), filename="rank.png"),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @hybrid_command(name="levels")
    @commands.guild_only()
    @app_commands.describe(page="Which page of the leaderboard (10 members each)")
    async def levels(self, ctx: WolaroContext, page: int = 1) -> None:
        """Show the server's leaderboard: the members with the most XP, 10 per page."""
        assert ctx.guild is not None
        db = self.bot.services.db
        offset = (min(max(page, 1), MAX_PAGE) - 1) * PAGE_SIZE  # the page is checked once the count is known
        count, top = await store.leaderboard(db, ctx.guild.id, limit=PAGE_SIZE, offset=offset)
        if count == 0:
            await ctx.answer("Nobody has earned XP here yet.", ephemeral=True)
            return
        pages = (count + PAGE_SIZE - 1) // PAGE_SIZE
        if not 1 <= page <= pages:
            raise UserFacingError("There is no page {page}: the leaderboard has {pages} pages.", page=page, pages=pages)
        parsed = await self.parsed_for(ctx.guild.id)
        lines = [
            ctx.t(
                "**#{place}** <@{user}>: level {level} ({xp} XP)",
                place=(page - 1) * PAGE_SIZE + index,
                user=row.user_id,
                level=level_for_xp(row.xp, parsed.curve),
                xp=row.xp,
            )
            for index, row in enumerate(top, start=1)
        ]
        embed = discord.Embed(title=ctx.t("Leaderboard of {guild}", guild=ctx.guild.name), description="\n".join(lines))
        embed.set_footer(text=ctx.t("Page {page} of {pages}", page=page, pages=pages))
        await ctx.embed(embed)

    @hybrid_group(name="xp", fallback="show")
    @commands.guild_only()
    @guild_admin_only()
    async def xp(self, ctx: WolaroContext) -> None:
        """Manage members' XP: set, add, reset, import and export (Manage Server)."""
        await ctx.answer("Use `xp set`, `xp add`, `xp reset`, `xp import` or `xp export`.", ephemeral=True)

    @xp.subcommand(name="set")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(member="Whose XP to set", amount="Their new XP total")
    async def xp_set(self, ctx: WolaroContext, member: discord.Member, amount: int) -> None:
        """Set a member's XP; their level and reward roles follow, up or down (Manage Server)."""
        assert ctx.guild is not None
        self._not_a_bot(member)
        if not 0 <= amount <= store.XP_MAX:
            raise UserFacingError("Give an XP total from 0 to {most}.", most=store.XP_MAX)
        await self.flush()  # XP this member earned a moment ago is written first, then replaced
        change = await store.set_total(self.bot.services.db, ctx.guild.id, member.id, amount, actor_id=ctx.author.id)
        await self._answer_change(ctx, member, change)

    @xp.subcommand(name="add")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(member="Who gets the XP", amount="XP to add (negative to take some away)")
    async def xp_add(self, ctx: WolaroContext, member: discord.Member, amount: int) -> None:
        """Add XP to a member, or take some away with a negative amount (Manage Server)."""
        assert ctx.guild is not None
        self._not_a_bot(member)
        if amount == 0 or abs(amount) > store.XP_MAX:
            raise UserFacingError("Give an amount of XP other than 0, at most {most}.", most=store.XP_MAX)
        await self.flush()
        change = await store.add_total(self.bot.services.db, ctx.guild.id, member.id, amount, actor_id=ctx.author.id)
        await self._answer_change(ctx, member, change)

    def _role_syncs(self, guild_id: int, parsed: Parsed, planned: list[int]) -> store.Follow:
        """Plan, inside a bulk change's transaction, the reward role syncs of the members whose level it moved.

        `planned` receives how many members' roles will be synced (for the answer).
        """

        async def follow(session: AsyncSession, changes: list[store.Change]) -> None:
            users = role_sync.needing_sync(changes, parsed.config, parsed.curve)
            await role_sync.plan(self.bot.services.jobs, session, guild_id, users)
            planned.append(len(users))

        return follow

    async def _answer_change(self, ctx: WolaroContext, member: discord.Member, change: store.Change) -> None:
        parsed = await self.parsed_for(change.guild_id)
        await self.changed([change])
        await ctx.answer(
            "{member} now has {xp} XP (level {level}).",
            member=member.mention,
            xp=change.after,
            level=level_for_xp(change.after, parsed.curve),
        )

    @xp.subcommand(name="reset")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(member="Whose XP to remove", everyone="Remove everyone's XP in this server instead")
    async def xp_reset(self, ctx: WolaroContext, member: discord.Member | None = None, everyone: bool = False) -> None:
        """Remove a member's XP (their reward roles go too), or everyone's with `everyone` (Manage Server)."""
        assert ctx.guild is not None
        if member is None and not everyone:
            raise UserFacingError("Name the member whose XP to remove, or choose everyone.")
        if member is not None and everyone:
            raise UserFacingError("Name a member or choose everyone, not both.")
        await self.flush()
        if member is not None:
            changes = await store.reset(self.bot.services.db, ctx.guild.id, member.id, actor_id=ctx.author.id)
            await self.changed(changes)
            await ctx.answer("{member} has no XP any more.", member=member.mention)
            return
        planned: list[int] = []
        follow = self._role_syncs(ctx.guild.id, await self.parsed_for(ctx.guild.id), planned)
        changes = await store.reset(self.bot.services.db, ctx.guild.id, None, actor_id=ctx.author.id, follow=follow)
        if sum(planned):
            await ctx.answer(
                "XP removed from {count} members; the reward roles of {roles} of them are being taken away.",
                count=len(changes),
                roles=sum(planned),
            )
        else:
            await ctx.answer("XP removed from {count} members.", count=len(changes))

    @xp.subcommand(name="import")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(file="A CSV file with a user_id column and an xp or level column")
    async def xp_import(self, ctx: WolaroContext, file: discord.Attachment) -> None:
        """Import levels from a CSV file (user_id, and xp or level), e.g. exported from another bot (Manage Server)."""
        assert ctx.guild is not None
        if file.size > csvio.MAX_BYTES:
            raise UserFacingError("The file is too big: at most {limit} MB.", limit=csvio.MAX_BYTES // (1024 * 1024))
        parsed = await self.parsed_for(ctx.guild.id)
        try:
            totals = csvio.parse_levels(await file.read(), parsed.curve)
        except csvio.ImportProblem as problem:
            raise UserFacingError(problem.message, **_fields(problem)) from None
        except discord.HTTPException:
            raise UserFacingError("The file could not be downloaded from Discord; try again.") from None
        if not totals:
            raise UserFacingError("The file lists no members.")
        await self.flush()
        planned: list[int] = []
        follow = self._role_syncs(ctx.guild.id, parsed, planned)
        changes = await store.import_totals(
            self.bot.services.db, ctx.guild.id, totals, actor_id=ctx.author.id, follow=follow
        )
        if sum(planned):
            await ctx.answer(
                "Imported the XP of {count} members; the reward roles of {roles} of them are being updated.",
                count=len(changes),
                roles=sum(planned),
            )
        else:
            await ctx.answer("Imported the XP of {count} members.", count=len(changes))

    @xp.subcommand(name="export")
    @commands.guild_only()
    @guild_admin_only()
    async def xp_export(self, ctx: WolaroContext) -> None:
        """Export everyone's level and XP as a CSV file (Manage Server)."""
        assert ctx.guild is not None
        await self.flush()
        parsed = await self.parsed_for(ctx.guild.id)
        totals = await store.export_totals(self.bot.services.db, ctx.guild.id)
        data = csvio.export_levels(totals, parsed.curve)
        text = ctx.t("Levels of {count} members.", count=len(totals))
        await ctx.send(text, file=discord.File(io.BytesIO(data), filename="levels.csv"), ephemeral=True)


def _fields(problem: csvio.ImportProblem) -> dict[str, int]:
    return {
        key: value
        for key, value in (("line", problem.line), ("limit", problem.limit))
        if f"{{{key}}}" in problem.message
    }


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name=NAME,
    title="Leveling",
    description="XP for chatting and voice, levels, role rewards, rank cards and a leaderboard.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Leveling,),
    models=(LevelingMember,),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=PANELS,
    privacy=PRIVACY,
    jobs={role_sync.SYNC_JOB: role_sync.sync_roles},
    not_personal={"leveling_members.xp": "an amount of XP (a 64-bit number, not anyone's id)"},
    audit_labels={
        store.SET_ACTION: "XP set",
        store.ADD_ACTION: "XP added",
        store.RESET_ACTION: "XP reset",
        store.IMPORT_ACTION: "Levels imported",
    },
)
