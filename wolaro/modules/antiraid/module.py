"""Anti-raid: join-spike detection that switches a guild into raid mode, an account-age filter, `/raidmode`.

Joins are counted in the shared cache (every bot process sees one guild's joins). Raid mode is a database row
(`state.py`), cached per process and kept true by pub/sub; its automatic end is the durable `antiraid.end` job,
pushed back as members keep joining. Every action on a member goes through the moderation module's `sanction`,
so it is a case like a manual one.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.core.config_service import GuildConfig
from wolaro.modules.antiraid import raid, service, state
from wolaro.modules.antiraid.config import Config, JoinerAction
from wolaro.modules.antiraid.models import RaidState
from wolaro.modules.antiraid.privacy import PRIVACY
from wolaro.modules.antiraid.state import RaidStates, RaidView
from wolaro.modules.moderation.public import SanctionAction, sanction
from wolaro.sdk import (
    ModuleSpec,
    UserFacingError,
    WolaroContext,
    WolaroModule,
    get_logger,
    guild_admin_only,
    hybrid_group,
    utcnow,
)

log = get_logger(__name__)


RECENT_JOINERS = 200
"""Joiners remembered per guild, so the members of the spike that started raid mode are acted on too."""
GUILDS_TRACKED = 10_000


class AntiRaid(WolaroModule):
    """Raid detection and response."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.states = RaidStates(bot.services)
        self._configs: dict[int, tuple[Mapping[str, Any] | None, Config]] = {}
        self._recent: OrderedDict[int, deque[tuple[float, discord.Member]]] = OrderedDict()

    async def cog_load(self) -> None:
        """Follow raid-state changes made by any process."""
        self.states.attach()

    async def cog_unload(self) -> None:
        """Stop following them."""
        self.states.detach()

    def config_of(self, config: GuildConfig) -> Config:
        """The guild's typed settings, parsed once per config version."""
        raw = config.module_configs.get(SPEC.name)
        entry = self._configs.get(config.guild_id)
        if entry is not None and entry[0] is raw:
            return entry[1]
        parsed = Config.model_validate(raw or {})
        if len(self._configs) >= GUILDS_TRACKED:
            self._configs.pop(next(iter(self._configs)))
        self._configs[config.guild_id] = (raw, parsed)
        return parsed

    # ------------------------------------------------------------------ joins
    async def on_guild_member_join(self, config: GuildConfig, member: discord.Member) -> None:
        """Count the join, filter young accounts, start raid mode on a spike, act on joiners while it lasts."""
        if member.bot:
            return
        settings = self.config_of(config)
        guild = member.guild
        now = utcnow()
        recent = self._remember(guild.id, member)
        joins = await state.count_join(self.bot.services.cache, guild.id, settings.join_window_seconds)
        handled: set[int] = set()
        if service.too_young(member.created_at, now, settings.min_account_age_days):
            handled.add(member.id)
            reason = self.translate(
                config, "Account younger than {days} days", days=f"{settings.min_account_age_days:g}"
            )
            action = JoinerAction(settings.young_account_action)
            await self._act(config, guild, member, action, settings.young_account_timeout_minutes, reason)
        view = await self.states.get(guild.id)
        if not view.active and service.is_spike(joins, settings.join_threshold):
            started = await self.start_raid(guild, config, settings, manual=False, actor_id=None, joins=joins)
            if started is not None:
                view = started
                cutoff = time.monotonic() - settings.join_window_seconds
                spike = [m for t, m in recent if t >= cutoff and m.id != member.id and m.id not in handled]
                for joiner in spike:
                    await self._act_on_joiner(config, settings, guild, joiner)
            else:
                self.states.drop(guild.id)
                view = await self.states.get(guild.id)
        if not view.active:
            return
        if member.id not in handled:
            await self._act_on_joiner(config, settings, guild, member)
        if not view.manual:
            new_end = service.extended_end(view.ends_at, now, settings.quiet_seconds)
            if new_end is not None:
                extended = await state.extend(self.bot.services, guild.id, join_at=now, ends_at=new_end)
                if extended is not None:
                    self.states.put(extended)

    def _remember(self, guild_id: int, member: discord.Member) -> deque[tuple[float, discord.Member]]:
        recent = self._recent.get(guild_id)
        if recent is None:
            recent = self._recent[guild_id] = deque(maxlen=RECENT_JOINERS)
            if len(self._recent) > GUILDS_TRACKED:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(guild_id)
        recent.append((time.monotonic(), member))
        return recent

    async def _act_on_joiner(
        self, config: GuildConfig, settings: Config, guild: discord.Guild, member: discord.Member
    ) -> None:
        if settings.joiner_action is JoinerAction.NONE:
            return
        reason = self.translate(config, "Raid mode: joined during a raid")
        await self._act(config, guild, member, settings.joiner_action, settings.joiner_timeout_minutes, reason)

    async def _act(
        self,
        config: GuildConfig,
        guild: discord.Guild,
        member: discord.Member,
        action: JoinerAction,
        minutes: int,
        reason: str,
    ) -> None:
        try:
            await sanction(
                self.bot,
                config,
                guild=guild,
                member=member,
                action=SanctionAction.TIMEOUT if action is JoinerAction.TIMEOUT else SanctionAction.KICK,
                reason=reason,
                duration=timedelta(minutes=minutes) if action is JoinerAction.TIMEOUT else None,
            )
        except Exception as exc:
            log.warning(
                "anti-raid action failed", guild_id=guild.id, user_id=member.id, action=action.value, error=repr(exc)
            )

    def translate(self, config: GuildConfig, message: str, /, **fields: Any) -> str:
        """`message` in the guild's language."""
        return self.bot.translator.translate(config.language, message, **fields)

    # ------------------------------------------------------------------ raid mode on
    async def start_raid(
        self,
        guild: discord.Guild,
        config: GuildConfig,
        settings: Config,
        *,
        manual: bool,
        actor_id: int | None,
        joins: int,
        minutes: int | None = None,
    ) -> RaidView | None:
        """Turn raid mode on and apply its protections; None if it was already on."""
        now = utcnow()
        current_level = guild.verification_level.value
        raised = service.raised_level(current_level, settings.verification_level, settings.raise_verification)
        locks = self._plan_locks(guild, settings.lock_channel_ids)
        if manual:
            ends_at = now + timedelta(minutes=minutes) if minutes else None
        else:
            ends_at = service.first_end(now, settings.quiet_seconds)
        view = await state.start(
            self.bot.services,
            guild.id,
            manual=manual,
            started_by=actor_id,
            ends_at=ends_at,
            joins=joins,
            previous_level=current_level,
            raised_level=raised,
            locks={str(channel_id): plan.record() for channel_id, plan in locks.items()},
            now=now,
        )
        if view is None:
            return None
        self.states.put(view)
        await raid.protect(self.bot.http, view, locks, self.translate(config, "Raid mode"))
        await self._announce_start(config, settings, view)
        return view

    def _plan_locks(self, guild: discord.Guild, channel_ids: list[int]) -> dict[int, service.Lock]:
        locks: dict[int, service.Lock] = {}
        me = guild.me
        for channel_id in channel_ids:
            channel = guild.get_channel(channel_id)
            if channel is None or me is None:
                log.info("raid lock skips a missing channel", guild_id=guild.id, channel_id=channel_id)
                continue
            mine = channel.permissions_for(me)
            bits = service.LOCK_BITS if mine.administrator else service.LOCK_BITS & mine.value
            allow, deny = channel.overwrites_for(guild.default_role).pair()
            existed = guild.default_role in channel.overwrites
            locks[channel_id] = service.lock(allow.value, deny.value, bits, existed=existed)
        return locks

    async def _announce_start(self, config: GuildConfig, settings: Config, view: RaidView) -> None:
        if view.manual:
            headline = self.translate(config, "Raid mode was turned on by <@{user}>.", user=view.started_by)
        else:
            headline = self.translate(
                config,
                "Raid mode is on: {joins} members joined within {seconds} s.",
                joins=view.joins,
                seconds=f"{settings.join_window_seconds:g}",
            )
        text = f"{headline}\n{self._responses(config, settings, view)}"
        await raid.send_alert(self.bot.services, self.bot.http, config, text)

    def _responses(self, config: GuildConfig, settings: Config, view: RaidView) -> str:
        lines = []
        if settings.joiner_action is JoinerAction.TIMEOUT:
            lines.append(
                self.translate(
                    config, "New members are timed out for {minutes} min.", minutes=settings.joiner_timeout_minutes
                )
            )
        elif settings.joiner_action is JoinerAction.KICK:
            lines.append(self.translate(config, "New members are kicked."))
        if view.raised_verification_level is not None:
            level = self._level_name(config, view.raised_verification_level)
            lines.append(self.translate(config, "Verification level raised to {level}.", level=level))
        if view.locked_channels:
            channels = " ".join(f"<#{channel_id}>" for channel_id in view.locked_channels)
            lines.append(self.translate(config, "Locked channels: {channels}.", channels=channels))
        if view.manual and view.ends_at is None:
            lines.append(self.translate(config, "Raid mode lasts until `/raidmode off`."))
        elif view.manual and view.ends_at is not None:
            lines.append(
                self.translate(config, "Raid mode ends {when}.", when=discord.utils.format_dt(view.ends_at, "R"))
            )
        else:
            lines.append(
                self.translate(
                    config,
                    "Raid mode ends after {quiet} without a join.",
                    quiet=service.describe_duration(settings.quiet_seconds),
                )
            )
        return "\n".join(lines)

    def _level_name(self, config: GuildConfig, level: int) -> str:
        names = {
            0: self.translate(config, "none"),
            1: self.translate(config, "low"),
            2: self.translate(config, "medium"),
            3: self.translate(config, "high"),
            4: self.translate(config, "highest"),
        }
        return names.get(level, str(level))

    # ------------------------------------------------------------------ commands
    @hybrid_group(name="raidmode", fallback="status")
    @commands.guild_only()
    @guild_admin_only()
    async def raidmode(self, ctx: WolaroContext) -> None:
        """Show whether raid mode is on here, since when and until when (Manage Server)."""
        assert ctx.guild is not None
        view = await state.load(self.bot.services, ctx.guild.id)
        if not view.active:
            await ctx.answer("Raid mode is off.", ephemeral=True)
            return
        assert view.started_at is not None
        since = discord.utils.format_dt(view.started_at, "R")
        if view.ends_at is None:
            await ctx.answer("Raid mode is on since {since}, until `/raidmode off`.", since=since, ephemeral=True)
        else:
            until = discord.utils.format_dt(view.ends_at, "R")
            await ctx.answer(
                "Raid mode is on since {since}; it ends {until}.", since=since, until=until, ephemeral=True
            )

    @raidmode.subcommand(name="on")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(minutes="End it automatically after this many minutes (leave empty: until /raidmode off)")
    async def raidmode_on(self, ctx: WolaroContext, minutes: commands.Range[int, 1, 10080] | None = None) -> None:
        """Turn raid mode on now: new members are acted on and the protections apply (Manage Server)."""
        assert ctx.guild is not None and ctx.config is not None
        settings = self.config_of(ctx.config)
        view = await self.start_raid(
            ctx.guild, ctx.config, settings, manual=True, actor_id=ctx.author.id, joins=0, minutes=minutes
        )
        if view is None:
            raise UserFacingError("Raid mode is already on.")
        await ctx.answer("Raid mode is on.\n{responses}", responses=self._responses(ctx.config, settings, view))

    @raidmode.subcommand(name="off")
    @commands.guild_only()
    @guild_admin_only()
    async def raidmode_off(self, ctx: WolaroContext) -> None:
        """Turn raid mode off now and undo its protections (Manage Server)."""
        assert ctx.guild is not None
        ended = await raid.end_raid(self.bot.services, self.bot.http, ctx.guild.id, force=True, actor_id=ctx.author.id)
        self.states.drop(ctx.guild.id)
        if ended is None:
            raise UserFacingError("Raid mode is not on.")
        await ctx.answer("Raid mode is off; its protections were undone.")


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="antiraid",
    bot_permissions=("manage_guild", "manage_channels", "manage_roles", "moderate_members", "kick_members"),
    requires=("moderation",),  # sanctions through moderation.public
    description="Anti-raid: raid mode on join spikes, minimum account age, /raidmode.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    privacy=PRIVACY,
    not_personal={"antiraid_state.locked_channels": "channel ids and permission bits"},
    title="Anti-raid",
    cogs=(AntiRaid,),
    jobs={service.END_JOB: raid.end_job},
    models=(RaidState,),
    migrations=HERE / "migrations",
    locales=HERE / "locales",
    audit_labels={
        "antiraid.start": "Raid mode started",
        "antiraid.end": "Raid mode ended",
    },
)
