"""Polls: `/poll native`, `/poll buttons`, `/poll end`, `/poll list`.

`/poll native` starts Discord's own poll; `/poll buttons` one with buttons (anonymous until the end, up to 25
options, role-weighted votes). Each poll closes through the durable job `polls.close`.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import Field

from wolaro.core.durations import DurationError, format_duration, parse_duration
from wolaro.modules.polls import jobs as poll_jobs
from wolaro.modules.polls import render, service, store
from wolaro.modules.polls.api import router
from wolaro.modules.polls.models import Poll, PollVote
from wolaro.modules.polls.pages import PANELS
from wolaro.modules.polls.privacy import PRIVACY
from wolaro.modules.polls.service import PollError, Problem
from wolaro.sdk import (
    GuildConfig,
    ModuleConfig,
    ModuleSpec,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    hybrid_group,
    utcnow,
)

#: How long a click stays claimed by the process that answers it (Discord gives 15 minutes to follow up).
CLAIM_TTL = 900.0


class Config(ModuleConfig):
    """Poll limits of one server."""

    max_open: int = Field(
        default=25, ge=1, le=100, title="Polls at once", description="How many polls may be open at the same time"
    )
    members_can_create: bool = Field(
        default=True,
        title="Members may start polls",
        description="Let every member start polls (otherwise only those who can manage the server)",
    )


def t(message: str) -> str:
    """Mark `message` for the catalog; it is translated where shown."""
    return message


PROBLEMS = {
    Problem.TOO_FEW: t("A poll needs at least {limit} options, separated by `|`: `apple | pear | plum`."),
    Problem.TOO_MANY: t("This kind of poll has at most {limit} options."),
    Problem.TOO_LONG: t("Each option has at most {limit} characters."),
    Problem.DUPLICATE: t("Two options are the same: give each a different text."),
    Problem.BAD_WEIGHTS: t("Write role weights as `@Role=3, @Other=2` (from 1 to {limit}, at most 10 roles)."),
}


def _poll_error(exc: PollError) -> UserFacingError:
    return UserFacingError(PROBLEMS[exc.problem], limit=exc.limit)


def _duration(text: str, minimum: timedelta) -> timedelta:
    try:
        return parse_duration(text, maximum=service.MAX_DURATION, minimum=minimum)
    except DurationError:
        raise UserFacingError(
            "`{text}` is not a duration this poll can last: from {minimum} to {maximum}, e.g. `1h`, `2d`.",
            text=text,
            minimum=format_duration(minimum),
            maximum=format_duration(service.MAX_DURATION),
        ) from None


def _question(text: str) -> str:
    question = " ".join(text.split())
    if not question or len(question) > service.QUESTION_MAX:
        raise UserFacingError("Ask the question in at most {maximum} characters.", maximum=service.QUESTION_MAX)
    return question


class Polls(WolaroModule):
    """Polls."""

    async def _may_create(self, ctx: WolaroContext) -> Config:
        assert ctx.guild is not None
        config = await self.config_for(ctx.guild.id, Config)
        perms = getattr(ctx.author, "guild_permissions", None)
        if not config.members_can_create and not (perms is not None and perms.manage_guild):
            raise UserFacingError("Only those who can manage the server may start polls here.")
        if len(await store.open_polls(self.bot.services.db, ctx.guild.id, config.max_open)) >= config.max_open:
            raise UserFacingError("{count} polls are already open here, the most allowed.", count=config.max_open)
        return config

    @hybrid_group(name="poll", fallback="list")
    @commands.guild_only()
    async def poll(self, ctx: WolaroContext) -> None:
        """List the open polls of this server."""
        assert ctx.guild is not None
        found = await store.open_polls(self.bot.services.db, ctx.guild.id)
        if not found:
            await ctx.answer("No poll is open here.", ephemeral=True)
            return
        lines = [
            f"**#{p.id}** {p.question} · <#{p.channel_id}> · {discord.utils.format_dt(p.ends_at, 'R')}" for p in found
        ]
        embed = discord.Embed(
            title=ctx.t("Open polls: {count}", count=len(found)), description="\n".join(lines), colour=0x5865F2
        )
        await ctx.embed(embed, ephemeral=True)

    @poll.subcommand(name="native")
    @commands.guild_only()
    @app_commands.describe(
        duration="How long it stays open: 1h to 32d",
        question="The question",
        options="Up to 10 options separated by |",
        multiple="Let members pick several options",
    )
    async def poll_native(
        self, ctx: WolaroContext, duration: str, question: str, options: str, multiple: bool = False
    ) -> None:
        """Start one of Discord's own polls in this channel (up to 10 options, 1 hour to 32 days).

        Example: `/poll native duration:1d question:Best fruit? options:apple | pear | plum`, or in chat
        `!poll native 1d "Best fruit?" "apple | pear | plum"`. Discord counts the votes and shows the results.
        """
        assert ctx.guild is not None
        await self._may_create(ctx)
        lasting = _duration(duration, service.NATIVE_MIN)
        hours = max(1, round(lasting.total_seconds() / 3600))
        asked = _question(question)
        try:
            choices = service.parse_options(
                options, maximum=service.NATIVE_OPTIONS_MAX, length=service.NATIVE_OPTION_LENGTH
            )
        except PollError as exc:
            raise _poll_error(exc) from None
        ends_at = utcnow() + timedelta(hours=hours)
        db, jobs = self.bot.services.db, self.bot.services.jobs
        number = await store.create(
            db,
            jobs,
            guild_id=ctx.guild.id,
            channel_id=ctx.channel.id,
            author_id=ctx.author.id,
            kind=service.NATIVE,
            question=asked,
            options=choices,
            ends_at=ends_at,
        )
        native = discord.Poll(asked, duration=timedelta(hours=hours), multiple=multiple)
        for choice in choices:
            native.add_answer(text=choice)
        try:
            message = await ctx.channel.send(poll=native)
        except discord.HTTPException:
            await store.CLOSING.discard(db, jobs, ctx.guild.id, number)
            raise UserFacingError("I cannot post a poll in this channel: let me send messages here.") from None
        await store.CLOSING.set_message(db, ctx.guild.id, number, message.id)
        await ctx.answer("Poll #{number} started.", ephemeral=True, number=number)

    @poll.subcommand(name="buttons")
    @commands.guild_only()
    @app_commands.describe(
        duration="How long it stays open, e.g. 10m, 2h, 3d (at most 32d)",
        question="The question",
        options="Up to 25 options separated by |",
        anonymous="Hide the results until the poll closes",
        weights="Roles whose votes count more, e.g. @Moderators=3, @Members=2",
    )
    async def poll_buttons(
        self,
        ctx: WolaroContext,
        duration: str,
        question: str,
        options: str,
        anonymous: bool = False,
        weights: str | None = None,
    ) -> None:
        """Start a button poll: up to 25 options, results hidden until the end if you like, weighted roles.

        Example: `/poll buttons duration:2h question:Next event? options:quiz | movie | game night anonymous:true`,
        or in chat `!poll buttons 2h "Next event?" "quiz | movie" yes "@Moderators=3"`. A chart shows the results.
        """
        assert ctx.guild is not None
        await self._may_create(ctx)
        ends_at = utcnow() + _duration(duration, service.BUTTON_MIN)
        asked = _question(question)
        try:
            choices = service.parse_options(
                options, maximum=service.BUTTON_OPTIONS_MAX, length=service.BUTTON_OPTION_LENGTH
            )
            weighted = service.parse_weights(weights)
        except PollError as exc:
            raise _poll_error(exc) from None
        db, jobs = self.bot.services.db, self.bot.services.jobs
        number = await store.create(
            db,
            jobs,
            guild_id=ctx.guild.id,
            channel_id=ctx.channel.id,
            author_id=ctx.author.id,
            kind=service.BUTTONS,
            question=asked,
            options=choices,
            ends_at=ends_at,
            anonymous=anonymous,
            weights=weighted,
        )
        shown = await store.get(db, ctx.guild.id, number)
        assert shown is not None
        try:
            message = await ctx.channel.send(embed=render.open_embed(shown, None, ctx.t), view=render.vote_view(shown))
        except discord.HTTPException:
            await store.CLOSING.discard(db, jobs, ctx.guild.id, number)
            raise UserFacingError("I cannot post a poll in this channel: let me send messages here.") from None
        await store.CLOSING.set_message(db, ctx.guild.id, number, message.id)
        await ctx.answer("Poll #{number} started.", ephemeral=True, number=number)

    @poll.subcommand(name="end")
    @commands.guild_only()
    @app_commands.describe(number="The poll's number (see /poll list)")
    async def poll_end(self, ctx: WolaroContext, number: int) -> None:
        """Close a poll now and show its results (its author, or those who can manage the server).

        Example: `!poll end 7`.
        """
        assert ctx.guild is not None
        found = await store.get(self.bot.services.db, ctx.guild.id, number)
        if found is None:
            raise UserFacingError("There is no poll #{number} here.", number=number)
        perms = getattr(ctx.author, "guild_permissions", None)
        if found.author_id != ctx.author.id and not (perms is not None and perms.manage_guild):
            raise UserFacingError("Only the poll's author or those who can manage the server may close it.")
        if not found.open:
            raise UserFacingError("Poll #{number} is already closed.", number=number)
        t = partial(self.bot.translator.translate, ctx.language)
        closed = await poll_jobs.finish(self.bot.services.db, self.bot.http, t, ctx.guild.id, number)
        if not closed:
            raise UserFacingError("Poll #{number} is already closed.", number=number)
        await store.CLOSING.cancel_end(self.bot.services.jobs, ctx.guild.id, number)
        await ctx.answer("Poll #{number} closed.", ephemeral=True, number=number)

    async def on_guild_interaction(self, config: GuildConfig, interaction: discord.Interaction[Any]) -> None:
        """A vote button: record the member's vote (weighted by their roles) and tell them."""
        data: Any = interaction.data or {}
        parsed = service.parse_vote_custom_id(str(data.get("custom_id", "")))
        if parsed is None or interaction.guild_id is None:
            return
        if not await self.bot.services.cache.claim(f"polls:interaction:{interaction.id}", CLAIM_TTL):
            return  # another bot process that received the same click answers it (a click toggles: act once)
        t = partial(self.bot.translator.translate, config.language)
        text = await self._vote(interaction, *parsed, t=t)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    async def _vote(self, interaction: discord.Interaction[Any], poll_id: int, option: int, *, t: Any) -> str:
        db = self.bot.services.db
        poll = await store.get(db, int(interaction.guild_id or 0), poll_id)
        if poll is None or not 0 <= option < len(poll.options):
            return str(t("This poll no longer exists."))
        roles = [role.id for role in getattr(interaction.user, "roles", [])]
        weight = service.weight_of(roles, poll.weights)
        if not await store.vote(db, poll, interaction.user.id, option, weight):
            return str(t("This poll is closed."))
        said = str(t("Your vote for **{option}** is counted.", option=poll.options[option]))
        if weight > 1:
            said += " " + str(t("Your roles make it count {weight} times.", weight=weight))
        if poll.anonymous:
            return said + " " + str(t("Results stay hidden until the poll closes."))
        counts = await store.counts(db, poll)
        return said + "\n" + "\n".join(render.results_lines(poll, counts, t))


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="polls",
    title="Polls",
    description="Polls: Discord's own polls, and button polls (anonymous, many options, weighted roles) with a chart.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Polls,),
    jobs={service.CLOSE_JOB: poll_jobs.close_poll},
    models=(Poll, PollVote),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=PANELS,
    privacy=PRIVACY,
    not_personal={
        "polls.id": "the poll's number",
        "polls.channel_id": "the channel where the poll is",
        "polls.message_id": "the message that shows the poll",
        "polls.result_message_id": "the message that showed the results",
        "polls.options": "the poll's options",
        "polls.weights": "how much each role's votes count",
        "polls.results": "the poll's vote counts",
        "poll_votes.poll_id": "the poll's number",
    },
)
