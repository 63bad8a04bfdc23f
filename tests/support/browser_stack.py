"""The whole stack for browser tests, in this process: the Discord sandbox, the real bot, the dashboard on a port.

The bot and the API each have their own `Services` on the same database and Redis, as separate processes would, so
every change travels database -> Redis pub/sub -> the other side (seed 002).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from tests.support.harness import bot_settings, running_bot
from wolaro.core.bot import WolaroBot
from wolaro.core.services import Services
from wolaro.data.models import BotGuild
from wolaro.sandbox import Sandbox
from wolaro.sandbox.oauth import emulator
from wolaro.settings import Settings
from wolaro.web import create_app
from wolaro.web.server import serving


@dataclass
class Stack:
    """Who is who, and where everything runs."""

    sandbox: Sandbox
    services: Services  # the API's
    bot: WolaroBot
    base_url: str
    guild: int  # guild A ("Cozy Cafe")
    other_guild: int
    owner: int  # owns guild A
    admin: int  # holds the Admin role in guild A, does not own it
    channel: int  # a text channel of guild A

    def url(self, path: str) -> str:
        return self.base_url + path


async def _wait_for(predicate: Any, timeout: float, what: str) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running_stack(workdir: Path, storage: dict[str, Any]) -> AsyncIterator[Stack]:
    """Sandbox (2 guilds of 6) + the API on a free port + the real bot, sharing `storage` (database, Redis)."""
    async with Sandbox(guilds=2, members_per_guild=6) as sb:
        guild, other = sb.guild_ids()
        admin = sb.member_ids(guild)[2]
        api_settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            discord_token=SecretStr(sb.token),
            discord_api_base=sb.api_base,
            discord_client_id=sb.application_id,
            discord_client_secret=SecretStr(emulator(sb).client_secret),
            master_admin_ids=[],
            api_rate_limits=False,
            secret_key=SecretStr("browser-test-secret-key-0123456789abcdef"),
            log_level="WARNING",
            log_format="console",
            data_dir=workdir / "api",
            **storage,
        )
        services = await Services.start(api_settings)
        app = create_app(services)
        try:
            async with (
                serving(app, api_settings, host="127.0.0.1", port=0) as server,
                running_bot(sb, bot_settings(sb, workdir / "bot", **storage)) as bot,
            ):

                async def present() -> bool:
                    async with services.db.session() as session:
                        return set(await session.scalars(select(BotGuild.id))) >= {guild, other}

                await _wait_for(present, 15, "the bot recording its guilds")
                # a second manager of guild A: Admin on Discord, not the owner
                member, admin_role = sb.role_id(guild, "Member"), sb.role_id(guild, "Admin")
                await sb.member_update(guild, admin, roles=[member, admin_role])

                async def promoted() -> bool:
                    return bot.permission_watch.known(guild, admin) is True

                await _wait_for(promoted, 10, "the bot seeing the promotion")
                yield Stack(
                    sandbox=sb,
                    services=services,
                    bot=bot,
                    base_url=f"http://127.0.0.1:{server.port}",
                    guild=guild,
                    other_guild=other,
                    owner=sb.owner_id(guild),
                    admin=admin,
                    channel=sb.text_channel_ids(guild)[0],
                )
        finally:
            await app.state.web.close()
            await services.close()
