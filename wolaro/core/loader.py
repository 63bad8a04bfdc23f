"""Finds modules under `wolaro/modules/`, adds their Cogs, reloads them in place, and fans guild events out.

The loader is the one place that knows which module handles which event; the bot's core listeners ask it
to deliver an event to every module enabled in the event's guild.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from wolaro.core.config_service import GuildConfig
from wolaro.core.module import GUILD_EVENTS, WolaroModule
from wolaro.core.registry import iter_module_packages
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.core.bot import WolaroBot

log = get_logger(__name__)

Handler = Callable[..., Awaitable[None]]


def module_class(package: str) -> type[WolaroModule]:
    """The WolaroModule subclass defined in `wolaro/modules/<package>/module.py`."""
    source = importlib.import_module(f"wolaro.modules.{package}.module")
    for value in vars(source).values():
        if inspect.isclass(value) and issubclass(value, WolaroModule) and "spec" in value.__dict__:
            if value.__cog_listeners__:
                raise TypeError(
                    f"{value.__name__} registers discord.py listeners; implement on_guild_<event> handlers "
                    "instead so the loader can gate them per guild"
                )
            return value
    raise LookupError(f"wolaro.modules.{package}.module defines no WolaroModule with a spec")


class ModuleLoader:
    """Loads, unloads and reloads modules on a running bot and routes guild events to them."""

    def __init__(self, bot: WolaroBot) -> None:
        self.bot = bot
        self.modules: dict[str, WolaroModule] = {}
        self._packages: dict[str, str] = {}
        self._handlers: dict[str, list[tuple[str, Handler]]] = {event: [] for event in GUILD_EVENTS}

    async def load_all(self) -> None:
        """Load every module package."""
        for package in iter_module_packages():
            await self.load(package)

    async def load(self, package: str) -> WolaroModule:
        """Add one module's Cog (commands, app commands, event handlers) to the bot."""
        cog = module_class(package)(self.bot)
        await self.bot.add_cog(cog)
        self.modules[cog.spec.name] = cog
        self._packages[cog.spec.name] = package
        self.bot.config.specs[cog.spec.name] = cog.spec
        self._rebuild_handlers()
        log.debug("module loaded", module=cog.spec.name, version=cog.spec.version)
        return cog

    async def unload(self, name: str) -> None:
        """Remove a module's Cog and handlers."""
        cog = self.modules.pop(name)
        await self.bot.remove_cog(cog.__cog_name__)
        self._rebuild_handlers()

    async def reload(self, name: str) -> WolaroModule:
        """Re-import a module's code and swap its Cog in, without restarting the bot.

        Its `models.py` is kept: tables are not redefined at run time (schema changes go through migrations).
        """
        if name not in self.modules:
            raise LookupError(f"no loaded module named {name!r}")
        package = self._packages[name]
        started = time.perf_counter()
        root = f"wolaro.modules.{package}"
        for module_name in sorted(sys.modules):
            if module_name.startswith(root + ".") and not module_name.endswith(".models"):
                importlib.reload(sys.modules[module_name])
        await self.unload(name)
        cog = await self.load(package)
        await self.bot.config.drop_local(None)
        log.info("module reloaded", module=name, ms=round((time.perf_counter() - started) * 1000, 1))
        return cog

    def _rebuild_handlers(self) -> None:
        handlers: dict[str, list[tuple[str, Handler]]] = {event: [] for event in GUILD_EVENTS}
        for name, cog in self.modules.items():
            for event in cog.handled_events():
                handlers[event].append((name, getattr(cog, GUILD_EVENTS[event])))
        self._handlers = handlers

    def has_handlers(self, event: str) -> bool:
        """Whether any loaded module wants `event` (lets the core listener skip work)."""
        return bool(self._handlers[event])

    async def fan_out(self, event: str, config: GuildConfig, *args: Any) -> None:
        """Deliver `event` to each module enabled in the guild; one failing handler never stops the others."""
        for name, handler in self._handlers[event]:
            if name in config.enabled_modules:
                try:
                    await handler(config, *args)
                except Exception:
                    # structlog's first argument is itself called `event`: the guild event goes under another key.
                    log.exception(
                        "module event handler failed", module=name, guild_event=event, guild_id=config.guild_id
                    )
