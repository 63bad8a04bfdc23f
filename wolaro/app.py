"""Running the parts of Wolaro in one process: the bot, the job worker and the dashboard API."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wolaro.core.bot import WolaroBot
from wolaro.core.discord_endpoint import point_discord_at, point_rest_at
from wolaro.core.services import Services
from wolaro.core.shard_leases import hold_shard_leases
from wolaro.logging import get_logger
from wolaro.settings import Settings

log = get_logger(__name__)

Component = Callable[[Services, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass
class StartReport:
    """The one start-up summary: each component of `run_components` says what it started and where."""

    waiting: list[str]
    parts: dict[str, str] = field(default_factory=dict)
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def started(self, component: str, description: str) -> None:
        """`component` is up; `description` says what and where, in words (`the dashboard at http://...`)."""
        self.parts[component] = description
        if all(name in self.parts for name in self.waiting):
            self.complete.set()

    def summary(self) -> str:
        """One sentence naming what runs and where, ending with how to stop it."""
        parts = [self.parts[name] for name in self.waiting if name in self.parts]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"Wolaro is running: {listed}. Press Ctrl-C to stop."


# set by run_components for the components it starts (their tasks inherit it)
_start_report: ContextVar[StartReport | None] = ContextVar("wolaro_start_report", default=None)


def report_started(component: str, description: str) -> None:
    """Tell the running `run_components` (if any) that `component` is up."""
    report = _start_report.get()
    if report is not None:
        report.started(component, description)


def describe_bot(settings: Settings) -> str:
    """`the bot (shards 0, 1 of 4; connecting to Discord at discord.com)`: what the bot part of the summary says."""
    where = urlsplit(settings.discord_api_base).netloc
    if settings.shard_ids:
        shards = ", ".join(str(shard) for shard in settings.shard_ids)
        return f"the bot (shards {shards} of {settings.shard_count}; connecting to Discord at {where})"
    return f"the bot (connecting to Discord at {where})"


async def _announce(report: StartReport) -> None:
    await report.complete.wait()
    log.info(report.summary(), components=list(report.parts))


async def bot_component(services: Services, stop: asyncio.Event) -> None:
    """Run the Discord bot until `stop` is set (with SHARD_LEASES, on the shards it holds a lease on)."""
    async with hold_shard_leases(services, stop) as run:
        if run:
            await _run_bot(services, stop)


async def _run_bot(services: Services, stop: asyncio.Event) -> None:
    settings = services.settings
    assert settings.discord_token is not None
    point_discord_at(settings.discord_api_base)
    point_rest_at(settings.discord_rest_base)  # DISCORD_REST_BASE: REST through a proxy (nirn-proxy), gateway direct
    bot = WolaroBot(services)
    services.jobs.bot = bot  # job handlers in this process see it as `ctx.bot` and share its HTTP client

    async def close_when_stopped() -> None:
        await stop.wait()
        await bot.close()

    watcher = asyncio.create_task(close_when_stopped())
    report_started("bot", describe_bot(settings))
    try:
        await bot.start(settings.discord_token.get_secret_value())
    finally:
        watcher.cancel()
        services.jobs.bot = None
        stop.set()


async def worker_component(services: Services, stop: asyncio.Event) -> None:
    """Run the durable job worker (claim and run due scheduled jobs) until `stop` is set."""
    from wolaro.jobs.worker import run_worker

    report_started("worker", "the job worker")
    await run_worker(services, stop)


async def api_component(services: Services, stop: asyncio.Event) -> None:
    """Serve the dashboard (REST API, WebSocket, pages) on API_HOST:API_PORT until `stop` is set."""
    from wolaro.web import create_app
    from wolaro.web.server import serving

    app = create_app(services)
    async with serving(app, services.settings) as server:
        settings = services.settings
        url = settings.dashboard_url if settings.api_port or settings.public_url else f"http://127.0.0.1:{server.port}"
        log.debug("dashboard listening", url=url, port=server.port)
        report_started("dashboard", f"the dashboard at {url}")
        stopped = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([stopped, server.serve_task], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()


async def run_components(settings: Settings, components: list[Component], *, stop: asyncio.Event | None = None) -> None:
    """Start the services, run every component until one ends or SIGINT/SIGTERM arrives, then shut down."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread, or no signals here
            loop.add_signal_handler(sig, stop.set)
    services = await Services.start(settings)
    names = {bot_component: "bot", api_component: "dashboard", worker_component: "worker"}
    report = StartReport([names[c] for c in (bot_component, api_component, worker_component) if c in components])
    _start_report.set(report)
    announcer = asyncio.create_task(_announce(report))
    tasks = [asyncio.create_task(component(services, stop)) for component in components]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        announcer.cancel()
        for task in tasks:
            task.cancel()
        await services.close()
