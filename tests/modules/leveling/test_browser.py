"""Leveling's dashboard in a real browser: an admin adds a role reward with the form (level + role by name), makes
the leaderboard public, sees the leaderboard page with names and levels; anyone sees the public board, and only
that guild's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_stack import Stack
from tests.web.browser.conftest import (
    browser,
    browser_storage,
    chromium,
    restore_discord_endpoints_module,
    screenshots,
    stack,
)
from tests.web.browser.test_dashboard import log_in, open_live, shot
from wolaro.modules.leveling import store

__all__ = ["browser", "browser_storage", "chromium", "restore_discord_endpoints_module", "screenshots", "stack"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(120),
]

NOTES = Path("/work/notes/screens/11")


async def test_role_rewards_editor_leaderboard_and_public_page(stack: Stack, browser: Any, screenshots: Path) -> None:
    guild, sb = stack.guild, stack.sandbox
    await stack.services.config.set_module_enabled(guild, "leveling", True, actor_id=None)
    members = sb.member_ids(guild)
    await store.add_batch(
        stack.services.db,
        [
            store.Award(guild, user, xp, sb.display_name(guild, user))
            for user, xp in zip(members[1:5], (1200, 640, 300, 90), strict=True)
        ],
    )
    context, page = await log_in(browser, stack, stack.owner)
    try:
        await open_live(page, stack.url(f"/guilds/{guild}/modules/leveling"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        await page.click("button[aria-label='Add: Role rewards']")
        await page.locator(".field[data-path='role_rewards.0.level'] input").fill("5")
        await page.locator(".field[data-path='role_rewards.0.role_id'] select").select_option(label="@Moderator")
        await page.locator(".field[data-path='public_leaderboard'] input").check()
        await page.click("#module-save")
        await page.wait_for_selector("#module-status:text('All changes saved')")
        saved = (await stack.services.config.get(guild)).module_configs["leveling"]
        assert saved["role_rewards"] == [{"level": 5, "role_id": sb.role_id(guild, "Moderator")}]
        assert saved["public_leaderboard"] is True
        await shot(page, screenshots, "leveling-settings")
        await page.screenshot(path=str(NOTES / "leveling-settings.png"), full_page=True)

        await page.goto(stack.url(f"/guilds/{guild}/modules/leveling/leaderboard"))
        rows = page.locator(".leveling-row")
        assert await rows.count() == 4
        first = await rows.first.inner_text()
        assert sb.display_name(guild, members[1]) in first and "Level 5" in first
        await page.screenshot(path=str(NOTES / "leveling-leaderboard.png"), full_page=True)
        assert not page.errors  # type: ignore[attr-defined]
    finally:
        await context.close()

    anonymous = await browser.new_context()
    try:
        page = await anonymous.new_page()
        shown = await page.goto(stack.url(f"/public/guilds/{guild}/leveling/leaderboard"))
        assert shown is not None and shown.status == 200
        assert await page.locator(".leveling-row").count() == 4
        await page.screenshot(path=str(NOTES / "leveling-public-leaderboard.png"), full_page=True)
        hidden = await page.goto(stack.url(f"/public/guilds/{stack.other_guild}/leveling/leaderboard"))
        assert hidden is not None and hidden.status == 404
    finally:
        await anonymous.close()
