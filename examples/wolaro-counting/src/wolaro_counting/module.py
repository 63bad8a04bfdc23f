"""The counting game: members count up together in one channel, one number each (`/counting` for the score).

A wrong number, or the same member twice in a row, breaks the count: the bot reacts ❌, says who broke it, and
(by default) the count starts again at 0. Each correct number gets a ✅ and adds one to the member's tally.
The count lives in the database and changes only by conditional updates (`store.py`), so any number of bot
processes keep it right.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.sdk import (
    GuildConfig,
    ModuleSpec,
    Panel,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    get_logger,
    guild_admin_only,
    hybrid_group,
)
from wolaro_counting import game, store
from wolaro_counting.api import router
from wolaro_counting.config import Config
from wolaro_counting.models import CountingState, CountingTally
from wolaro_counting.privacy import PRIVACY

log = get_logger(__name__)

NAME = store.NAME
GUILDS_TRACKED = 10_000
CORRECT, WRONG = "✅", "❌"


class Counting(WolaroModule):
    """The counting channel game."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self._locks: OrderedDict[int, asyncio.Lock] = OrderedDict()

    def _lock(self, guild_id: int) -> asyncio.Lock:
        """The lock that has this process handle one server's counting messages in the order they arrive.

        It only orders; the database's conditional updates, not this lock, keep the count right between processes.
        """
        lock = self._locks.get(guild_id)
        if lock is None:
            lock = self._locks[guild_id] = asyncio.Lock()
            if len(self._locks) > GUILDS_TRACKED:
                idle = next((g for g, held in self._locks.items() if not held.locked()), None)
                if idle is not None:
                    del self._locks[idle]
        else:
            self._locks.move_to_end(guild_id)
        return lock

    # ------------------------------------------------------------------ the game
    async def on_guild_message(self, config: GuildConfig, message: discord.Message) -> None:
        """Judge a message of the counting channel (other channels, bots and chatter are left alone)."""
        raw = config.module_configs.get(NAME) or {}
        if raw.get("channel_id") != message.channel.id or message.author.bot or message.webhook_id:
            return
        number = game.parse_count(message.content)
        if number is None:
            return
        settings = Config.model_validate(raw)
        async with self._lock(config.guild_id):
            outcome = await store.record(
                self.bot.services.db,
                config.guild_id,
                message.author.id,
                number,
                message.id,
                allow_twice=settings.allow_same_member_twice,
                reset_on_mistake=settings.reset_on_mistake,
            )
        if outcome.verdict is game.Verdict.HANDLED:
            return  # another process (or an earlier delivery) handled this message
        if outcome.verdict is game.Verdict.COUNTS:
            await self._react(message, CORRECT)
            return
        await self._react(message, WRONG)
        if outcome.reset:  # only the process whose update reset the count announces it
            await message.channel.send(self._broken(config, message.author.id, outcome))

    def _broken(self, config: GuildConfig, user_id: int, outcome: store.Outcome) -> str:
        translate = self.bot.translator.translate
        if outcome.verdict is game.Verdict.TWICE_IN_A_ROW:
            return translate(
                config.language,
                "<@{user}> broke the count at {count}: nobody may count twice in a row. Start again from 1.",
                user=user_id,
                count=outcome.before.current,
            )
        return translate(
            config.language,
            "<@{user}> broke the count at {count}: the next number was {expected}. Start again from 1.",
            user=user_id,
            count=outcome.before.current,
            expected=outcome.before.current + 1,
        )

    async def _react(self, message: discord.Message, emoji: str) -> None:
        try:
            await message.add_reaction(emoji)
        except discord.HTTPException as exc:  # no permission to react, message gone: the count is right anyway
            log.info("counting reaction failed", guild_id=message.guild and message.guild.id, error=repr(exc))

    # ------------------------------------------------------------------ commands
    @hybrid_group(name="counting", fallback="show")
    @commands.guild_only()
    async def counting(self, ctx: WolaroContext) -> None:
        """Show the count, the high score and how many numbers you counted here."""
        assert ctx.guild is not None
        settings = await self.config_for(ctx.guild.id, Config)
        db = self.bot.services.db
        state = await store.snapshot(db, ctx.guild.id)
        mine = await store.tally(db, ctx.guild.id, ctx.author.id)
        if settings.channel_id is None:
            await ctx.answer(
                "There is no counting channel yet: an admin picks one with `/counting channel`.", ephemeral=True
            )
            return
        await ctx.answer(
            "The count is at {current} in <#{channel}> (next: {next}). High score: {high}. "
            "You counted {mine} numbers correctly here.",
            ephemeral=True,
            current=state.current,
            channel=settings.channel_id,
            next=state.current + 1,
            high=state.high_score,
            mine=mine,
        )

    @counting.subcommand(name="channel")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(channel="The channel where members count")
    async def counting_channel(self, ctx: WolaroContext, channel: discord.TextChannel) -> None:
        """Choose the channel where members count (Manage Server)."""
        assert ctx.guild is not None
        if channel.guild.id != ctx.guild.id:
            raise UserFacingError("Pick a channel of this server.")
        await self.bot.config.update_module_config(
            ctx.guild.id, NAME, {"channel_id": channel.id}, actor_id=ctx.author.id
        )
        await ctx.answer("Members now count in {channel}, starting from 1.", channel=channel.mention)

    @counting.subcommand(name="reset")
    @commands.guild_only()
    @guild_admin_only()
    async def counting_reset(self, ctx: WolaroContext) -> None:
        """Start the count again at 0; the high score and everyone's tally stay (Manage Server)."""
        assert ctx.guild is not None
        before = await store.reset(self.bot.services.db, ctx.guild.id, ctx.author.id)
        await ctx.answer("The count was at {count}; it starts again from 1.", count=before.current)


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name=NAME,
    title="Counting",
    description="Counting channel: members count up together, one number each; /counting shows the score.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,  # off in every server until an admin enables it
    cogs=(Counting,),
    models=(CountingState, CountingTally),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=(Panel(title="How counting works here", template="panel.html"),),
    privacy=PRIVACY,
    not_personal={"counting_state.last_message_id": "a message of the counting channel (where the count stands)"},
    audit_labels={store.RESET_ACTION: "Count reset"},
)
