"""The economy's dashboard in Chromium: an owner stocks the shop with the editor (no typing of ids: roles are picked
by name), sees a refusal next to the table, and opens the leaderboard page with pictures, names and balances.

Screenshots: test-output/screenshots/economy-*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.web.browser.conftest import (  # noqa: F401 (fixtures)
    browser,
    browser_storage,
    chromium,
    restore_discord_endpoints_module,
    screenshots,
    stack,
)
from wolaro.modules.economy import bank, shop

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(120),
]


async def log_in(browser: Any, stack: Any, user_id: int) -> tuple[Any, Any]:  # noqa: F811
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)  # a full-page screenshot took over 10 s on a loaded CI machine
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    await page.goto(stack.url("/login"))
    await page.click(f"a[href*='user_id={user_id}']")
    await page.wait_for_url(stack.url("/"))
    return context, page


async def test_shop_editor_and_leaderboard_page(stack, browser, screenshots: Path):  # noqa: F811
    guild, sb = stack.guild, stack.sandbox
    await stack.bot.config.set_module_enabled(guild, "economy", True, actor_id=None)
    context, page = await log_in(browser, stack, stack.owner)
    try:
        await page.goto(stack.url(f"/guilds/{guild}/modules/economy"))
        new = page.locator("#economy-shop-items [data-item='new']")
        await new.wait_for()
        await new.locator("[name=name]").fill("VIP pass")
        await new.locator("[name=price]").fill("5000")
        await new.locator("[name=role_id]").select_option(label="Moderator")
        await new.locator("[name=description]").fill("A shiny role for big spenders")
        await new.locator("button[type=submit]").click()
        await page.locator("#economy-shop-items [data-item]:not([data-item='new'])").first.wait_for()
        new = page.locator("#economy-shop-items [data-item='new']")
        await new.locator("[name=name]").fill("Cookie")
        await new.locator("[name=price]").fill("120")
        await new.locator("[name=use_message]").fill("Crunch!")
        await new.locator("button[type=submit]").click()
        await expect(page.locator("#economy-shop-items [data-item]")).to_have_count(3)
        stocked = await shop.items(stack.services.db, guild)
        assert [(i.name, i.price, i.role_id) for i in stocked] == [
            ("Cookie", 120, None),
            ("VIP pass", 5000, sb.role_id(guild, "Moderator")),
        ]
        new = page.locator("#economy-shop-items [data-item='new']")
        await new.locator("[name=name]").fill("cookie")
        await new.locator("[name=price]").fill("3")
        await new.locator("button[type=submit]").click()
        error = page.locator("#economy-shop-error")
        await error.wait_for()
        assert await error.inner_text() == "Not saved: The shop already has an item called Cookie."
        await page.screenshot(path=str(screenshots / "economy-shop-editor.png"), full_page=True)

        for rank, user in enumerate(sb.member_ids(guild)):
            await bank.give(stack.services.db, guild, stack.owner, user, 750 * (rank + 1), max_total=10**9)
        await page.goto(stack.url(f"/guilds/{guild}/modules/economy/leaderboard"))
        rows = page.locator("#economy-board-rows tr")
        await expect(page.locator("#economy-board-rows td.member")).to_have_count(6)
        first = await rows.first.inner_text()
        richest = sb.member_ids(guild)[-1]
        assert sb.display_name(guild, richest) in first and "4,500" in first
        assert await page.locator("#economy-board-page").inner_text() == "Page 1 of 1"
        await page.screenshot(path=str(screenshots / "economy-leaderboard.png"), full_page=True)
        assert page.errors == []
    finally:
        await context.close()
