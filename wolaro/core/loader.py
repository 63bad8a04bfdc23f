"""Adds the installed modules' Cogs to the bot, reloads them in place, and fans guild events out.

The modules come from their specs (`wolaro.core.registry`, found by entry points). The loader is the one place
that knows which module handles which event; the bot's core listeners ask it to deliver an event to every module
enabled in the event's guild.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from wolaro.core.chat import FULL_MESSAGE_EVENTS, ChatHandler
from wolaro.core.config_service import GuildConfig
from wolaro.core.module import GUILD_EVENTS, WolaroModule
from wolaro.core.registry import ModuleSpec, reload_spec
from wolaro.data.database import is_unavailable
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

log = get_logger(__name__)

Handler = Callable[..., Awaitable[None]]


def check_cog(cog: type[Any]) -> type[WolaroModule]:
    """`cog` if it is a WolaroModule that registers no discord.py listener of its own, else TypeError."""
    if not (isinstance(cog, type) and issubclass(cog, WolaroModule)):
        raise TypeError(f"{cog!r} is not a WolaroModule subclass")
    if cog.__cog_listeners__:
        raise TypeError(
            f"{cog.__name__} registers discord.py listeners; implement on_guild_<event> handlers "
            "instead so the loader can gate them per guild"
        )
    return cog


class ModuleLoader:
    """Loads, unloads and reloads modules on a running bot and routes guild events to them."""

    def __init__(self, bot: WolaroBot) -> None:
        self.bot = bot
        self.modules: dict[str, WolaroModule] = {}
        self.cogs: dict[str, list[WolaroModule]] = {}
        self._handlers: dict[str, list[tuple[str, Handler]]] = {event: [] for event in GUILD_EVENTS}
        #: Counting handlers (`on_guild_chat`) by module, for the message fast path (wolaro.core.chat).
        self.chat_handlers: list[tuple[str, ChatHandler]] = []
        #: Modules that need every new message built by discord.py (whole messages, or its message cache).
        self.full_message_modules: frozenset[str] = frozenset()
        #: Bumped whenever the handlers change, so what was worked out from them is worked out again.
        self.version = 0

    async def load_all(self, specs: Mapping[str, ModuleSpec]) -> None:
        """Load every installed module (a module whose Cog cannot be added is logged and left out)."""
        for spec in specs.values():
            try:
                await self.load(spec)
            except Exception:
                log.exception("module could not be loaded", module=spec.name)

    async def load(self, spec: ModuleSpec) -> WolaroModule | None:
        """Add one module's Cogs (commands, app commands, event handlers) to the bot; its first Cog is returned."""
        cogs = [check_cog(cog)(self.bot) for cog in spec.cogs]
        for cog in cogs:
            await self.bot.add_cog(cog)
        self.cogs[spec.name] = cogs
        if cogs:
            self.modules[spec.name] = cogs[0]
        self.bot.config.specs[spec.name] = spec
        self._rebuild_handlers()
        log.debug("module loaded", module=spec.name, version=spec.version)
        return cogs[0] if cogs else None

    async def unload(self, name: str) -> None:
        """Remove a module's Cogs and handlers."""
        self.modules.pop(name, None)
        for cog in self.cogs.pop(name, []):
            await self.bot.remove_cog(cog.__cog_name__)
        self._rebuild_handlers()

    async def reload(self, name: str) -> WolaroModule | None:
        """Re-import a module's code and swap its Cogs in, without restarting the bot.

        Its models are kept: tables are not redefined at run time (schema changes go through migrations).
        """
        if name not in self.cogs:
            raise LookupError(f"no loaded module named {name!r}")
        started = time.perf_counter()
        spec = reload_spec(name)
        await self.unload(name)
        cog = await self.load(spec)
        self.bot.services.jobs.registry.update(spec.jobs)
        await self.bot.config.drop_local(None)
        log.info("module reloaded", module=name, ms=round((time.perf_counter() - started) * 1000, 1))
        return cog

    def _rebuild_handlers(self) -> None:
        handlers: dict[str, list[tuple[str, Handler]]] = {event: [] for event in GUILD_EVENTS}
        for name, cogs in self.cogs.items():
            for cog in cogs:
                for event in cog.handled_events():
                    handlers[event].append((name, getattr(cog, GUILD_EVENTS[event])))
        self.chat_handlers = handlers.pop("chat")  # type: ignore[assignment]  # plain functions, not coroutines
        self.full_message_modules = frozenset(name for event in FULL_MESSAGE_EVENTS for name, _ in handlers[event])
        self._handlers = handlers
        self.version += 1

    def has_handlers(self, event: str) -> bool:
        """Whether any loaded module wants `event` (lets the core listener skip work)."""
        return bool(self._handlers[event])

    async def fan_out(self, event: str, config: GuildConfig, *args: Any) -> None:
        """Deliver `event` to each module enabled in the guild; one failing handler never stops the others."""
        for name, handler in self._handlers[event]:
            if name in config.enabled_modules:
                try:
                    await handler(config, *args)
                except Exception as exc:
                    # structlog's first argument is itself called `event`: the guild event goes under another key.
                    if is_unavailable(exc):  # an outage, not a bug: one line, as the bot's own listeners
                        log.warning(
                            "module event skipped: the database is unavailable",
                            module=name,
                            guild_event=event,
                            guild_id=config.guild_id,
                            error=repr(exc),
                        )
                        continue
                    log.exception(
                        "module event handler failed", module=name, guild_event=event, guild_id=config.guild_id
                    )
