"""The bot for custom commands' tests: admins configure many commands in a row, so command limits are wide."""

from __future__ import annotations

import pytest_asyncio

from tests.support.harness import bot_settings, running_bot


@pytest_asyncio.fixture
async def bot(sandbox, tmp_path, master_admin):
    settings = bot_settings(
        sandbox,
        tmp_path,
        master_admin_ids=[master_admin],
        command_cooldown_rate="100/second",
        user_global_rate="500/minute",
    )
    async with running_bot(sandbox, settings) as running:
        yield running


# The dashboard's browser fixtures (Chromium, the whole stack on PostgreSQL and Redis) for the "try it" test.
from tests.web.browser.conftest import (  # noqa: E402, F401
    browser,
    browser_storage,
    chromium,
    restore_discord_endpoints_module,
    stack,
)
