"""What automod does once a rule caught a message: delete it, purge a burst, sanction its author once per cooldown.

A mixin of the `Automod` Cog (its acting half; the judging half is `module.py`). Everything here is called with
the message's `ChatMessage` (gateway payload) and acts over REST by ids (`discord_io`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import discord

from wolaro.core.chat import ChatMessage
from wolaro.core.config_service import GuildConfig
from wolaro.modules.automod import discord_io, service
from wolaro.modules.automod.config import Action
from wolaro.modules.moderation.public import SanctionAction, sanction
from wolaro.sdk import get_logger

log = get_logger("wolaro.modules.automod.module")

ACTION_COOLDOWN = 30.0
"""Seconds during which a counting rule (spam, duplicates) acts on a member once; later messages are only deleted."""
PURGE_SCAN = discord_io.PURGE_SCAN
ACTED_MAX = 10_000
"""Messages acted on remembered, so that an update of one (a link preview) does not act on it twice."""
COUNTED_RULES = frozenset({"spam", "duplicates"})
SHARED_REFRESH = 1.0
"""With Redis, how often a member caught again and again within the cooldown is told to the shared cache (s)."""


class Acting:
    """The acting half of the `Automod` Cog (which sets the attributes below and judges the messages)."""

    bot: Any
    duplicates: service.DuplicateTracker
    deletions: discord_io.Deletions
    caught: int
    errors: int
    _shared: bool
    _acted: OrderedDict[int, None]
    _last_acted: OrderedDict[tuple[int, int, str], tuple[float, float]]

    def rules_for(self, config: GuildConfig) -> service.Ruleset:  # noqa: D102 - the Cog's
        raise NotImplementedError

    def _background_task(self, work: Coroutine[Any, Any, None], name: str) -> None:
        raise NotImplementedError

    def _caught(self, config: GuildConfig, message: ChatMessage, hit: service.Hit) -> None:
        """A rule caught `message`: act from a task, or at once when it only needs deleting (a repeat, below)."""
        if hit.rule in COUNTED_RULES and self._acted_moments_ago(config.guild_id, message.author_id, hit.rule):
            # the member was acted on for this rule moments ago: this message is only deleted, from here
            guild = self.bot.get_guild(config.guild_id)
            if guild is not None and not self._left_alone(config, guild, message):
                self._delete(message, self._record(config, message, hit, first=False))
            return
        self._background_task(self._act(config, message, hit), f"automod-act-{message.id}")

    async def _act(self, config: GuildConfig, message: ChatMessage, hit: service.Hit) -> None:
        """Unless its author is a moderator left alone, delete the message and sanction them."""
        guild = self.bot.get_guild(config.guild_id)
        if guild is None or self._left_alone(config, guild, message):
            return
        author_id = message.author_id
        first = True
        if hit.rule in COUNTED_RULES:
            first = await self._first_action(guild.id, author_id, hit.rule)
        reason = self._record(config, message, hit, first=first)
        if hit.rule in COUNTED_RULES and first:
            rules = self.rules_for(config)
            counted = rules.spam if hit.rule == "spam" else rules.duplicates
            await self._purge_burst(message, counted.window if counted else 10.0, reason)
            if hit.rule == "duplicates":
                self.duplicates.forget(guild.id, author_id)
        else:
            self._delete(message, reason)
        if hit.action is not Action.DELETE and first:
            member = discord_io.member_of(guild, message.payload)
            await self._enforce(config, guild, member or author_id, hit, reason)

    def _left_alone(self, config: GuildConfig, guild: discord.Guild, message: ChatMessage) -> bool:
        """Whether the author is a moderator automod leaves alone (Manage Messages, from the message's roles)."""
        if not self.rules_for(config).exempt_manage_messages:
            return False
        return discord_io.manages_messages(guild, message.author_id, message.role_ids)

    def _record(self, config: GuildConfig, message: ChatMessage, hit: service.Hit, *, first: bool) -> str:
        """Count and log a caught message; its reason for the audit log."""
        self.caught += 1
        self._acted[message.id] = None
        if len(self._acted) > ACTED_MAX:
            self._acted.popitem(last=False)
        log.info(
            "automod caught a message",
            guild_id=config.guild_id,
            user_id=message.author_id,
            rule=hit.rule,
            action=hit.action.value,
            detail=hit.detail,
            first=first,
        )
        return str(
            self.bot.translator.translate(
                config.language, "Automod: {rule} ({detail})", rule=hit.rule, detail=hit.detail
            )
        )

    async def _first_action(self, guild_id: int, author_id: int, rule: str) -> bool:
        """Whether no process acted on the member for this counting rule in the last `ACTION_COOLDOWN` seconds."""
        key = f"automod:acted:{guild_id}:{author_id}:{rule}"
        first = await self.bot.services.cache.window_hit(key, ACTION_COOLDOWN, limit_members=2) == 1
        now = time.monotonic()
        self._last_acted[(guild_id, author_id, rule)] = (now, now)
        if len(self._last_acted) > ACTED_MAX:
            self._last_acted.popitem(last=False)
        return first

    def _acted_moments_ago(self, guild_id: int, author_id: int, rule: str) -> bool:
        """Whether this process acted on the member for this counting rule within `ACTION_COOLDOWN`.

        If so this catch counts as one more: the cooldown slides, as in the shared cache (told once a second).
        """
        key = (guild_id, author_id, rule)
        last = self._last_acted.get(key)
        now = time.monotonic()
        if last is None or now - last[0] >= ACTION_COOLDOWN:
            return False
        shared_at = last[1]
        if self._shared and now - shared_at >= SHARED_REFRESH:
            shared_at = now
            self._background_task(
                self._refresh_acted(f"automod:acted:{guild_id}:{author_id}:{rule}"), f"automod-acted-{author_id}"
            )
        self._last_acted[key] = (now, shared_at)
        self._last_acted.move_to_end(key)
        return True

    async def _refresh_acted(self, key: str) -> None:
        try:
            await self.bot.services.cache.window_hit(key, ACTION_COOLDOWN, limit_members=2)
        except Exception as exc:
            log.info("automod cooldown not shared", error=repr(exc))

    def _delete(self, message: ChatMessage, reason: str) -> None:
        self.deletions.add(message.channel_id, message.id, reason)

    async def _purge_burst(self, message: ChatMessage, window: float, reason: str) -> None:
        """Delete the member's messages of the burst in this channel (one history read, one bulk delete)."""
        after = discord_io.snowflake_before(message.id, window + 1)
        try:
            deleted = await discord_io.purge_author(
                self.bot.http, message.channel_id, message.author_id, after, reason, scan=PURGE_SCAN
            )
        except discord.HTTPException as exc:
            self.errors += 1
            log.warning("automod could not purge a burst", guild_id=message.guild_id, status=exc.status)
            deleted = set()
        if message.id not in deleted:
            self._delete(message, reason)

    async def _enforce(
        self,
        config: GuildConfig,
        guild: discord.Guild,
        author: discord.Member | int,
        hit: service.Hit,
        reason: str,
    ) -> None:
        author_id = author if isinstance(author, int) else author.id
        try:
            await sanction(
                self.bot,
                config,
                guild=guild,
                member=author,
                action=SanctionAction(hit.action.value),
                reason=reason,
                duration=timedelta(seconds=hit.timeout_seconds) if hit.action is Action.TIMEOUT else None,
                delete_message_days=1 if hit.action is Action.BAN else 0,
            )
        except Exception as exc:
            self.errors += 1
            log.warning(
                "automod action failed", guild_id=guild.id, user_id=author_id, action=hit.action.value, error=repr(exc)
            )
