"""Running the real Wolaro bot against the sandbox, in this process or as `wolaro bot` subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Self

from pydantic import SecretStr

from wolaro.core.bot import WolaroBot
from wolaro.core.discord_endpoint import point_discord_at
from wolaro.core.services import Services
from wolaro.sandbox import Sandbox
from wolaro.sandbox.interactions import InteractionRecord
from wolaro.settings import Settings


def bot_settings(sandbox: Sandbox, data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a bot talking to `sandbox`, with its own SQLite file unless DATABASE_URL is given."""
    values: dict[str, Any] = {
        "discord_token": SecretStr(sandbox.token),
        "discord_api_base": sandbox.api_base,
        "data_dir": data_dir,
        "log_format": "console",
        "log_level": "WARNING",
        "guild_ready_timeout": 0.2,
        # the sandbox enforces no global REST limit unless a test turns it on (tests/faults measure the budget)
        "discord_rest_global_limit": 10_000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@contextlib.asynccontextmanager
async def running_bot(sandbox: Sandbox, settings: Settings) -> AsyncIterator[WolaroBot]:
    """The real bot, started in this event loop, ready (all guilds received) when the block starts."""
    point_discord_at(sandbox.api_base)
    services = await Services.start(settings)
    bot = WolaroBot(services)
    task = asyncio.create_task(bot.start(sandbox.token))
    try:
        await asyncio.wait_for(_ready(bot, task), timeout=30)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
        await services.close()


async def _ready(bot: WolaroBot, task: asyncio.Task[None]) -> None:
    waiter = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait([waiter, task], return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        waiter.cancel()
        task.result()
        raise RuntimeError("bot stopped before it was ready")


class BotProcess:
    """`wolaro bot` as a separate OS process (what production runs), with its log kept for failures."""

    command = "bot"

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        """Launch it."""
        log = self.log_path.open("ab")
        full_env = {**os.environ, **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wolaro.cli", self.command], env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM and wait."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        """What it printed."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class PlatformProcess(BotProcess):
    """`wolaro run` (the bot and the job worker in one process) as a separate OS process."""

    command = "run"


async def answered(sandbox: Sandbox, channel: int, author: int, *, attempts: int = 60) -> None:
    """Wait until a bot process answers `!ping` in `channel` (it is up and serves that guild)."""
    for _ in range(attempts):
        await sandbox.send_message(channel, author, "!ping")
        with contextlib.suppress(TimeoutError):
            await sandbox.wait_for_message(channel, timeout=1)
            return
    raise AssertionError("the bot process never answered")


def process_env(sandbox: Sandbox, **env: str) -> dict[str, str]:
    """Environment for `wolaro bot` against the sandbox."""
    return {
        "DISCORD_TOKEN": sandbox.token,
        "DISCORD_API_BASE": sandbox.api_base,
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
        "GUILD_READY_TIMEOUT": "0.2",
        "DISCORD_REST_GLOBAL_LIMIT": "10000",  # as bot_settings: the REST budget is measured in tests/faults
        "SECRET_KEY": "e2e-secret-key-0123456789abcdef0123456789",
        **env,
    }


async def send_interaction(sandbox: Sandbox, record: InteractionRecord) -> InteractionRecord:
    """Deliver an interaction the test built itself (an unknown command, a malformed payload) as a user's."""
    return await sandbox._dispatch_interaction(record, f"/{record.name}")
