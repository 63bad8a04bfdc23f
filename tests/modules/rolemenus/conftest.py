"""Role menus' tests: guild 0 gets roles Red, Blue and Green below the bot, and wide command limits."""

from __future__ import annotations

import pytest_asyncio

from tests.support.harness import bot_settings

WIDE = {"command_cooldown_rate": "100/second", "user_global_rate": "500/minute"}


async def add_role(sandbox, guild_id: int, name: str, color: int, position: int = 1) -> int:
    """A role made by a server admin, below the bot's (GUILD_ROLE_CREATE)."""
    return await sandbox.create_role(guild_id, name, color=color, position=position)


async def move_role(sandbox, guild_id: int, role_id: int, position: int) -> None:
    """An admin drags a role to `position` (GUILD_ROLE_UPDATE)."""
    await sandbox.move_role(guild_id, role_id, position)


@pytest_asyncio.fixture
async def settings(sandbox, tmp_path, master_admin):
    return bot_settings(sandbox, tmp_path, master_admin_ids=[master_admin], **WIDE)


@pytest_asyncio.fixture
async def colours(sandbox):
    guild = sandbox.guild_ids()[0]
    return {
        "red": await add_role(sandbox, guild, "Red", 0xE74C3C),
        "blue": await add_role(sandbox, guild, "Blue", 0x3498DB),
        "green": await add_role(sandbox, guild, "Green", 0x2ECC71),
    }


@pytest_asyncio.fixture
async def bot(sandbox, settings, colours):
    from tests.support.harness import running_bot

    async with running_bot(sandbox, settings) as running:
        yield running


# The dashboard's browser fixtures (Chromium, the whole stack on PostgreSQL and Redis) for this module's browser test.
from tests.web.browser.conftest import (  # noqa: E402, F401
    browser,
    browser_storage,
    chromium,
    restore_discord_endpoints_module,
    stack,
)
