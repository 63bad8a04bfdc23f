"""Serving the dashboard with uvicorn inside an asyncio program (`wolaro run`, `wolaro api`, tests)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Generator
from typing import Any

import uvicorn
from fastapi import FastAPI

from wolaro.settings import Settings


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host program (which sets `should_exit`)."""

    serve_task: asyncio.Task[None]

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """No signal handlers: `run_components` owns SIGINT/SIGTERM."""
        yield

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        for server in self.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        raise RuntimeError("server not started")


def uvicorn_config(app: FastAPI, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """Uvicorn settings for Wolaro: our logging, proxy headers from trusted proxies only, no server header."""
    options: dict[str, Any] = {
        "host": settings.api_host,
        "port": settings.api_port,
        "log_config": None,
        "access_log": False,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.api_forwarded_allow_ips,
        "server_header": False,
        "lifespan": "on",
        "ws_max_size": 64 * 1024,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


@contextlib.asynccontextmanager
async def serving(app: FastAPI, settings: Settings, **overrides: Any) -> AsyncIterator[EmbeddedServer]:
    """Serve `app` in this event loop for the duration of the block (port 0 in tests: read `server.port`)."""
    config = uvicorn_config(app, settings, **overrides)
    server = EmbeddedServer(config)
    task = server.serve_task = asyncio.create_task(server.serve(), name="api-server")
    try:
        while not server.started:
            if task.done():
                with contextlib.suppress(SystemExit):  # uvicorn exits when it cannot bind
                    task.result()
                raise RuntimeError(f"the dashboard API could not start on {config.host}:{config.port}")
            await asyncio.sleep(0.01)
        yield server
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, SystemExit):
            await task
