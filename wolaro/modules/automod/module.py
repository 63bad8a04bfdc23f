"""Automod: catches spam, repeated text, mass mentions, invites, links, banned words, regexes, caps and zalgo.

The message handler is the hot path and runs on the message fast path (`wolaro.core.chat`): `on_guild_chat`
judges the gateway payload itself, so a clean message costs no `discord.Message`, no await and no network call.
Rules are compiled once per config version and judged by pure functions in `service.py`; spam is counted in this
process (`counting.SpamCounter`) and, with Redis, also in the shared cache once a member nears the limit. Discord
is called only when a rule catches a message (`acting.py`, over REST by ids through `discord_io`): the message is
deleted and, for warn/timeout/kick/ban, the moderation module's `public.sanction` records a case as for a manual
action. Edits are judged again from the edit's own payload (`on_guild_raw_message_edit`, `payload_only`).

The text rules of each guild run within a time budget of this process's event loop (`service.CostMeter`): a guild
whose rules take more than their share is paused at once here, and the pause is recorded through the guild's
config (`paused_until`, written by the config service: audited, and published so every process pauses it), then
the guild is told in its log channel.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.http import handle_message_parameters

from wolaro.core.chat import ChatMessage, payload_only
from wolaro.core.config_service import GuildConfig
from wolaro.modules.automod import discord_io, service
from wolaro.modules.automod.acting import Acting
from wolaro.modules.automod.config import Action, Config
from wolaro.modules.automod.counting import SpamCounter
from wolaro.modules.moderation.public import modlog_channel
from wolaro.sdk import ModuleSpec, WolaroContext, WolaroModule, get_logger, guild_admin_only, hybrid_group

log = get_logger(__name__)


REGEX_WORKERS = 2
"""Threads that finish slow regex searches (shared by every guild; each guild has at most one search running)."""
_regex_executor: ThreadPoolExecutor | None = None


def regex_executor() -> ThreadPoolExecutor:
    """The worker threads of slow regex searches (created on first use)."""
    global _regex_executor
    if _regex_executor is None:
        _regex_executor = ThreadPoolExecutor(max_workers=REGEX_WORKERS, thread_name_prefix="automod-regex")
    return _regex_executor


RULESETS_MAX = 50_000


class Automod(Acting, WolaroModule):
    """Automatic moderation of messages."""

    def __init__(self, bot: Any) -> None:
        super().__init__(bot)
        self._rulesets: dict[int, tuple[Mapping[str, Any] | None, service.Ruleset]] = {}
        self.duplicates = service.DuplicateTracker()
        self.spam = SpamCounter()
        #: With Redis, spam near its limit is also counted in the shared cache (every process sees it).
        self._shared = bool(getattr(getattr(bot, "settings", None), "redis_url", None))
        self._acted: OrderedDict[int, None] = OrderedDict()
        #: (guild, member, counting rule) -> (last caught, last told the shared cache), monotonic seconds
        self._last_acted: OrderedDict[tuple[int, int, str], tuple[float, float]] = OrderedDict()
        self.deletions = discord_io.Deletions(lambda: self.bot.http, self._background_task)
        self.caught = 0
        self.errors = 0
        self.pauses = 0
        self._background: set[asyncio.Task[None]] = set()

    async def cog_unload(self) -> None:
        """Stop the background work (slow regex searches, actions, pause records) of this Cog."""
        for task in list(self._background):
            task.cancel()

    # ------------------------------------------------------------------ compiled rules per config version
    def rules_for(self, config: GuildConfig) -> service.Ruleset:
        """The guild's compiled rules; recompiled only when its config object changed (pub/sub replaces it)."""
        raw = config.module_configs.get(SPEC.name)
        entry = self._rulesets.get(config.guild_id)
        if entry is not None and entry[0] is raw:
            return entry[1]
        try:
            ruleset = service.compile_rules(Config.model_validate(raw or {}))
        except Exception:
            log.exception("automod config does not compile; rules off", guild_id=config.guild_id)
            ruleset = service.Ruleset()
        ruleset.carry_over(entry[1] if entry is not None else None)
        if len(self._rulesets) >= RULESETS_MAX:
            self._rulesets.pop(next(iter(self._rulesets)))
        self._rulesets[config.guild_id] = (raw, ruleset)
        return ruleset

    # ------------------------------------------------------------------ the hot path
    def on_guild_chat(self, config: GuildConfig, message: ChatMessage) -> None:
        """Judge one message from its payload; only a caught one (or spam near its limit) starts a task."""
        rules = self.rules_for(config)
        if rules.empty or message.webhook_id is not None:
            return
        channel_id = message.channel_id
        roles = message.role_ids if rules.roles_matter else ()
        if rules.exempt(channel_id, roles):
            return
        content = message.content
        hit = self._text_hit(config, rules, message, content, roles)
        spam = rules.spam
        unshared: int | None = None
        if spam is not None and spam.info.applies(channel_id, roles):
            count, unshared = self.spam.hit(
                config.guild_id, message.author_id, spam.window, spam.limit, shared=self._shared
            )
            hit = service.most_severe(hit, service.count_hit(spam, count, "messages"))
        duplicates = rules.duplicates
        if duplicates is not None and content and duplicates.info.applies(channel_id, roles):
            repeats = self.duplicates.hit(config.guild_id, message.author_id, content, duplicates.window)
            if repeats > duplicates.limit:
                hit = service.most_severe(hit, service.count_hit(duplicates, repeats, "identical messages"))
        if unshared is not None:
            self._background_task(self._count_shared(config, message, hit, unshared), f"automod-spam-{message.id}")
        elif hit is not None:
            self._caught(config, message, hit)

    def _text_hit(
        self, config: GuildConfig, rules: service.Ruleset, message: ChatMessage, content: str, roles: Any
    ) -> service.Hit | None:
        """The text rules' hit on a new or edited message, within the guild's budget (slow regexes go off the loop)."""
        if not rules.checks:
            return None
        hit, over_budget = rules.check_metered(content, message.mention_count, message.channel_id, roles)
        if over_budget:
            self._pause_later(config, rules)
        deferred = rules.deferred_regex(hit)
        if deferred is not None:
            self._background_task(self._finish_regex(config, message, rules, deferred), f"automod-regex-{message.id}")
        return hit

    async def _count_shared(
        self, config: GuildConfig, message: ChatMessage, hit: service.Hit | None, unshared: int
    ) -> None:
        """A member near the spam limit: count this message in the shared cache too (every process's count)."""
        spam = self.rules_for(config).spam
        if spam is not None:
            try:
                shared = await self.bot.services.cache.window_hit(
                    service.spam_key(config.guild_id, message.author_id), spam.window, limit_members=spam.limit + 1
                )
            except Exception as exc:  # the cache could not answer at all: this process's count decides
                log.info("shared spam count failed; using this process's count", error=repr(exc))
                shared = 0
            count = min(shared + unshared, spam.limit + 1)
            hit = service.most_severe(hit, service.count_hit(spam, count, "messages"))
        if hit is not None:
            await self._act(config, message, hit)

    @payload_only
    async def on_guild_raw_message_edit(self, config: GuildConfig, payload: discord.RawMessageUpdateEvent) -> None:
        """An edited message is judged again by the text rules (not counted again), from the edit's payload."""
        data: Mapping[str, Any] = payload.data
        author = data.get("author")
        if "content" not in data or not author or author.get("bot") or data.get("webhook_id") is not None:
            return
        cached = payload.cached_message
        if cached is not None and cached.content == data["content"]:
            return  # not a change of text (a link preview, a pin)
        if payload.message_id in self._acted:
            return
        rules = self.rules_for(config)
        if not rules.checks:
            return
        guild = self.bot.get_guild(config.guild_id)
        channel = guild.get_channel_or_thread(payload.channel_id) if guild is not None else None
        message = ChatMessage(dict(data), config.guild_id, channel)
        roles = message.role_ids if rules.roles_matter else ()
        if rules.exempt(message.channel_id, roles):
            return
        hit = self._text_hit(config, rules, message, message.content, roles)
        if hit is not None:
            await self._act(config, message, hit)

    # ------------------------------------------------------------------ slow regexes, off the loop
    def _background_task(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._background.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.errors += 1
            log.error("automod task failed", task=task.get_name(), exc_info=task.exception())

    @staticmethod
    async def search_off_loop(rules: service.Ruleset, deferred: tuple[str, int]) -> tuple[service.Hit | None, bool]:
        """Finish a regex search in the worker thread, then apply it here: (hit, over the guild's budget)."""
        assert rules.regex is not None
        content, start = deferred
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                regex_executor(), rules.regex.search_off_loop, content, start
            )
        except BaseException:
            rules.regex.in_flight = False
            raise
        return rules.finish_regex(result, len(content))

    async def _finish_regex(
        self, config: GuildConfig, message: ChatMessage, rules: service.Ruleset, deferred: tuple[str, int]
    ) -> None:
        hit, over_budget = await self.search_off_loop(rules, deferred)
        if over_budget:
            self._pause_later(config, rules)
        if hit is not None:
            await self._act(config, message, hit)

    # ------------------------------------------------------------------ over its time budget
    def _pause_later(self, config: GuildConfig, rules: service.Ruleset) -> None:
        """The guild's rules went over budget (already paused here): record and announce it off the hot path."""
        self._background_task(self.record_pause(config, rules.meter), f"automod-pause-{config.guild_id}")

    async def record_pause(self, config: GuildConfig, meter: service.CostMeter) -> None:
        """Write `paused_until` to the guild's config (audited, reaches every process), then tell the guild.

        Skipped when the stored config already holds a later pause (another process recorded it first).
        """
        guild_id = config.guild_id
        spent, budget, window = service.guild_share_used_at_trip(meter)
        until = datetime.now(UTC) + timedelta(seconds=service.GUILD_PAUSE_SECONDS)
        self.pauses += 1
        log.warning(
            "automod rules over their time budget; paused",
            guild_id=guild_id,
            spent_ms=spent,
            budget_ms=budget,
            window_s=window,
            pause_s=service.GUILD_PAUSE_SECONDS,
        )
        try:
            current = await self.bot.config.get(guild_id)
            stored = Config.model_validate(current.module_configs.get(SPEC.name) or {})
            if stored.paused_until is not None and stored.paused_until >= until - timedelta(seconds=60):
                return
            actor = self.bot.user.id if self.bot.user is not None else None
            await self.bot.config.update_module_config(
                guild_id, SPEC.name, {"paused_until": until.isoformat()}, actor_id=actor
            )
            fresh = await self.bot.config.get(guild_id)
            text = self.bot.translator.translate(
                fresh.language,
                "Automod paused its message rules in this server until {until}: checking messages took {spent} ms "
                "of the bot's time in {window} seconds, more than the {budget} ms each server may use. Spam and "
                "repeated-message limits still apply. Make the regular expressions or banned words simpler; to "
                'resume sooner, clear "paused until" in the automod settings.',
                until=f"<t:{int(until.timestamp())}:t>",
                spent=spent,
                window=window,
                budget=budget,
            )
            await self._notify(fresh, text)
        except Exception:
            log.exception("could not record an automod pause", guild_id=guild_id)
        finally:
            meter.recording = False

    async def _notify(self, config: GuildConfig, text: str) -> None:
        """Post `text` in the guild's automod log channel, else its modlog channel (nothing if it has neither)."""
        own = Config.model_validate(config.module_configs.get(SPEC.name) or {}).log_channel_id
        channel_id = service.log_channel(own, modlog_channel(config))
        if channel_id is None:
            return
        try:
            with handle_message_parameters(content=text, allowed_mentions=discord.AllowedMentions.none()) as params:
                await self.bot.http.send_message(channel_id, params=params)
        except discord.HTTPException as exc:
            log.warning("automod notice not delivered", guild_id=config.guild_id, channel_id=channel_id, error=str(exc))

    # ------------------------------------------------------------------ commands
    @hybrid_group(name="automod", fallback="status")
    @commands.guild_only()
    @guild_admin_only()
    async def automod(self, ctx: WolaroContext) -> None:
        """Show which automod rules are on here, with their actions (Manage Server).

        Change them with `/config set automod <rule> <json>`, e.g.
        `!config set automod spam {"enabled": true, "max_messages": 5, "per_seconds": 5, "action": "timeout"}`.
        """
        assert ctx.guild is not None and ctx.config is not None
        config = Config.model_validate(ctx.config.module_configs.get(SPEC.name) or {})
        enabled = ctx.config.is_enabled(SPEC.name)
        embed = discord.Embed(
            title=ctx.t("Automod"),
            description=ctx.t("Automod is on in this server.") if enabled else ctx.t("Automod is off in this server."),
            colour=discord.Colour.orange(),
        )
        for name in ("spam", "duplicates", "mentions", "invites", "links", "words", "regex", "caps", "zalgo"):
            rule = getattr(config, name)
            if rule.enabled:
                value = rule.action.value
                if rule.action is Action.TIMEOUT:
                    value += f" ({rule.timeout_minutes} min)"
            else:
                value = ctx.t("off")
            embed.add_field(name=name, value=value)
        if config.paused_until is not None and config.paused_until > datetime.now(UTC):
            embed.add_field(
                name=ctx.t("Paused"),
                value=ctx.t(
                    "The message rules are paused until {until}: they took more than this server's share of the "
                    "bot's time.",
                    until=f"<t:{int(config.paused_until.timestamp())}:f>",
                ),
                inline=False,
            )
        matcher = self.rules_for(ctx.config).regex
        stats = matcher.stats if matcher is not None else service.RegexStats()
        embed.set_footer(
            text=ctx.t(
                "Regex searches: {searches}, timed out: {timeouts}, skipped: {skipped}",
                searches=stats.searches,
                timeouts=stats.timeouts,
                skipped=stats.skipped,
            )
        )
        await ctx.embed(embed, ephemeral=True)

    @automod.subcommand(name="test")
    @commands.guild_only()
    @guild_admin_only()
    @app_commands.describe(text="The message to judge (nothing is deleted or counted)")
    async def automod_test(self, ctx: WolaroContext, *, text: str) -> None:
        """Show which text rule would catch a message, without acting (Manage Server)."""
        assert ctx.config is not None and ctx.channel is not None
        rules = self.rules_for(ctx.config)
        hit = rules.check_content(text, 0, ctx.channel.id, ())
        deferred = rules.deferred_regex(hit)
        if deferred is not None:
            hit, _over = await self.search_off_loop(rules, deferred)
        if hit is None:
            await ctx.answer("No text rule catches this message.", ephemeral=True)
        else:
            await ctx.answer(
                "Rule `{rule}` would catch it ({detail}): action {action}.",
                rule=hit.rule,
                detail=hit.detail,
                action=hit.action.value,
                ephemeral=True,
            )


HERE = Path(__file__).resolve().parent

SPEC = ModuleSpec(
    name="automod",
    bot_permissions=("manage_messages", "moderate_members", "kick_members", "ban_members"),
    requires=("moderation",),  # sanctions through moderation.public
    description="Automatic moderation: spam, repeated messages, mass mentions, invites, links, words, regexes.",
    version="1.0.0",
    config=Config,
    enabled_by_default=False,
    title="Automod",
    cogs=(Automod,),
    locales=HERE / "locales",
)
