"""The message fast path: chat that no command and no module reads in full never becomes a `discord.Message`.

discord.py turns every MESSAGE_CREATE into a `discord.Message` (author, member, mentions, embeds...) and runs
`on_message` as an asyncio task of its own. In a busy server most messages are chat that modules only count
(statistics: who spoke where and when; leveling: XP for the author). For those the bot reads the gateway payload
once, hands each counting module a `ChatMessage` (a few fields read straight from the payload) through its
`on_guild_chat(config, message)` handler, and stops there.

A message still goes through discord.py's whole path (the `discord.Message`, the message cache, `on_message`,
commands) when anything needs it: a direct message, text starting with the server's prefix or a mention, a
module enabled in that server that reads whole messages or edits and deletions of cached ones
(`FULL_MESSAGE_EVENTS`), or code waiting for a message (`bot.wait_for("message")`). Counting handlers run
first either way, so a module sees every message once, whichever path it takes.

`on_guild_chat` is a plain function, not a coroutine: it runs inside the gateway's read loop, so it must only
record into memory (a buffer that a background task writes in batches). Work that needs I/O is scheduled by the
module itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import discord

from wolaro.core.config_service import GuildConfig
from wolaro.core.module import GUILD_EVENTS
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

log = get_logger(__name__)

ChatHandler = Callable[[GuildConfig, "ChatMessage"], None]

FULL_MESSAGE_EVENTS = frozenset(
    {"message", "message_edit", "raw_message_edit", "raw_message_delete", "raw_bulk_message_delete"}
)
"""Guild events whose handlers need discord.py's `discord.Message` for new messages (or its message cache)."""

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


def payload_only(handler: HandlerT) -> HandlerT:
    """Mark a module's handler of a `FULL_MESSAGE_EVENTS` event that reads only its own event's payload.

    An `on_guild_raw_message_edit` that reads `payload.data` (never `payload.cached_message`) needs no
    `discord.Message` built for new messages: a module whose every such handler is marked keeps its servers'
    chat on the fast path.
    """
    handler.__wolaro_payload_only__ = True  # type: ignore[attr-defined]
    return handler


def reads_payloads_only(cogs: Iterable[Any]) -> bool:
    """Whether a module's Cogs handle `FULL_MESSAGE_EVENTS` only with `payload_only` handlers (False for none)."""
    handlers = [getattr(cog, GUILD_EVENTS[event], None) for cog in cogs for event in FULL_MESSAGE_EVENTS]
    handlers = [handler for handler in handlers if callable(handler)]
    return bool(handlers) and all(getattr(handler, "__wolaro_payload_only__", False) for handler in handlers)


_LAST_MESSAGE_KEEPERS = (discord.TextChannel, discord.VoiceChannel, discord.Thread, discord.StageChannel)


class ChatMessage:
    """A guild message as counting modules see it: read from the gateway payload, nothing built that is not used."""

    __slots__ = ("_data", "author_id", "channel", "channel_id", "guild_id", "id", "webhook_id")

    def __init__(self, data: dict[str, Any], guild_id: int, channel: Any) -> None:
        self._data = data
        self.id = int(data["id"])
        self.guild_id = guild_id
        self.channel_id = int(data["channel_id"])
        #: The guild channel or thread from discord.py's cache (None when not cached): `parent_id`, `category_id`.
        self.channel = channel
        self.author_id = int(data["author"]["id"])
        webhook_id = data.get("webhook_id")
        self.webhook_id = int(webhook_id) if webhook_id is not None else None

    @property
    def role_ids(self) -> list[int]:
        """The author's role ids in the server (from the member part of the payload)."""
        member = self._data.get("member") or {}
        return [int(role) for role in member.get("roles", ())]

    @property
    def display_name(self) -> str:
        """The author's name in the server: nickname, else global name, else username."""
        member = self._data.get("member") or {}
        author = self._data["author"]
        return str(member.get("nick") or author.get("global_name") or author.get("username") or "")

    @property
    def avatar(self) -> str | None:
        """The author's avatar hash (their account's, not a per-server one), if they have one."""
        avatar = self._data["author"].get("avatar")
        return str(avatar) if avatar else None

    @property
    def content(self) -> str:
        """The message's text (empty without the message content intent)."""
        return str(self._data.get("content") or "")

    @property
    def payload(self) -> dict[str, Any]:
        """The gateway payload itself (not to be changed), for what the fields here do not carry."""
        return self._data

    @property
    def mention_count(self) -> int:
        """How many users and roles the message mentions (`@everyone` aside), as discord.py would list them."""
        data = self._data
        return len(data.get("mentions") or ()) + len(data.get("mention_roles") or ())


class _Plan:
    """What one guild's config asks of its messages; rebuilt when the config object or the modules change."""

    __slots__ = ("config", "full", "handlers", "version")

    def __init__(self, config: GuildConfig, version: int, handlers: list[tuple[str, ChatHandler]], full: bool) -> None:
        self.config = config
        self.version = version
        self.handlers = handlers
        self.full = full


class ChatFastPath:
    """Replaces discord.py's MESSAGE_CREATE parser with one that builds a `discord.Message` only when needed."""

    def __init__(self, bot: WolaroBot) -> None:
        self.bot = bot
        self._full_parser: Callable[[Any], None] = lambda data: None
        self._plans: dict[int, _Plan] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._full_modules: tuple[int, frozenset[str]] = (-1, frozenset())
        #: Messages that skipped discord.py's path, and those that took it (for tests and benchmarks).
        self.counted = 0
        self.built = 0

    def install(self, parsers: dict[str, Callable[[Any], None]]) -> None:
        """Put the fast path in front of discord.py's MESSAGE_CREATE parser (before any wrapper of the parsers)."""
        self._full_parser = parsers["MESSAGE_CREATE"]
        parsers["MESSAGE_CREATE"] = self.parse

    # ------------------------------------------------------------------ the parser
    def parse(self, data: Any) -> None:
        """MESSAGE_CREATE: count it for the guild's modules, then build the `discord.Message` only if needed."""
        guild_id = data.get("guild_id")
        if guild_id is None:
            self._build(data)  # a direct message: commands only
            return
        guild_id = int(guild_id)
        config = self.bot.config.peek(guild_id)
        if config is None:
            # not in this process's cache: discord.py's path at once (its message cache keeps the order events
            # arrive in: an edit right behind finds the message), and the modules count it once settings are read
            self._build(data)
            task = asyncio.get_running_loop().create_task(self._count_later(guild_id, data))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            return
        plan = self._plan_for(config)
        if not self._counts(config, data):  # discord.py's path only for its message cache or a waiter
            if plan.full or self._waited_for():
                self._build(data)
            return
        guild = self.bot._connection._get_guild(guild_id)
        if guild is None:  # not ready yet (or just left): discord.py knows what to do with it
            self._build(data)
            return
        channel = guild._resolve_channel(int(data["channel_id"]))
        self._count(plan, config, data, channel)
        if plan.full or self._command_like(config, data) or self._waited_for():
            self._build(data)
            return
        self.counted += 1
        if channel is not None and channel.__class__ in _LAST_MESSAGE_KEEPERS:
            channel.last_message_id = int(data["id"])

    async def _count_later(self, guild_id: int, data: Any) -> None:
        try:
            config = await self.bot.config.get(guild_id)
        except Exception as exc:
            log.warning("message not counted: the server's settings could not be read", error=repr(exc))
            return
        guild = self.bot._connection._get_guild(guild_id)
        if guild is not None and self._counts(config, data):
            self._count(self._plan_for(config), config, data, guild._resolve_channel(int(data["channel_id"])))

    def _counts(self, config: GuildConfig, data: Any) -> bool:
        """Whether modules see this message: not a bot's, not while stopping, not in a blacklisted server.

        As in `WolaroBot.on_message`; a master admin still reaches commands in a blacklisted server.
        """
        author = data["author"]
        if author.get("bot") or self.bot.draining:
            return False
        return not config.blacklisted or int(author["id"]) in self.bot.settings.master_admin_ids

    def _count(self, plan: _Plan, config: GuildConfig, data: Any, channel: Any) -> None:
        """Run the counting handlers of the modules enabled in the guild; one failing never stops the others."""
        if not plan.handlers:
            return
        message = ChatMessage(data, config.guild_id, channel)
        for name, handler in plan.handlers:
            try:
                handler(config, message)
            except Exception:
                log.exception("module chat handler failed", module=name, guild_id=config.guild_id)

    def _plan_for(self, config: GuildConfig) -> _Plan:
        plan = self._plans.get(config.guild_id)
        if plan is None or plan.config is not config or plan.version != self.bot.loader.version:
            plan = self._plan(config)
            self._plans[config.guild_id] = plan
        return plan

    def _build(self, data: Any) -> None:
        self.built += 1
        self._full_parser(data)

    def _plan(self, config: GuildConfig) -> _Plan:
        loader = self.bot.loader
        enabled = config.enabled_modules
        handlers = [(name, handler) for name, handler in loader.chat_handlers if name in enabled]
        return _Plan(config, loader.version, handlers, not enabled.isdisjoint(self._modules_needing_messages()))

    def _modules_needing_messages(self) -> frozenset[str]:
        """The loader's whole-message modules, less those that read only their events' payloads (`payload_only`)."""
        loader = self.bot.loader
        if self._full_modules[0] != loader.version:
            cogs = getattr(loader, "cogs", {})
            names = frozenset(
                name for name in loader.full_message_modules if not reads_payloads_only(cogs.get(name, ()))
            )
            self._full_modules = (loader.version, names)
        return self._full_modules[1]

    @staticmethod
    def _command_like(config: GuildConfig, data: Any) -> bool:
        content = data.get("content") or ""
        return content.startswith(config.prefix) or content.startswith("<@")

    def _waited_for(self) -> bool:
        """Whether code waits for a message (`wait_for("message")`) or listens besides the bot's own listener."""
        bot = self.bot
        return bool(bot._listeners.get("message") or bot.extra_events.get("on_message"))
