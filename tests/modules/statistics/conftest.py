"""The bot with statistics enabled in guild 0, a fake clock for voice time, and the dashboard on the same services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_asyncio
from pydantic import SecretStr

from tests.support.harness import bot_settings, running_bot
from tests.support.web import Env, World
from wolaro.core.bot import WolaroBot
from wolaro.sandbox import Sandbox
from wolaro.sandbox.oauth import emulator
from wolaro.web import create_app


@dataclass
class Clock:
    """The recorder's clock, moved by the test (voice durations become exact)."""

    now: float

    def __call__(self) -> float:
        return self.now


@dataclass
class Stats:
    """Guild 0 with statistics on: who is who, the bot, its statistics Cog and the clock it counts voice with."""

    sandbox: Sandbox
    bot: WolaroBot
    cog: Any
    clock: Clock
    guild: int
    text: list[int]
    voice: list[int]
    owner: int
    alice: int
    bob: int

    @classmethod
    def of(cls, sandbox: Sandbox, bot: WolaroBot) -> Stats:
        """The sandbox's first guild as the running bot sees it, with the clock its statistics recorder counts on."""
        guild = sandbox.guild_ids()[0]
        cog = bot.loader.modules["statistics"]
        owner, _, alice, bob, *_ = sandbox.member_ids(guild)
        text, voice = sandbox.text_channel_ids(guild), sandbox.voice_channel_ids(guild)
        return cls(sandbox, bot, cog, cog.recorder.clock, guild, text, voice, owner, alice, bob)

    async def flush(self) -> None:
        assert await self.cog.recorder.flush()


def settings_for(sandbox: Sandbox, data_dir: Path, **overrides: Any) -> Any:
    """Bot settings that also serve the dashboard (OAuth client, secret key, test hosts)."""
    return bot_settings(
        sandbox,
        data_dir,
        discord_client_id=sandbox.application_id,
        discord_client_secret=SecretStr(emulator(sandbox).client_secret),
        secret_key=SecretStr("test-secret-key-0123456789abcdef0123456789"),
        api_rate_limits=False,
        allowed_hosts=["testserver", "127.0.0.1"],
        **overrides,
    )


@pytest_asyncio.fixture
async def stats(tmp_path: Path) -> AsyncIterator[Stats]:
    async with (
        Sandbox(guilds=2, members_per_guild=6) as sandbox,
        running_bot(sandbox, settings_for(sandbox, tmp_path)) as bot,
    ):
        await bot.config.set_module_enabled(sandbox.guild_ids()[0], "statistics", True, actor_id=None)
        bot.loader.modules["statistics"].recorder.clock = Clock(1_800_000_000.0)
        yield Stats.of(sandbox, bot)


@pytest_asyncio.fixture
async def dashboard(stats: Stats) -> AsyncIterator[Env]:
    """The dashboard app on the bot's own services (same database and cache; the bot records its presence)."""
    async with dashboard_of(stats) as env:
        yield env


@asynccontextmanager
async def dashboard_of(stats: Stats) -> AsyncIterator[Env]:
    """The dashboard app on the services of `stats`' bot, its clients closed at the end."""
    a, b = stats.sandbox.guild_ids()
    world = World(stats.sandbox, a, b, stats.owner, stats.sandbox.owner_id(b), stats.alice, stats.bob)
    env = Env(world, stats.bot.services, create_app(stats.bot.services))
    try:
        yield env
    finally:
        for client in env.clients:
            await client.aclose()
        await env.web.close()
