"""Browser tests: Playwright driving Debian's Chromium (`/usr/bin/chromium`, never a downloaded browser).

One stack (sandbox + real bot + dashboard on PostgreSQL and Redis) and one browser per module. Without
/usr/bin/chromium the tests skip with how to install it; with CI=true they fail instead.
Screenshots go to `test-output/screenshots/` (gitignored).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
import redis
from sqlalchemy.engine import make_url

from tests.conftest import (
    _libpq_url,
    _postgres_error,
    _postgres_server_url,
    _redis_error,
    _redis_server_url,
    run_sync,
    service_unavailable,
    worker_tag,
)
from tests.support.browser_stack import Stack, running_stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's Chromium, or a skip (a failure in CI) saying how to install it."""
    if not os.access(CHROMIUM, os.X_OK):
        service_unavailable(f"{CHROMIUM} not found: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def browser_storage() -> Iterator[dict[str, Any]]:
    """A fresh PostgreSQL database and a unique Redis prefix for the module (both removed afterwards)."""
    server = _postgres_server_url()
    error = _postgres_error(server)
    if error:
        service_unavailable(f"PostgreSQL not reachable ({error}): start it or set WOLARO_TEST_POSTGRES_URL")
    redis_url = _redis_server_url()
    if _redis_error(redis_url):
        service_unavailable(f"Redis not reachable at {redis_url}: start it or set WOLARO_TEST_REDIS_URL")
    name = f"wolaro_t_{worker_tag()}_{secrets.token_hex(6)}"
    prefix = f"wolaro-test-{worker_tag()}-{secrets.token_hex(6)}:"
    admin = _libpq_url(server)

    async def execute(*statements: str) -> None:
        connection = await asyncpg.connect(admin, timeout=10)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    run_sync(lambda: execute(f'CREATE DATABASE "{name}"'))
    try:
        yield {
            "database_url": make_url(server)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False),
            "redis_url": redis_url,
            "redis_prefix": prefix,
        }
    finally:
        run_sync(lambda: execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
            keys = list(client.scan_iter(match=prefix + "*", count=1000))
            if keys:
                client.unlink(*keys)


@pytest.fixture(scope="module")
def restore_discord_endpoints_module() -> Iterator[None]:
    import discord

    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE)
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE = saved


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    chromium: str,
    browser_storage: dict[str, Any],
    restore_discord_endpoints_module: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    async with running_stack(tmp_path_factory.mktemp("browser-stack"), browser_storage) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(chromium: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
