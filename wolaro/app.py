"""Running the parts of Wolaro in one process: the bot, the job worker and the dashboard API."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

from wolaro.core.bot import WolaroBot
from wolaro.core.services import Services
from wolaro.logging import get_logger
from wolaro.sandbox.connect import point_discord_at
from wolaro.settings import Settings

log = get_logger(__name__)

Component = Callable[[Services, asyncio.Event], Awaitable[None]]


async def bot_component(services: Services, stop: asyncio.Event) -> None:
    """Run the Discord bot until `stop` is set."""
    settings = services.settings
    assert settings.discord_token is not None
    point_discord_at(settings.discord_api_base)
    bot = WolaroBot(services)
    services.jobs.bot = bot  # job handlers in this process see it as `ctx.bot` and share its HTTP client

    async def close_when_stopped() -> None:
        await stop.wait()
        await bot.close()

    watcher = asyncio.create_task(close_when_stopped())
    try:
        await bot.start(settings.discord_token.get_secret_value())
    finally:
        watcher.cancel()
        services.jobs.bot = None
        stop.set()


async def worker_component(services: Services, stop: asyncio.Event) -> None:
    """Run the durable job worker (claim and run due scheduled jobs) until `stop` is set."""
    from wolaro.jobs.worker import run_worker

    await run_worker(services, stop)


async def api_component(services: Services, stop: asyncio.Event) -> None:
    """Serve the dashboard (REST API, WebSocket, pages) on API_HOST:API_PORT until `stop` is set."""
    from wolaro.web import create_app
    from wolaro.web.server import serving

    app = create_app(services)
    async with serving(app, services.settings) as server:
        log.info("dashboard listening", url=services.settings.dashboard_url, port=server.port)
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
    tasks = [asyncio.create_task(component(services, stop)) for component in components]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await services.close()
