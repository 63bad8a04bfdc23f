"""Reminders: `remind <when> <text>`, `reminders`, `reminders cancel <id>`.

Each reminder is a durable job (`reminders.deliver`, see `jobs.py`): it survives restarts and crashes and is
delivered once, by whichever worker runs when it is due.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import Field, field_validator

from wolaro.core.durations import DurationError
from wolaro.modules.reminders import jobs as reminder_jobs
from wolaro.modules.reminders import service
from wolaro.modules.reminders.privacy import PRIVACY
from wolaro.modules.reminders.service import DELIVER_JOB, MAX_TEXT, Reminder, WhenError, WhenProblem
from wolaro.sdk import (
    ModuleConfig,
    ModuleSpec,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    hybrid_command,
    hybrid_group,
    ui,
    utcnow,
)


class Config(ModuleConfig):
    """Reminder limits of one guild."""

    max_per_user: int = Field(
        default=25,
        ge=1,
        le=100,
        title="Reminders per member",
        description="How many reminders one member may have waiting in this server.",
    )
    max_horizon: str = Field(
        default="365d",
        max_length=32,
        title="Furthest reminder",
        description="How far ahead a reminder may be set (at most 10 years).",
        json_schema_extra=ui.duration(),
    )

    @field_validator("max_horizon")
    @classmethod
    def _valid_horizon(cls, value: str) -> str:
        try:
            service.parse_horizon(value)
        except DurationError:
            raise ValueError("Enter a length such as 7 days, 30 days or 52 weeks (at most 10 years).") from None
        return value.strip()


class When(commands.Converter[str]):
    """The "when" of a reminder: `10m`, `in 2h30m`, `1d 12h`, `in 3 days`.

    In the prefix form it may span several words; everything that reads as a delay is taken and the rest is the
    reminder's text. It is checked by the command (against the guild's limits).
    """

    async def convert(self, ctx: commands.Context[Any], argument: str) -> str:  # noqa: D102
        if ctx.interaction is not None:
            return argument
        view = ctx.view
        start = view.previous
        raw = view.buffer[start:]
        when, rest = service.split_when(raw)
        view.index = start + len(raw.rstrip()) - len(rest)
        return when


def _when_error(exc: WhenError) -> UserFacingError:
    if exc.problem is WhenProblem.TOO_FAR:
        bound = service.format_duration(exc.bound) if exc.bound else ""
        return UserFacingError("Reminders can be set at most {maximum} ahead here.", maximum=bound)
    if exc.problem is WhenProblem.TOO_SOON:
        return UserFacingError("A reminder needs a delay of at least one second.")
    return UserFacingError(
        "`{text}` is not a time. Say when with a delay: `10m`, `2h30m`, `1d` or `in 3 days` (units s, m, h, d, w).",
        text=exc.text.strip(),
    )


class Reminders(WolaroModule):
    """Reminders."""

    async def _mine(self, guild_id: int, user_id: int) -> list[Reminder]:
        pending = await self.bot.services.jobs.pending(
            guild_id=guild_id, kind=DELIVER_JOB, limit=service.GUILD_SCAN_LIMIT
        )
        return service.reminders_of(pending, user_id)

    @hybrid_command(name="remind")
    @commands.guild_only()
    @app_commands.describe(when="In how long: 10m, 2h30m, 1d, in 3 days...", text="What to remind you of")
    async def remind(self, ctx: WolaroContext, when: Annotated[str, When], *, text: str) -> None:
        """Set a reminder: I mention you here when it is due.

        Examples: `!remind in 10m take the pizza out`, `!remind 2h30m call mum`, `/remind when:1d text:renew domain`.
        Delays use s, m, h, d, w. If this channel is gone by then, the reminder comes by DM.
        """
        assert ctx.guild is not None
        config = await self.config_for(ctx.guild.id, Config)
        now = utcnow()
        try:
            due = service.parse_when(when, now=now, horizon=service.parse_horizon(config.max_horizon))
        except WhenError as exc:
            raise _when_error(exc) from None
        text = service.clean_text(text)
        if not text:
            raise UserFacingError("What should I remind you of? Add a text after the time.")
        if len(text) > MAX_TEXT:
            raise UserFacingError("A reminder's text has at most {maximum} characters.", maximum=MAX_TEXT)
        mine = await self._mine(ctx.guild.id, ctx.author.id)
        if len(mine) >= config.max_per_user:
            raise UserFacingError(
                "You already have {count} pending reminders here, the most allowed: cancel one first.",
                count=len(mine),
            )
        payload = service.payload_for(
            guild_id=ctx.guild.id,
            guild_name=ctx.guild.name,
            channel_id=ctx.channel.id,
            user_id=ctx.author.id,
            text=text,
            created_at=now,
        )
        number = await self.bot.services.jobs.schedule(DELIVER_JOB, run_at=due, guild_id=ctx.guild.id, payload=payload)
        await ctx.answer(
            "I'll remind you on {when} ({relative}). Reminder #{number}.",
            ephemeral=True,
            when=discord.utils.format_dt(due, "F"),
            relative=discord.utils.format_dt(due, "R"),
            number=number,
        )

    @hybrid_group(name="reminders", fallback="list")
    @commands.guild_only()
    async def reminders(self, ctx: WolaroContext) -> None:
        """List your pending reminders in this server.

        Only you see the list (with the slash command). `!reminders cancel <number>` cancels one.
        """
        assert ctx.guild is not None
        mine = await self._mine(ctx.guild.id, ctx.author.id)
        if not mine:
            await ctx.answer("You have no pending reminders here.", ephemeral=True)
            return
        lines = [
            f"**#{r.id}** {discord.utils.format_dt(r.due_at, 'f')} ({discord.utils.format_dt(r.due_at, 'R')}) · "
            f"<#{r.channel_id}> · {service.preview(r.text)}"
            for r in mine[:25]
        ]
        embed = discord.Embed(
            title=ctx.t("Your reminders here: {count}", count=len(mine)),
            description="\n".join(lines),
            colour=discord.Colour.blurple(),
        )
        await ctx.embed(embed, ephemeral=True)

    @reminders.subcommand(name="cancel")
    @commands.guild_only()
    @app_commands.describe(number="The reminder's number (see /reminders list)")
    async def reminders_cancel(self, ctx: WolaroContext, number: int) -> None:
        """Cancel one of your reminders.

        Example: `!reminders cancel 42`. You can only cancel your own.
        """
        assert ctx.guild is not None
        jobs = self.bot.services.jobs
        pending = await jobs.pending(guild_id=ctx.guild.id, kind=DELIVER_JOB, limit=service.GUILD_SCAN_LIMIT)
        found = next((job for job in pending if job.id == number), None)
        if found is None:
            raise UserFacingError("There is no pending reminder #{number} here.", number=number)
        if int(found.payload["user_id"]) != ctx.author.id:
            raise UserFacingError("Reminder #{number} is someone else's: you can only cancel your own.", number=number)
        if not await jobs.cancel(job_id=number, guild_id=ctx.guild.id):
            raise UserFacingError("Reminder #{number} is being delivered right now.", number=number)
        await ctx.answer("Reminder #{number} cancelled.", ephemeral=True, number=number)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="reminders",
    description="Reminders: /remind in 10m, delivered on time even across restarts.",
    version="1.0.0",
    config=Config,
    privacy=PRIVACY,
    enabled_by_default=True,
    title="Reminders",
    cogs=(Reminders,),
    jobs={DELIVER_JOB: reminder_jobs.deliver_reminder},
    locales=HERE / "locales",
)
