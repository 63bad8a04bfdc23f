"""Giveaways: `/giveaway start`, `end`, `reroll`, `list`, and the Enter button on each giveaway.

The end of each giveaway is a durable job (`giveaways.end`, see `jobs.py`): it survives restarts and crashes, and
the winners are drawn exactly once whichever process (or how many) runs it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import Field

from wolaro.core.durations import DurationError, format_duration, parse_duration
from wolaro.modules.giveaways import jobs as giveaway_jobs
from wolaro.modules.giveaways import levels, render, service, store
from wolaro.modules.giveaways.api import router
from wolaro.modules.giveaways.models import Giveaway, GiveawayEntry
from wolaro.modules.giveaways.pages import PANELS
from wolaro.modules.giveaways.privacy import PRIVACY
from wolaro.modules.giveaways.service import Entrant, Refusal, Requirements
from wolaro.modules.giveaways.store import Entry
from wolaro.sdk import (
    GuildConfig,
    ModuleConfig,
    ModuleSpec,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    guild_admin_only,
    hybrid_group,
    utcnow,
)

#: How long a click stays claimed by the process that answers it (Discord gives 15 minutes to follow up).
CLAIM_TTL = 900.0


class Config(ModuleConfig):
    """Giveaway limits of one server."""

    max_active: int = Field(
        default=20,
        ge=1,
        le=100,
        title="Giveaways at once",
        description="How many giveaways may run at the same time in this server",
    )


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


REFUSALS = {
    Refusal.ROLE: t("You need the role <@&{role}> to enter this giveaway."),
    Refusal.ACCOUNT_AGE: t("Your Discord account must be at least {days} days old to enter this giveaway."),
    Refusal.MEMBER_AGE: t("You must have been in this server for at least {days} days to enter this giveaway."),
    Refusal.LEVEL: t("You need level {level} or more to enter this giveaway."),
}


def _days(value: int | None, what: str) -> int | None:
    if value is not None and not 0 <= value <= 3650:
        raise UserFacingError("{what} must be between 0 and 3650 days.", what=what)
    return value


class Giveaways(WolaroModule):
    """Giveaways."""

    @hybrid_group(name="giveaway", fallback="list")
    @commands.guild_only()
    async def giveaway(self, ctx: WolaroContext) -> None:
        """List the giveaways running in this server."""
        assert ctx.guild is not None
        running = await store.active(self.bot.services.db, ctx.guild.id)
        if not running:
            await ctx.answer("No giveaway is running here.", ephemeral=True)
            return
        lines = [
            f"**#{g.id}** {g.prize} · <#{g.channel_id}> · {discord.utils.format_dt(g.ends_at, 'R')}" for g in running
        ]
        embed = discord.Embed(
            title=ctx.t("Giveaways running: {count}", count=len(running)),
            description="\n".join(lines),
            colour=discord.Colour.gold(),
        )
        await ctx.embed(embed, ephemeral=True)

    @giveaway.subcommand(name="start")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(
        duration="How long it runs: 10m, 2h, 3d...",
        winners="How many winners (1 to 20)",
        prize="What is won",
        role="A role members need to enter",
        account_days="How old (in days) a member's Discord account must be",
        member_days="How long (in days) a member must have been in this server",
        level="The level a member needs (when the leveling module is on)",
    )
    async def giveaway_start(
        self,
        ctx: WolaroContext,
        duration: str,
        winners: int,
        prize: str,
        role: discord.Role | None = None,
        account_days: int | None = None,
        member_days: int | None = None,
        level: int | None = None,
    ) -> None:
        """Start a giveaway in this channel (Manage Server).

        Example: `/giveaway start duration:1d winners:2 prize:Nitro role:@Members`, or in chat
        `!giveaway start 1d 2 "Nitro classic"`. Members press **Enter** to take part.
        """
        assert ctx.guild is not None
        try:
            delay = parse_duration(duration, maximum=service.MAX_DURATION, minimum=service.MIN_DURATION)
        except DurationError:
            raise UserFacingError(
                "`{text}` is not a duration. Say how long it runs: `10m`, `2h`, `3d` (at most {maximum}).",
                text=duration,
                maximum=format_duration(service.MAX_DURATION),
            ) from None
        if not 1 <= winners <= service.MAX_WINNERS:
            raise UserFacingError("A giveaway has between 1 and {maximum} winners.", maximum=service.MAX_WINNERS)
        prize = " ".join(prize.split())
        if not prize or len(prize) > service.MAX_PRIZE:
            raise UserFacingError("Name the prize in at most {maximum} characters.", maximum=service.MAX_PRIZE)
        if level is not None:
            if not levels.leveling_available(self.bot, ctx.config.enabled_modules if ctx.config else ()):
                raise UserFacingError("A level can be required only when the leveling module is on in this server.")
            if not 1 <= level <= 1000:
                raise UserFacingError("The level must be between 1 and 1000.")
        requirements = Requirements(
            role.id if role else None,
            _days(account_days, ctx.t("The account age")),
            _days(member_days, ctx.t("The time in the server")),
            level,
        )
        await self._start(ctx, utcnow() + delay, winners, prize, requirements)

    async def _start(
        self, ctx: WolaroContext, ends_at: Any, winners: int, prize: str, requirements: Requirements
    ) -> None:
        assert ctx.guild is not None
        db = self.bot.services.db
        config = await self.config_for(ctx.guild.id, Config)
        if len(await store.active(db, ctx.guild.id, limit=config.max_active)) >= config.max_active:
            raise UserFacingError(
                "{count} giveaways are already running here, the most allowed: end one first.",
                count=config.max_active,
            )
        number = await store.create(
            db,
            self.bot.services.jobs,
            guild_id=ctx.guild.id,
            channel_id=ctx.channel.id,
            host_id=ctx.author.id,
            prize=prize,
            winners=winners,
            ends_at=ends_at,
            requirements=requirements,
        )
        shown = await store.get(db, ctx.guild.id, number)
        assert shown is not None
        try:
            message = await ctx.channel.send(
                embed=render.running_embed(shown, ctx.t), view=render.enter_view(number, ctx.t)
            )
        except discord.HTTPException:
            await store.ENDING.discard(db, self.bot.services.jobs, ctx.guild.id, number)
            raise UserFacingError("I cannot post in this channel: let me send messages and embeds here.") from None
        await store.ENDING.set_message(db, ctx.guild.id, number, message.id)
        await ctx.answer("Giveaway #{number} started.", ephemeral=True, number=number)

    async def _ended(self, ctx: WolaroContext, number: int) -> store.GiveawayView:
        assert ctx.guild is not None
        found = await store.get(self.bot.services.db, ctx.guild.id, number)
        if found is None:
            raise UserFacingError("There is no giveaway #{number} here.", number=number)
        return found

    @giveaway.subcommand(name="end")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(number="The giveaway's number (see /giveaway list)")
    async def giveaway_end(self, ctx: WolaroContext, number: int) -> None:
        """End a giveaway now and draw its winners (Manage Server).

        Example: `!giveaway end 12`.
        """
        assert ctx.guild is not None
        db = self.bot.services.db
        await self._ended(ctx, number)
        winners = await store.claim_end(db, ctx.guild.id, number, utcnow())
        if winners is None:
            raise UserFacingError("Giveaway #{number} has already ended.", number=number)
        await store.ENDING.cancel_end(self.bot.services.jobs, ctx.guild.id, number)
        giveaway = await store.get(db, ctx.guild.id, number)
        assert giveaway is not None
        with_language = partial(self.bot.translator.translate, ctx.language)
        message_id = await giveaway_jobs.publish(self.bot.http, with_language, giveaway, winners, round_=1)
        if message_id is not None:
            await store.ENDING.set_result_message(db, ctx.guild.id, number, message_id)
        await ctx.answer("Giveaway #{number} ended.", ephemeral=True, number=number)

    @giveaway.subcommand(name="reroll")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(number="The giveaway's number", winners="How many new winners (1 by default)")
    async def giveaway_reroll(self, ctx: WolaroContext, number: int, winners: int = 1) -> None:
        """Draw new winners for an ended giveaway, among those who have not won yet (Manage Server).

        Example: `!giveaway reroll 12` or `/giveaway reroll number:12 winners:2`.
        """
        assert ctx.guild is not None
        if not 1 <= winners <= service.MAX_WINNERS:
            raise UserFacingError("A giveaway has between 1 and {maximum} winners.", maximum=service.MAX_WINNERS)
        giveaway = await self._ended(ctx, number)
        if giveaway.active:
            raise UserFacingError("Giveaway #{number} is still running: end it first.", number=number)
        drawn = await store.reroll(self.bot.services.db, ctx.guild.id, number, winners)
        if drawn is None:
            raise UserFacingError("Giveaway #{number} is being drawn right now: try again.", number=number)
        round_, new = drawn
        with_language = partial(self.bot.translator.translate, ctx.language)
        await giveaway_jobs.publish(self.bot.http, with_language, giveaway, new, round_=round_)
        await ctx.answer("Giveaway #{number} rerolled.", ephemeral=True, number=number)

    async def on_guild_interaction(self, config: GuildConfig, interaction: discord.Interaction[Any]) -> None:
        """A click on a giveaway's Enter button: enter, or leave if already in."""
        data: Any = interaction.data or {}
        number = service.giveaway_of_custom_id(str(data.get("custom_id", "")))
        if number is None or interaction.guild_id is None:
            return
        if not await self.bot.services.cache.claim(f"giveaways:interaction:{interaction.id}", CLAIM_TTL):
            return  # another bot process that received the same click answers it (a click toggles: act once)
        t = partial(self.bot.translator.translate, config.language)
        text = await self._click(config, interaction, number, t)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    async def _click(self, config: GuildConfig, interaction: discord.Interaction[Any], number: int, t: Any) -> str:
        db = self.bot.services.db
        guild_id = int(interaction.guild_id or 0)
        giveaway = await store.get(db, guild_id, number)
        if giveaway is None:
            return str(t("This giveaway no longer exists."))
        refused = None
        if not await store.has_entered(db, number, interaction.user.id):
            refused = await self._refusal(config, interaction.user, giveaway.requirements)
        outcome, count = await store.toggle(db, guild_id, number, interaction.user.id, may_enter=refused is None)
        if outcome is Entry.ENDED:
            return str(t("This giveaway has ended."))
        if outcome is Entry.LEFT:
            return str(t("You left the giveaway. Press Enter again to come back."))
        if outcome is Entry.ENTERED:
            return str(t("You're in! {count} entries so far. Press Enter again to leave.", count=count))
        req = giveaway.requirements
        if refused is None:
            return str(t("This giveaway no longer exists."))
        return str(
            t(
                REFUSALS[refused],
                role=req.role_id,
                days=req.min_account_days if refused is Refusal.ACCOUNT_AGE else req.min_member_days,
                level=req.min_level,
            )
        )

    async def _refusal(self, config: GuildConfig, user: Any, req: Requirements) -> Refusal | None:
        if not req.any:
            return None
        level = None
        if req.min_level is not None and levels.leveling_available(self.bot, config.enabled_modules):
            level = await levels.level_of(self.bot, config.guild_id, user.id)
        who = Entrant(
            role_ids=[role.id for role in getattr(user, "roles", [])],
            account_created=user.created_at,
            joined_at=getattr(user, "joined_at", None),
            level=level,
        )
        return service.refusal(req, who, utcnow())


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="giveaways",
    title="Giveaways",
    description="Giveaways: members press Enter, winners are drawn on time, exactly once, even across restarts.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Giveaways,),
    jobs={service.END_JOB: giveaway_jobs.end_giveaway},
    models=(Giveaway, GiveawayEntry),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=PANELS,
    privacy=PRIVACY,
    not_personal={
        "giveaways.channel_id": "the channel where the giveaway is posted",
        "giveaways.message_id": "the message that shows the giveaway",
        "giveaways.required_role_id": "a role members need to enter",
        "giveaways.result_message_id": "the message that announced the winners",
        "giveaways.id": "the giveaway's number",
        "giveaway_entries.giveaway_id": "the giveaway's number",
    },
)
