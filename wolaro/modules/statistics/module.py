"""Statistics: messages, voice time and member growth per server, with `/stats`, `/top`, charts and stat channels.

The Cog is the adapter: its event handlers feed the in-memory `Recorder` (one dictionary update per message),
its commands read cached rollup queries and attach a chart drawn in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.modules.statistics import charts, jobs, online, periods, queries, store, views
from wolaro.modules.statistics.api import router
from wolaro.modules.statistics.cache import StatsCache
from wolaro.modules.statistics.config import Config
from wolaro.modules.statistics.metrics import COLLECTORS
from wolaro.modules.statistics.models import (
    ChannelDaily,
    GuildDaily,
    HourlyActivity,
    OptOut,
    StatChannelState,
    UserBlock,
    UserDaily,
    VoiceSession,
)
from wolaro.modules.statistics.online import OnlineSampler
from wolaro.modules.statistics.online_models import OnlineDaily, OnlineHourly
from wolaro.modules.statistics.privacy import PRIVACY
from wolaro.modules.statistics.recorder import GuildRules, Recorder
from wolaro.modules.statistics.times import DISCORD_EPOCH_HOUR, period_days
from wolaro.modules.statistics.voice import Session, restored
from wolaro.sdk import (
    ERASED_CHANNEL,
    ChatMessage,
    GuildConfig,
    ModuleSpec,
    Panel,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    get_logger,
    hybrid_group,
    is_unavailable,
)

log = get_logger(__name__)
HERE = Path(__file__).resolve().parent
NAME = "statistics"


def _failed(what: str, exc: Exception) -> None:
    """One warning line for an outage (the database is down: not a bug), the traceback for anything else."""
    if is_unavailable(exc):
        log.warning(what, error=repr(exc))
    else:
        log.exception(what)


class Statistics(WolaroModule):
    """Server statistics."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.results = StatsCache(bot.services.cache)
        self.recorder = Recorder(
            bot.services.db, rules=self._rules, present=self._present, on_flushed=self.results.changed
        )
        presences = getattr(bot, "online", None)  # who is online: only when the host turned presences on
        self.online = OnlineSampler(bot.services.db, presences, self._counts_online) if presences else None
        self._started: asyncio.Task[None] | None = None
        self._planned: set[int] = set()
        self._restoring = False

    async def cog_load(self) -> None:
        """Start the flush loop; once the gateway is ready, pick up voice sessions a stop or crash left open."""
        self.recorder.start()
        if self.online is not None:
            self.online.start()
        self._started = asyncio.create_task(self._after_ready(), name="statistics-start")
        self.bot.services.pubsub.subscribe(ERASED_CHANNEL, self._on_erased)

    async def _on_erased(self, _channel: str, message: dict[str, Any]) -> None:
        """A `/privacy delete` ran (in any process): drop the person's counters not yet written here."""
        with contextlib.suppress(KeyError, TypeError, ValueError):
            guild = message.get("guild_id")
            self.recorder.forget_member(int(message["user_id"]), None if guild is None else int(guild))

    async def cog_unload(self) -> None:
        """Write everything buffered (a graceful stop loses nothing)."""
        self.bot.services.pubsub.unsubscribe(ERASED_CHANNEL, self._on_erased)
        start = self._started
        if start is not None and not start.done():
            if self._restoring:  # its database work is under way: let it end (a cancelled transaction would
                with contextlib.suppress(Exception):  # keep SQLite's write lock until the connection is collected)
                    await asyncio.wait_for(asyncio.shield(start), timeout=10)
            else:
                start.cancel()
        await self.recorder.stop()
        if self.online is not None:
            await self.online.stop()

    # ------------------------------------------------------------------ settings the recorder needs
    async def _config(self, guild_id: int) -> GuildConfig | None:
        config = self.bot.config.peek(guild_id)
        if config is None:
            with contextlib.suppress(Exception):
                config = await self.bot.config.get(guild_id)
        return config

    async def _rules(self, guild_ids: set[int]) -> dict[int, GuildRules]:
        rules: dict[int, GuildRules] = {}
        for guild_id in guild_ids:
            config = await self._config(guild_id)
            if config is None:
                raise RuntimeError("server settings unavailable")  # the flush is retried with the data kept
            raw = config.module_configs.get(NAME) or {}
            if raw.get("stat_channels") and guild_id not in self._planned and NAME in config.enabled_modules:
                await self._plan_stat_channels(guild_id)
            rules[guild_id] = GuildRules(
                timezone=raw.get("timezone") or "UTC",
                ignored=frozenset(int(c) for c in raw.get("ignored_channels") or ()),
                enabled=NAME in config.enabled_modules,
            )
        return rules

    async def _counts_online(self, guild_id: int) -> str | None:
        """The server's timezone if it counts members online (module on, "Count members online" on), else None."""
        config = await self._config(guild_id)
        if config is None or NAME not in config.enabled_modules:
            return None
        raw = config.module_configs.get(NAME) or {}
        return str(raw.get("timezone") or "UTC") if raw.get("count_online") else None

    async def _plan_stat_channels(self, guild_id: int) -> None:
        """Make sure the server's stat channels job is scheduled (once per process: the job keeps itself going)."""
        try:
            await jobs.schedule_stat_channels(self.bot.services.jobs, guild_id)
        except Exception as exc:
            log.warning("stat channels not scheduled", guild_id=guild_id, error=repr(exc))
        else:
            self._planned.add(guild_id)

    def _present(self, guild_id: int, user_id: int, channel_id: int) -> bool:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return False
        state = guild._voice_states.get(user_id)  # discord.py's voice state cache (kept by the member cache flags)
        return state is not None and state.channel is not None and state.channel.id == channel_id

    async def _after_ready(self) -> None:
        await self.bot.wait_until_ready()
        self._restoring = True
        try:
            await self._restore_sessions(time.time())
        except Exception as exc:
            _failed("statistics: open voice sessions could not be restored", exc)
        try:
            await jobs.schedule_cleanup(self.bot.services.jobs)
        except Exception as exc:
            _failed("statistics: the retention clean-up could not be scheduled", exc)
        hour = int(time.time() // 3600)
        for guild in self.bot.guilds:
            config = self.bot.config.peek(guild.id)
            if config is None or NAME not in config.enabled_modules:
                continue
            if guild.member_count is not None:  # the member count as the server became available (growth)
                self.recorder.buffer.note_member_count(guild.id, hour, guild.member_count)
            if (config.module_configs.get(NAME) or {}).get("stat_channels"):
                await self._plan_stat_channels(guild.id)

    async def _restore_sessions(self, now: float) -> None:
        """Close sessions left open at their checkpoint, resume those still going, open those of members in voice."""
        served = {guild.id: guild for guild in self.bot.guilds}
        leftover = await store.sessions_of(self.bot.services.db, served)
        finished: list[tuple[int, int]] = []
        for guild_id, user_id, channel_id, started_at, counted_until in leftover:
            state = served[guild_id]._voice_states.get(user_id)
            here = state.channel.id if state is not None and state.channel is not None else None
            session = restored(here, channel_id, started_at, counted_until, now)
            if session is None:
                finished.append((guild_id, user_id))
            else:
                self.recorder.voice.adopt(guild_id, user_id, session)
        await store.delete_sessions(self.bot.services.db, finished)
        for guild in served.values():
            config = await self._config(guild.id)
            if config is None or NAME not in config.enabled_modules:
                continue
            for user_id, state in guild._voice_states.items():
                if state.channel is not None and (guild.id, user_id) not in self.recorder.voice.sessions:
                    member = guild.get_member(user_id)
                    if member is None or not member.bot:
                        self.recorder.voice.adopt(guild.id, user_id, Session(state.channel.id, now, now, True))
        log.info("statistics: voice sessions restored", resumed=len(leftover) - len(finished), closed=len(finished))

    # ------------------------------------------------------------------ events (the hot path first)
    def on_guild_chat(self, config: GuildConfig, message: ChatMessage) -> None:
        """Count a message: its server, channel, author and hour (never its text).

        This runs for every message, in the gateway's read loop, from the payload (wolaro.core.chat). The usual
        case (the member already spoke in this channel this hour) is one dictionary update, inlined; a new counter
        goes through `Recorder.count_message` (bound, flush trigger).
        """
        if message.webhook_id is None:
            hour = (message.id >> 22) // 3_600_000 + DISCORD_EPOCH_HOUR  # `hour_of_snowflake`, inlined
            key = (config.guild_id, hour, message.channel_id, message.author_id)
            counts = self.recorder.buffer.batch.messages
            count = counts.get(key)
            if count is None:
                self.recorder.count_message(*key)
            else:
                counts[key] = count + 1

    async def on_guild_voice_state_update(
        self, config: GuildConfig, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Join, leave, move, mute and deafen: voice time is counted while a member is in a channel."""
        if member.bot:
            return
        channel = after.channel
        if channel is not None and channel == member.guild.afk_channel:
            channel = None
        raw = config.module_configs.get(NAME) or {}
        counting = bool(raw.get("count_deafened")) or not (after.self_deaf or after.deaf)
        self.recorder.count_voice(config.guild_id, member.id, channel.id if channel else None, counting)

    async def on_guild_member_join(self, config: GuildConfig, member: discord.Member) -> None:
        """Count a join (member growth)."""
        self.recorder.buffer.add_member_change(
            config.guild_id, int(time.time() // 3600), joined=True, member_count=member.guild.member_count
        )

    async def on_guild_member_remove(self, config: GuildConfig, payload: discord.RawMemberRemoveEvent) -> None:
        """Count a leave (member growth)."""
        guild = self.bot.get_guild(payload.guild_id)
        self.recorder.buffer.add_member_change(
            config.guild_id, int(time.time() // 3600), joined=False, member_count=guild.member_count if guild else None
        )
        self.recorder.voice.forget(config.guild_id, payload.user.id)

    # ------------------------------------------------------------------ the server itself
    async def on_guild_joined(self, config: GuildConfig, guild: discord.Guild) -> None:
        """The bot joined a server, or it came back after an outage: its member count, who is in voice now."""
        if guild.member_count is not None:  # the member count as the server became available (growth)
            self.recorder.buffer.note_member_count(guild.id, int(self.recorder.clock() // 3600), guild.member_count)
        await self._recount_voice(config, guild)
        if (config.module_configs.get(NAME) or {}).get("stat_channels"):
            await self._plan_stat_channels(guild.id)

    async def on_guild_updated(self, config: GuildConfig, before: discord.Guild, after: discord.Guild) -> None:
        """The server's AFK channel changed: time in the new one stops counting, time in the old one starts."""
        if before.afk_channel != after.afk_channel:
            await self._recount_voice(config, after)

    async def on_guild_removed(self, config: GuildConfig, guild: discord.Guild) -> None:
        """The bot was removed from the server: its open voice sessions end now, counted up to this moment.

        What is buffered for it is still written with the next flush, and everything recorded stays until the
        server's retention clean-up deletes it (the bot may be added back). Its stat channels job ends by itself.
        """
        for guild_id, user_id in [key for key in self.recorder.voice.sessions if key[0] == guild.id]:
            self.recorder.count_voice(guild_id, user_id, None, False)

    async def _recount_voice(self, config: GuildConfig, guild: discord.Guild) -> None:
        """Everyone in voice in the server, as if their voice state had just changed (sessions open or go on)."""
        for user_id, state in list(guild._voice_states.items()):  # discord.py's voice state cache
            member = guild.get_member(user_id)
            if member is not None:
                await self.on_guild_voice_state_update(config, member, state, state)

    # ------------------------------------------------------------------ commands
    async def _settings(self, ctx: WolaroContext) -> Config:
        """The server's settings; a slash command is deferred first (queries and the chart may take a moment)."""
        assert ctx.guild is not None
        await ctx.defer()
        return await self.config_for(ctx.guild.id, Config)

    async def _reply(self, ctx: WolaroContext, embed: discord.Embed, chart: tuple[Any, tuple[Any, ...]] | None) -> None:
        if chart is None:
            await ctx.send(embed=embed)
            return
        draw, args = chart
        png = await charts.render(draw, *args)
        await ctx.send(embed=embed, file=discord.File(io.BytesIO(png), filename=views.CHART))

    @hybrid_group(name="stats", fallback="server")
    @commands.guild_only()
    @app_commands.autocomplete(period=periods.autocomplete)
    async def stats(self, ctx: WolaroContext, period: str = "week") -> None:
        """Server activity: messages, voice time, active members, joins and leaves, with a chart.

        Periods: day, week (default), month, quarter, year, all. Example: `/stats server period:month`.
        """
        assert ctx.guild is not None
        guild_id = ctx.guild.id
        period = periods.parse(period, ctx.t)  # before deferring: a refusal is ephemeral
        settings = await self._settings(ctx)
        days = period_days(period, settings.timezone)
        result = await self.results.get_or_compute(
            guild_id, f"overview:{days}", lambda: queries.overview(self.bot.services.db, guild_id, days)
        )
        if settings.count_online:
            result = {**result, "online": await online.summary(self.bot.services.db, guild_id, days)}
        embed = views.server_embed(ctx.t, ctx.language, ctx.guild.name, period, result)
        await self._reply(ctx, embed, views.server_chart(ctx.t, ctx.language, result))

    @stats.subcommand(name="user")
    @commands.guild_only()
    @app_commands.autocomplete(period=periods.autocomplete)
    async def stats_user(self, ctx: WolaroContext, member: discord.Member | None = None, period: str = "week") -> None:
        """A member's messages, voice time and rank (yours if you name nobody), with a chart."""
        assert ctx.guild is not None
        who = member or ctx.author
        guild_id = ctx.guild.id
        period = periods.parse(period, ctx.t)  # before deferring: a refusal is ephemeral
        settings = await self._settings(ctx)
        days = period_days(period, settings.timezone)
        result = await self.results.get_or_compute(
            ctx.guild.id,
            f"user:{who.id}:{days}",
            lambda: queries.user_stats(self.bot.services.db, guild_id, who.id, days),
        )
        embed = views.user_embed(ctx.t, ctx.language, who.mention, period, result)
        await self._reply(ctx, embed, views.member_chart(ctx.t, ctx.language, result))

    @stats.subcommand(name="channel")
    @commands.guild_only()
    @app_commands.autocomplete(period=periods.autocomplete)
    async def stats_channel(
        self,
        ctx: WolaroContext,
        channel: discord.TextChannel | discord.VoiceChannel | None = None,
        period: str = "week",
    ) -> None:
        """A channel's messages, voice time and most active members (this channel if you name none)."""
        assert ctx.guild is not None
        target = channel or ctx.channel
        guild_id = ctx.guild.id
        period = periods.parse(period, ctx.t)  # before deferring: a refusal is ephemeral
        settings = await self._settings(ctx)
        days = period_days(period, settings.timezone)
        result = await self.results.get_or_compute(
            ctx.guild.id,
            f"channel:{target.id}:{days}",
            lambda: queries.channel_stats(self.bot.services.db, guild_id, target.id, days, settings.timezone),
        )
        embed = views.channel_embed(ctx.t, ctx.language, period, result)
        await self._reply(ctx, embed, views.member_chart(ctx.t, ctx.language, result))

    @stats.subcommand(name="optout")
    @commands.guild_only()
    async def stats_optout(self, ctx: WolaroContext) -> None:
        """Stop counting your messages and voice time in this server's statistics (from now on)."""
        assert ctx.guild is not None
        changed = await store.set_opt_out(
            self.bot.services.db, ctx.guild.id, ctx.author.id, out=True, now=int(time.time())
        )
        self.recorder.voice.forget(ctx.guild.id, ctx.author.id)
        if not changed:
            raise UserFacingError("You are already left out of this server's statistics.")
        await ctx.answer(
            "From now on nothing about you is counted in this server's statistics. "
            "To erase what was counted before, use /privacy delete.",
            ephemeral=True,
        )

    @stats.subcommand(name="optin")
    @commands.guild_only()
    async def stats_optin(self, ctx: WolaroContext) -> None:
        """Be counted again in this server's statistics."""
        assert ctx.guild is not None
        changed = await store.set_opt_out(
            self.bot.services.db, ctx.guild.id, ctx.author.id, out=False, now=int(time.time())
        )
        if not changed:
            raise UserFacingError("You are already counted in this server's statistics.")
        await ctx.answer("You are counted in this server's statistics again.", ephemeral=True)

    @hybrid_group(name="top", fallback="messages")
    @commands.guild_only()
    @app_commands.autocomplete(period=periods.autocomplete)
    async def top(self, ctx: WolaroContext, period: str = "week") -> None:
        """The members who sent the most messages, with a chart.

        Periods: day, week (default), month, quarter, year, all. Example: `/top messages period:month`.
        """
        await self._top(ctx, "messages", period)

    @top.subcommand(name="voice")
    @commands.guild_only()
    @app_commands.autocomplete(period=periods.autocomplete)
    async def top_voice(self, ctx: WolaroContext, period: str = "week") -> None:
        """The members who spent the most time in voice, with a chart."""
        await self._top(ctx, "voice", period)

    async def _top(self, ctx: WolaroContext, metric: queries.Metric, period: str) -> None:
        assert ctx.guild is not None
        guild_id = ctx.guild.id
        period = periods.parse(period, ctx.t)  # before deferring: a refusal is ephemeral
        settings = await self._settings(ctx)
        days = period_days(period, settings.timezone)
        board = await self.results.get_or_compute(
            ctx.guild.id,
            f"top:{metric}:{days}",
            lambda: queries.leaderboard(self.bot.services.db, guild_id, metric, days),
        )
        names = {}
        for row in board:
            member = ctx.guild.get_member(int(row["user_id"]))
            names[row["user_id"]] = member.display_name if member else row["user_id"]
        chart = views.top_chart(ctx.t, ctx.language, metric, board, names) if board else None
        await self._reply(ctx, views.top_embed(ctx.t, ctx.language, metric, period, board), chart)


SPEC = ModuleSpec(
    name=NAME,
    title="Statistics",
    description="Server statistics: messages, voice time and member growth; /stats, /top, charts and stat channels.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    cogs=(Statistics,),
    models=(
        HourlyActivity,
        UserDaily,
        ChannelDaily,
        GuildDaily,
        UserBlock,
        VoiceSession,
        OptOut,
        StatChannelState,
        OnlineHourly,
        OnlineDaily,
    ),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    api=router,
    templates=HERE / "templates",
    panels=(Panel(title="Statistics", template="statistics.html", slug="charts"),),
    privacy=PRIVACY,
    jobs={jobs.CLEANUP_JOB: jobs.clean_up, jobs.STAT_CHANNELS_JOB: jobs.update_stat_channels},
    metrics=COLLECTORS,
    not_personal={
        "statistics_hourly.channel_id": "a channel of the server",
        "statistics_hourly.voice_seconds": "a duration",
        "statistics_user_daily.voice_seconds": "a duration",
        "statistics_user_blocks.voice_seconds": "a duration",
        "statistics_channel_daily.channel_id": "a channel of the server",
        "statistics_channel_daily.voice_seconds": "a duration",
        "statistics_guild_daily.voice_seconds": "a duration",
        "statistics_voice_sessions.channel_id": "a voice channel of the server",
        "statistics_voice_sessions.started_at": "an instant",
        "statistics_voice_sessions.counted_until": "an instant",
        "statistics_optouts.since": "an instant",
        "statistics_stat_channels.channel_id": "a stat channel of the server",
        "statistics_stat_channels.renamed_at": "an instant",
        "statistics_online_hourly.online_sum": "a sum of member counts (no one's id)",
        "statistics_online_daily.online_sum": "a sum of member counts (no one's id)",
    },
)
