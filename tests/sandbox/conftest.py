"""Fixtures for the sandbox's own tests: a Sandbox with discord.py pointed at it, and plain discord.py bots.

These bots are bare discord.py (not Wolaro): they check that the emulator speaks Discord to an
unmodified client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import discord.asset
import discord.gateway
import discord.http
import pytest
from discord.ext import commands

from wolaro.sandbox import Sandbox, point_discord_at

#: discord.py fires on_ready this long after the last GUILD_CREATE (default 2 s); locally they arrive at once.
GUILD_READY_TIMEOUT = 0.3


class SandboxBot(commands.Bot):
    """A commands.Bot that does not wait 5 s before re-IDENTIFYing (discord.py's default hook does)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("guild_ready_timeout", GUILD_READY_TIMEOUT)
        super().__init__(*args, **kwargs)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


class ShardedSandboxBot(commands.AutoShardedBot):
    """AutoShardedBot without the 5 s pause between shard IDENTIFYs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("guild_ready_timeout", GUILD_READY_TIMEOUT)
        super().__init__(*args, **kwargs)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def full_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    return intents


@pytest.fixture(autouse=True)
def restore_discord_globals():
    """point_discord_at mutates discord.py module globals: put them back after each test."""
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE)
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, discord.asset.Asset.BASE = saved


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(guilds=2, members_per_guild=6, heartbeat_interval_ms=60_000) as sb:
        point_discord_at(sb.api_base)
        yield sb


StartBot = Callable[..., Awaitable[commands.Bot]]


@pytest.fixture
async def start_bot(sandbox: Sandbox) -> AsyncIterator[StartBot]:
    """``await start_bot(bot)`` logs ``bot`` in to the sandbox and returns once on_ready has fired."""
    running: list[tuple[commands.Bot, asyncio.Task[None]]] = []

    async def start(bot: commands.Bot | None = None, *, sb: Sandbox | None = None, **kwargs: Any) -> commands.Bot:
        target = sb or sandbox
        if bot is None:
            bot = SandboxBot(command_prefix="!", intents=kwargs.pop("intents", full_intents()), **kwargs)
        await bot.login(target.token)
        task = asyncio.create_task(bot.connect())
        running.append((bot, task))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait([ready, task], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()
            raise RuntimeError("bot stopped before READY")
        if ready not in done:
            ready.cancel()
            raise TimeoutError("bot not ready after 10 s")
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


@pytest.fixture
def expect() -> Callable[..., asyncio.Task[Any]]:
    """``expect(bot, "member_join")``: start waiting for a discord.py event now, before triggering it."""

    def waiter(bot: commands.Bot, event: str, check: Callable[..., bool] | None = None) -> asyncio.Task[Any]:
        return asyncio.ensure_future(bot.wait_for(event, check=check, timeout=5))

    return waiter
