"""Fixtures for end-to-end tests: the sandbox and the real Wolaro bot connected through discord.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.harness import bot_settings, running_bot
from wolaro.core.bot import WolaroBot
from wolaro.sandbox import Sandbox


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """Three guilds of six members: member 0 owns the guild (Admin), member 1 is a Moderator, the rest plain."""
    async with Sandbox(guilds=3, members_per_guild=6) as sb:
        yield sb


@pytest.fixture
def master_admin(sandbox: Sandbox) -> int:
    """A plain member of guild 0 who is one of the bot's master admins."""
    return sandbox.member_ids(sandbox.guild_ids()[0])[5]


@pytest_asyncio.fixture
async def bot(sandbox: Sandbox, tmp_path: Path, master_admin: int) -> AsyncIterator[WolaroBot]:
    """The real bot on embedded defaults (SQLite, in-process cache), ready with every guild."""
    settings = bot_settings(sandbox, tmp_path, master_admin_ids=[master_admin])
    async with running_bot(sandbox, settings) as running:
        yield running
