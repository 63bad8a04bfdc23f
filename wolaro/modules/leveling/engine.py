"""The leveling engine: XP for messages and voice minutes, kept in memory and written in batches.

The hot path (`on_guild_chat`, a plain function fed from the gateway payload by wolaro.core.chat) writes no SQL
and, on embedded defaults, reaches no network: the member's cooldown is checked in memory (and, when Wolaro runs
on Redis, claimed once per cooldown through the platform's cache, so several bot processes never pay one member
twice), the XP is added to a buffer, and a flusher writes
the buffer every `flush_interval` seconds in one upsert (`xp = xp + excluded.xp`). The level is computed from the
total the database returns, so a level-up is announced within about a second of the message that crossed it, and
two processes writing the same member stay correct. Unloading the cog (a graceful stop) flushes what is left;
a killed process loses at most one batch window of XP (see docs/leveling.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import discord

from wolaro.modules.leveling import discord_io, store
from wolaro.modules.leveling.buffer import AnnounceBudget, Cooldowns, Key, Pending, XpBuffer, awards
from wolaro.modules.leveling.config import NAME, Config
from wolaro.modules.leveling.curves import CurveSpec, level_for_xp
from wolaro.modules.leveling.rules import Rules, multiplier, reward_roles, roll_xp, voice_eligible
from wolaro.sdk import ChatMessage, GuildConfig, WolaroModule, cancel_and_wait, every, get_logger

log = get_logger(__name__)

GUILDS_PARSED = 50_000
"""Servers whose parsed settings are kept (each is a few hundred bytes)."""
COOLDOWN_KEY = "leveling:cooldown:"
FOLLOWUP_WAIT = 5.0
"""Seconds a graceful stop waits for level-up announcements and role changes already started."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """A server's settings, parsed once per config version."""

    config: Config
    rules: Rules
    curve: CurveSpec


class LevelingEngine(WolaroModule):
    """XP accounting: the message and voice handlers, the batched writes, and what a level change does."""

    flush_interval: ClassVar[float] = 0.5
    """Seconds between batched writes: the XP a killed process can lose, and the delay of an announcement."""
    voice_interval: ClassVar[float] = 60.0
    """Seconds between voice rewards (voice XP is per minute: each tick pays `voice_interval / 60` minutes)."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self.cooldowns = Cooldowns()
        self.buffer = XpBuffer()
        self.announcements = AnnounceBudget()
        self._parsed: dict[int, tuple[Mapping[str, Any] | None, Parsed]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._followups: set[asyncio.Task[None]] = set()
        self._voice_guilds: set[int] = set()
        self._voice_scanned = False
        self._shared = bool(getattr(bot.settings, "redis_url", None))

    # ------------------------------------------------------------------ life cycle
    async def cog_load(self) -> None:
        """Start the flusher and the voice ticker."""
        self._tasks = [
            asyncio.create_task(
                every(self.flush_interval, self.flush, failed="leveling: XP flush failed"), name="leveling-flush"
            ),
            asyncio.create_task(
                every(self.voice_interval, self._voice_tick, failed="leveling: voice XP tick failed"),
                name="leveling-voice",
            ),
        ]

    async def cog_unload(self) -> None:
        """Graceful stop: write what is pending, let started announcements and role changes finish."""
        await cancel_and_wait(*self._tasks)
        if self._followups:  # XP claims started before the stop land in the buffer before its last write
            await asyncio.wait(self._followups, timeout=FOLLOWUP_WAIT)
        await self.flush()
        if self._followups:
            await asyncio.wait(self._followups, timeout=FOLLOWUP_WAIT)

    def parsed(self, config: GuildConfig) -> Parsed:
        """The server's settings, rules and curve (parsed again only when its config changed)."""
        raw = config.module_configs.get(NAME)
        entry = self._parsed.get(config.guild_id)
        if entry is not None and entry[0] is raw:
            return entry[1]
        settings = Config.model_validate(dict(raw or {}))
        parsed = Parsed(settings, Rules.of(settings), CurveSpec.of(settings))
        if len(self._parsed) >= GUILDS_PARSED:
            self._parsed.pop(next(iter(self._parsed)))
        self._parsed[config.guild_id] = (raw, parsed)
        return parsed

    async def parsed_for(self, guild_id: int) -> Parsed:
        """`parsed` for a server by id (its config read through the config service's cache)."""
        return self.parsed(self.bot.config.peek(guild_id) or await self.bot.config.get(guild_id))

    # ------------------------------------------------------------------ the hot path
    def on_guild_chat(self, config: GuildConfig, message: ChatMessage) -> None:
        """XP for a member's message, if they may earn now (no SQL, no await: it waits in the buffer)."""
        if message.webhook_id is not None:
            return
        rules = self.parsed(config).rules
        if rules.xp_max <= 0:
            return
        channel = message.channel
        places = (message.channel_id, getattr(channel, "parent_id", None), getattr(channel, "category_id", None))
        roles = message.role_ids if rules.no_xp_roles or rules.role_multipliers else []
        factor = (
            multiplier(rules, places, roles)
            if roles or len(rules.no_xp_channels) + len(rules.channel_multipliers)
            else 1.0
        )
        if factor <= 0:
            return
        key = (config.guild_id, message.author_id)
        if rules.cooldown > 0:
            if not self.cooldowns.ready(key, rules.cooldown):
                return
            if self._shared:  # once per cooldown per member: claim it for every process, then pay
                self._follow(self._claim_then_award(key, rules, factor, message))
                return
        self._award(key, rules, factor, message)

    def _award(self, key: Key, rules: Rules, factor: float, message: ChatMessage) -> None:
        xp = roll_xp(rules, factor)
        if xp <= 0 or self.buffer.bump(key, xp, message.channel_id):
            return  # added to what the member earned since the last write (their name and avatar are known)
        self.buffer.add(key, xp, name=message.display_name[:100], avatar=message.avatar, channel_id=message.channel_id)

    async def _claim_then_award(self, key: Key, rules: Rules, factor: float, message: ChatMessage) -> None:
        """On Redis: the member's cooldown claimed once for every process; the process that wins pays."""
        try:
            claimed = await self.bot.services.cache.claim(f"{COOLDOWN_KEY}{key[0]}:{key[1]}", rules.cooldown)
        except Exception as exc:  # the cache could not answer at all: this process's memory decides
            log.info("cooldown claim failed; using this process's memory", error=repr(exc))
            claimed = True
        if claimed:
            self._award(key, rules, factor, message)

    def _follow(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task a graceful stop waits for."""
        task = asyncio.create_task(work)
        self._followups.add(task)
        task.add_done_callback(self._followups.discard)

    # ------------------------------------------------------------------ voice
    async def on_guild_voice_state_update(
        self, config: GuildConfig, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Remember servers where someone is in voice (the ticker pays their minutes)."""
        if after.channel is not None:
            self._voice_guilds.add(config.guild_id)

    async def _voice_tick(self) -> None:
        """Pay a minute of voice XP to every eligible member of the servers with someone in voice."""
        if not self._voice_scanned and self.bot.is_ready():
            self._voice_scanned = True  # members already in voice when the bot started sent no event
            self._voice_guilds.update(g.id for g in self.bot.guilds if any(c.members for c in g.voice_channels))
        minutes = self.voice_interval / 60
        for guild_id in list(self._voice_guilds):
            guild = self.bot.get_guild(guild_id)
            config = self.bot.config.peek(guild_id)
            if guild is None or config is None or not config.is_enabled(NAME):
                self._voice_guilds.discard(guild_id)
                continue
            if not self._pay_voice(guild, self.parsed(config), minutes):
                self._voice_guilds.discard(guild_id)

    def _pay_voice(self, guild: discord.Guild, parsed: Parsed, minutes: float) -> bool:
        """Add one tick of voice XP for `guild`; whether anyone is in voice there."""
        per_minute = parsed.config.voice_xp_per_minute
        afk = guild.afk_channel.id if guild.afk_channel is not None else None
        anyone = False
        for channel in [*guild.voice_channels, *guild.stage_channels]:
            humans = [m for m in channel.members if not m.bot]
            anyone = anyone or bool(channel.members)
            for member in humans if per_minute else ():
                state = member.voice
                if state is None or not voice_eligible(
                    self_mute=state.self_mute,
                    self_deaf=state.self_deaf,
                    mute=state.mute,
                    deaf=state.deaf,
                    in_afk_channel=channel.id == afk,
                    other_humans=len(humans) - 1,
                ):
                    continue
                factor = multiplier(parsed.rules, (channel.id, channel.category_id), [r.id for r in member.roles])
                xp = round(per_minute * minutes * factor)
                if xp > 0:
                    avatar = member.avatar.key if member.avatar is not None else None
                    self.buffer.add(
                        (guild.id, member.id), xp, name=member.display_name[:100], avatar=avatar, channel_id=channel.id
                    )
        return anyone

    # ------------------------------------------------------------------ writes and level changes
    async def flush(self) -> int:
        """Write the buffer in one upsert; announce the level-ups it caused. Members written (0 on failure)."""
        pending = self.buffer.drain()
        rows = awards(pending)
        if not rows:
            return 0
        try:
            changes = await store.add_batch(self.bot.services.db, rows)
        except Exception as exc:  # the database is down: keep the XP for the next flush
            self.buffer.restore(pending)
            log.warning("leveling flush failed; XP kept for the next one", members=len(rows), error=repr(exc))
            return 0
        await self.changed(changes, pending)
        return len(rows)

    async def changed(self, changes: list[store.Change], pending: Mapping[Key, Pending] | None = None) -> None:
        """Start what each level change does: the `level_up` event, the announcement, the reward roles."""
        for change in changes:
            parsed = await self.parsed_for(change.guild_id)
            old, new = level_for_xp(change.before, parsed.curve), level_for_xp(change.after, parsed.curve)
            if old == new:
                continue
            entry = (pending or {}).get((change.guild_id, change.user_id))
            channel_id = entry.channel_id if entry is not None else None
            self._follow(self._level_changed(change, old, new, channel_id, parsed))

    async def _level_changed(
        self, change: store.Change, old: int, new: int, channel_id: int | None, parsed: Parsed
    ) -> None:
        guild = self.bot.get_guild(change.guild_id)
        if new > old:
            self.bot.dispatch("level_up", change.guild_id, change.user_id, old, new)
        if guild is None:
            return
        try:
            settings = parsed.config
            if new > old and settings.announce != "off" and self.announcements.take(change.guild_id):
                language = (await self.bot.config.get(change.guild_id)).language
                await discord_io.announce(self.bot, guild, settings, language, change.user_id, new, channel_id)
            stack = settings.stack_rewards
            if reward_roles(settings.role_rewards, old, stack=stack) != reward_roles(
                settings.role_rewards, new, stack=stack
            ):
                await discord_io.sync_reward_roles(guild, settings, change.user_id, new)  # only at reward levels
        except Exception:
            log.exception("level change follow-up failed", guild_id=change.guild_id, user_id=change.user_id)
