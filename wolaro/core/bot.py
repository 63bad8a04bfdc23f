"""The Wolaro bot: one AutoShardedBot serving every guild, with module gating, limits and logging in one place."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from wolaro.core import command_gate, command_record, guild_listeners, metrics
from wolaro.core.chat import ChatFastPath
from wolaro.core.command_errors import answer_command_error
from wolaro.core.context import WolaroContext
from wolaro.core.identify import IdentifyGate
from wolaro.core.loader import ModuleLoader
from wolaro.core.module import WolaroModule
from wolaro.core.online import OnlineMembers
from wolaro.core.permission_watch import PermissionWatch
from wolaro.core.presence import PresenceRecorder
from wolaro.core.rest_budget import RestBudget, trace_config
from wolaro.core.services import Services
from wolaro.data.database import is_unavailable
from wolaro.data.pubsub import COMMAND_EXECUTED
from wolaro.logging import get_logger

log = get_logger(__name__)


def build_intents(presences: bool = False) -> discord.Intents:
    """Guilds, messages and their content, members (joins, leaves, role changes), voice, moderation.

    `presences` adds the privileged GUILD_PRESENCES intent (the host's `PRESENCE_INTENT` setting; the bot must be
    allowed it in the Developer Portal): who is online, for the modules that count it (`wolaro.core.online`).
    """
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    intents.presences = presences
    return intents


class WolaroCommandTree(app_commands.CommandTree["WolaroBot"]):
    """The slash-command tree: refusals raised by hybrid commands' checks reach the bot's one error handler.

    discord.py runs a hybrid command's prefix-style checks while dispatching the interaction and lets their
    `commands.CheckFailure` escape the tree (only `AppCommandError`s reach `on_error`).
    """

    async def _call(self, interaction: discord.Interaction) -> None:
        if self.client.draining:
            await self.client.answer_interaction(interaction, "The bot is restarting. Please try again in a moment.")
            return
        with self.client.in_flight():
            try:
                await super()._call(interaction)  # type: ignore[arg-type]  # discord.py types it Interaction[Client]
            except commands.CommandError as error:
                ctx = await self._context(interaction, error)
                if ctx is not None:
                    await self.client.on_command_error(ctx, error)

    async def _context(self, interaction: discord.Interaction, error: Exception) -> WolaroContext | None:
        """The failed command's context; None if it cannot be built because the database is down (then said so)."""
        ctx = getattr(interaction, "_baton", None)
        if isinstance(ctx, WolaroContext):
            return ctx
        try:
            context: WolaroContext = await self.client.get_context(interaction)
        except Exception as exc:  # the guild's config could not be read
            if not is_unavailable(exc):
                raise
            log.warning("slash command failed: the database is unavailable", error=repr(exc), cause=repr(error))
            await self.client.answer_interaction(
                interaction,
                "The data store is unavailable right now, so nothing was done. Please try again in a few minutes.",
            )
            return None
        return context

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Slash-command failures outside a hybrid invocation (transformers, app-command checks)."""
        if isinstance(error, app_commands.CheckFailure) and interaction.response.is_done():
            return
        if interaction.command is None or isinstance(
            error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch
        ):
            # A command Discord still shows but this bot no longer has (renamed, removed, or not yet synced):
            # there is no command to build a context from, so answer the interaction directly.
            log.info(
                "unknown application command",
                command=dict(interaction.data or {}).get("name"),
                guild_id=interaction.guild_id,
                error=str(error),
            )
            await self.client.answer_interaction(
                interaction,
                "This command is not available right now: it may have been renamed or removed. "
                "Type / to see the current commands.",
            )
            return
        ctx = await self._context(interaction, error)
        if ctx is not None:
            cause = error.__cause__ if isinstance(error.__cause__, commands.CommandError) else error
            await self.client.on_command_error(ctx, cause)  # type: ignore[arg-type]


class WolaroBot(commands.AutoShardedBot):
    """The multi-tenant bot. Every guild's behaviour comes from its config, read through `self.config`."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        intents = build_intents(settings.presence_intent)
        rest_budget = RestBudget.from_settings(
            settings.redis_url, prefix=settings.redis_prefix, limit=settings.discord_rest_global_limit
        )
        super().__init__(
            command_prefix=self._prefixes,
            intents=intents,
            help_command=None,
            case_insensitive=True,
            strip_after_prefix=True,
            max_messages=settings.max_messages or None,
            # Members are not cached from GUILD_CREATE (memory per guild stays small); commands get the
            # invoking member from the event itself and fetch others when needed. Voice members are kept.
            member_cache_flags=discord.MemberCacheFlags(voice=True, joined=False),
            chunk_guilds_at_startup=False,
            guild_ready_timeout=settings.guild_ready_timeout,
            shard_count=settings.shard_count,
            shard_ids=settings.shard_ids,  # type: ignore[arg-type]  # None (all shards) is accepted at run time
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True, replied_user=False),
            tree_cls=WolaroCommandTree,
            http_trace=trace_config(rest_budget),  # one global REST budget over every process, REST metrics
        )
        self.rest_budget = rest_budget
        self.services = services
        self.settings = settings
        self.config = services.config
        self.translator = services.translator
        self.loader = ModuleLoader(self)
        self.chat = ChatFastPath(self)  # most messages are counted from the payload, never built (wolaro.core.chat)
        #: Who is online per server, read from the gateway; None unless the host turned presences on.
        self.online: OnlineMembers | None = OnlineMembers() if settings.presence_intent else None
        self.started_at = time.time()
        self._prefetch_ids: list[int] = []
        self._prefetch_task: asyncio.Task[None] | None = None
        self.commands_run = 0
        self.add_check(self._gate, call_once=True)
        self.presence = PresenceRecorder(services.db, services.cache)  # where the bot is, for the dashboard
        self.presence.attach(self)
        self.permission_watch = PermissionWatch(self, services.pubsub)
        self.identify_gate = IdentifyGate(services.cache, self._session_start_limit)  # identify turns, all processes
        guild_listeners.attach(self)  # server changes (edits, bans, channels, roles...) for the modules
        #: Set once shutdown starts: new commands are refused, those already running may finish.
        self.draining = False
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._shutdown: asyncio.Future[None] | None = None

    # --------------------------------------------------------------- start-up
    async def setup_hook(self) -> None:
        """Load modules and publish the slash commands."""
        self.chat.install(self._connection.parsers)  # first: the wrappers below then wrap it
        if self.online is not None:
            self.online.install(self._connection.parsers, self._member_cached)
        self._dispatch_raw_member_updates()
        metrics.count_gateway_events(self._connection)
        guard_parsers(self._connection.parsers)
        self.presence.start()
        await self.loader.load_all(dict(self.config.specs))
        if self.settings.sync_commands:
            synced = await self.tree.sync()
            log.info("application commands synced", count=len(synced))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for this shard's turn to IDENTIFY: one per 5 s per bucket over every process, budget kept."""
        await self.identify_gate.wait(shard_id or 0)

    async def _session_start_limit(self) -> dict[str, Any]:
        return dict((await self.http.get_bot_gateway())[2])

    def _member_cached(self, guild_id: int, user_id: int) -> bool:
        guild = self._connection._get_guild(guild_id)
        return guild is not None and guild.get_member(user_id) is not None

    def _dispatch_raw_member_updates(self) -> None:
        """Emit `raw_member_update` for every GUILD_MEMBER_UPDATE: discord.py only reports cached members."""
        state = self._connection
        original = state.parsers["GUILD_MEMBER_UPDATE"]

        def parse(data: Any) -> None:
            original(data)
            state.dispatch("raw_member_update", data)

        state.parsers["GUILD_MEMBER_UPDATE"] = parse

    #: Seconds shutdown waits for commands already running before it disconnects anyway.
    drain_timeout: float = 10.0

    @contextlib.contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count a command (or message) being handled, so shutdown can wait for it."""
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def close(self) -> None:
        """Stop taking new work, let what is running finish (up to `drain_timeout`), then disconnect.

        Concurrent and repeated calls wait for the same shutdown.
        """
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_gracefully())
        await asyncio.shield(self._shutdown)

    async def _close_gracefully(self) -> None:
        self.draining = True
        # jobs this process runs share the bot's HTTP client: they end (or go back to pending) before it closes
        jobs = self.services.jobs
        jobs_stopped = asyncio.ensure_future(jobs.stop()) if getattr(jobs, "bot", None) is self else None
        if self._running:
            log.info("shutdown: waiting for commands in flight", running=self._running, timeout=self.drain_timeout)
            try:
                async with asyncio.timeout(self.drain_timeout):
                    await self._idle.wait()
            except TimeoutError:
                log.warning("shutdown: commands still running after the grace period", running=self._running)
        if jobs_stopped is not None:
            await jobs_stopped
        await self.presence.stop()
        await super().close()
        await self.rest_budget.close()

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Warm the guild's config as it arrives, so its first messages never wait on the database."""
        self._queue_prefetch(guild.id)

    async def on_guild_join(self, guild: discord.Guild) -> None:  # noqa: D102
        self._queue_prefetch(guild.id)

    def _queue_prefetch(self, guild_id: int) -> None:
        self._prefetch_ids.append(guild_id)
        if self._prefetch_task is None or self._prefetch_task.done():
            self._prefetch_task = asyncio.create_task(self._prefetch_batches(), name="config-prefetch")

    async def _prefetch_batches(self) -> None:
        """Load configs in bulk: GUILD_CREATEs arrive in bursts at start-up (thousands per shard)."""
        while self._prefetch_ids:
            await asyncio.sleep(0.02)
            guild_ids, self._prefetch_ids = self._prefetch_ids, []
            try:
                await self.config.prefetch(guild_ids)
            except Exception:
                log.exception("config prefetch failed", guilds=len(guild_ids))

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """An event listener raised: one line when the database is down (it is not a bug), a traceback otherwise."""
        error = sys.exc_info()[1]
        if error is not None and is_unavailable(error):
            log.warning("event skipped: the database is unavailable", listener=event_method, error=repr(error))
            return
        log.error("event listener failed", listener=event_method, exc_info=True)

    async def answer_interaction(self, interaction: discord.Interaction, message: str, /, **fields: Any) -> None:
        """An ephemeral, translated answer to an interaction that reaches no command (never raises)."""
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                if not interaction.response.is_done():
                    await interaction.response.autocomplete([])
                return
            language = "en"
            if interaction.guild_id is not None:
                with contextlib.suppress(Exception):  # English if the config cannot be read (database down)
                    config = self.config.peek(interaction.guild_id) or await self.config.get(interaction.guild_id)
                    language = config.language
            text = self.translator.translate(language, message, **fields)
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except Exception as exc:
            log.warning("could not answer interaction", guild_id=interaction.guild_id, error=repr(exc))

    async def on_ready(self) -> None:
        """Log readiness; move start-up objects out of the garbage collector's way."""
        # Modules, ORM metadata and discord.py's caches live for the whole run: freezing them keeps every later
        # collection from rescanning ~100 MB of long-lived objects while events stream in.
        gc.freeze()
        log.info(
            "bot ready",
            user=str(self.user),
            guilds=len(self.guilds),
            shards=self.shard_count,
            modules=sorted(self.loader.modules),
        )

    # ------------------------------------------------------- prefix + context
    async def _prefixes(self, _: commands.Bot, message: discord.Message) -> list[str]:
        mention = [f"<@{self.user.id}> ", f"<@!{self.user.id}> "] if self.user else []
        if message.guild is None:
            return ["!", *mention]
        config = self.config.peek(message.guild.id) or await self.config.get(message.guild.id)
        return [config.prefix, *mention]

    async def get_context(self, origin: Any, /, *, cls: type[Any] = WolaroContext) -> Any:
        """A WolaroContext carrying the guild's config."""
        ctx = await super().get_context(origin, cls=cls)
        ctx.started = time.perf_counter()
        guild_id = ctx.guild.id if ctx.guild is not None else None
        if guild_id is not None:
            ctx.config = self.config.peek(guild_id) or await self.config.get(guild_id)
        return ctx

    # ------------------------------------------------------------- hot path
    async def on_message(self, message: discord.Message) -> None:
        """The one message listener: modules' handlers for enabled guilds, then commands.

        Only messages that need a `discord.Message` get here: the others were counted from the gateway payload
        and stopped there (`self.chat`, wolaro.core.chat), where the modules' `on_guild_chat` handlers ran.
        """
        if message.author.bot or self.draining:
            return
        with self.in_flight():
            await self._on_message(message)

    async def _on_message(self, message: discord.Message) -> None:
        guild = message.guild
        if guild is None:
            await self.process_commands(message)
            return
        config = self.config.peek(guild.id) or await self.config.get(guild.id)
        if config.blacklisted and message.author.id not in self.settings.master_admin_ids:
            return
        if self.loader.has_handlers("message"):
            await self.loader.fan_out("message", config, message)
        content = message.content
        if content.startswith(config.prefix) or content.startswith("<@"):
            await self.process_commands(message)

    async def _guild_event(self, event: str, guild_id: int | None, *args: Any) -> None:
        if guild_id is None or not self.loader.has_handlers(event):
            return
        config = self.config.peek(guild_id) or await self.config.get(guild_id)
        if not config.blacklisted:
            await self.loader.fan_out(event, config, *args)

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:  # noqa: D102
        await self._guild_event("message_edit", after.guild.id if after.guild else None, before, after)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:  # noqa: D102
        await self._guild_event("raw_message_delete", payload.guild_id, payload)

    async def on_member_join(self, member: discord.Member) -> None:  # noqa: D102
        await self._guild_event("member_join", member.guild.id, member)

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:  # noqa: D102
        await self.permission_watch.member_removed(payload.guild_id, payload.user.id)
        await self._guild_event("raw_member_remove", payload.guild_id, payload)

    async def on_raw_member_update(self, data: dict[str, Any]) -> None:  # noqa: D102
        await self.permission_watch.member_updated(data)
        await self._guild_event("raw_member_update", int(data["guild_id"]), data)

    async def on_voice_state_update(  # noqa: D102
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        await self._guild_event("voice_state_update", member.guild.id, member, before, after)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:  # noqa: D102
        await self._guild_event("raw_reaction_add", payload.guild_id, payload)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:  # noqa: D102
        await self._guild_event("raw_reaction_remove", payload.guild_id, payload)

    async def on_interaction(self, interaction: discord.Interaction) -> None:  # noqa: D102
        if interaction.type in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            await self._guild_event("interaction", interaction.guild_id, interaction)

    async def on_level_up(self, guild_id: int, user_id: int, old_level: int, new_level: int) -> None:
        """Leveling's `level_up` event, for the modules enabled in that guild (`on_guild_level_up`)."""
        await self._guild_event("level_up", guild_id, user_id, old_level, new_level)

    async def on_coins_earned(self, guild_id: int, user_id: int, amount: int, reason: str) -> None:
        """Economy's `coins_earned` event, for the modules enabled in that guild (`on_guild_coins_earned`)."""
        await self._guild_event("coins_earned", guild_id, user_id, amount, reason)

    # ------------------------------------------------- the one gate for commands
    async def _gate(self, ctx: WolaroContext) -> bool:
        """Blacklist, module switch, permissions and rate limits, for every prefix and slash command."""
        return await command_gate.passes(ctx, self.services.limiter, self.settings)

    # ------------------------------------------------------ results and errors
    async def on_command_completion(self, ctx: WolaroContext) -> None:
        """Log and publish every successful command."""
        await self._record(ctx, "success")

    async def _record(self, ctx: WolaroContext, status: str, error: str | None = None) -> None:
        latency_ms = round((time.perf_counter() - getattr(ctx, "started", time.perf_counter())) * 1000, 2)
        command = ctx.command.qualified_name if ctx.command else None
        guild_id = ctx.guild.id if ctx.guild else None
        self.commands_run += 1
        metrics.record_command(status, latency_ms / 1000)
        log.info(
            "command",
            command=command,
            status=status,
            latency_ms=latency_ms,
            guild_id=guild_id,
            user_id=ctx.author.id,
            slash=ctx.interaction is not None,
            error=error,
        )
        if guild_id is not None:
            record = {
                "guild_id": guild_id,
                "command": command,
                "user_id": ctx.author.id,
                "user": str(ctx.author),
                "status": status,
                "latency_ms": latency_ms,
                "ts": time.time(),
                "module": ctx.cog.spec.name if isinstance(ctx.cog, WolaroModule) else None,
                **command_record.details(ctx),  # where it ran and with which arguments
            }
            await self.services.pubsub.publish(COMMAND_EXECUTED, record)
            await self._guild_event("command_recorded", guild_id, record)  # the command log module keeps it

    async def on_command_error(self, ctx: WolaroContext, error: commands.CommandError) -> None:  # type: ignore[override]
        """Turn every failure into a clear reply (ephemeral for slash commands) and a log line."""
        outcome = await answer_command_error(ctx, error)
        if outcome is not None:
            status, detail = outcome
            await self._record(ctx, status, detail)


def guard_parsers(parsers: dict[str, Callable[[Any], None]]) -> None:
    """Make every gateway event parser log and drop an event it cannot read instead of ending the connection.

    discord.py calls its parsers straight from the WebSocket reader, so one malformed payload (a field it
    requires is missing, a type is wrong) would raise out of `Client.start()` and stop the whole process.
    """
    for event, parser in list(parsers.items()):
        if getattr(parser, "_wolaro_guarded", False):
            continue

        def guarded(data: Any, _parser: Callable[[Any], None] = parser, _event: str = event) -> None:
            try:
                _parser(data)
            except Exception as exc:
                _log_dropped(_event, data, exc)

        guarded._wolaro_guarded = True  # type: ignore[attr-defined]
        parsers[event] = guarded


def _log_dropped(event: str, data: Any, error: Exception) -> None:
    where = error.__traceback__
    while where is not None and where.tb_next is not None:
        where = where.tb_next
    location = f"{where.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{where.tb_lineno}" if where else None
    log.error(
        "gateway event dropped: it could not be read",
        gateway_event=event,
        error=repr(error),
        at=location,
        id=data.get("id") if isinstance(data, dict) else None,
        guild_id=data.get("guild_id") if isinstance(data, dict) else None,
    )
