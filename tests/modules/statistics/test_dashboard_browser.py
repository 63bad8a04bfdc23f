"""The statistics page in Chromium on the real stack: charts drawn by the vendored uPlot, totals, leaderboards,
the channel filter; screenshots for a person to look at (test-output/screenshots/statistics-*.png)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import text

from tests.support.browser_stack import Stack
from tests.web.browser.conftest import (  # noqa: F401 - the browser stack's fixtures
    DESKTOP,
    PHONE,
    browser,
    browser_storage,
    chromium,
    restore_discord_endpoints_module,
    screenshots,
    stack,
)
from tests.web.browser.test_dashboard import log_in
from wolaro.modules.statistics.times import today

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(120),
]


async def history(stack: Stack) -> None:  # noqa: F811 - the fixture's name
    """Four weeks of activity in guild A (as earlier flushes would have left it), members and channels alike."""
    members = stack.sandbox.member_ids(stack.guild)
    channels = stack.sandbox.text_channel_ids(stack.guild)
    last = today("UTC")
    async with stack.services.db.transaction() as session:
        for back in range(1, 29):
            day = last - back
            total = 0
            for i, user in enumerate(members[1:]):
                messages = (back * 7 + i * 13) % 23 + (10 if back % 7 in (0, 6) else 0)
                total += messages
                await session.execute(
                    text("INSERT INTO statistics_user_daily VALUES (:g, :d, :u, :m, :v)"),
                    {"g": stack.guild, "d": day, "u": user, "m": messages, "v": (i * back * 97) % 5400},
                )
            for j, channel in enumerate(channels):
                await session.execute(
                    text("INSERT INTO statistics_channel_daily VALUES (:g, :d, :c, :m, 0)"),
                    {"g": stack.guild, "d": day, "c": channel, "m": total // (j + 2)},
                )
            await session.execute(
                text("INSERT INTO statistics_guild_daily VALUES (:g, :d, :m, :v, :j, :l, :n)"),
                {
                    "g": stack.guild,
                    "d": day,
                    "m": total,
                    "v": back * 1800,
                    "j": back % 4,
                    "l": back % 3,
                    "n": 40 + back,
                },
            )


async def test_the_statistics_page_draws_its_charts_and_filters_by_channel(browser, stack, screenshots):  # noqa: F811
    await stack.services.config.set_module_enabled(stack.guild, "statistics", True, actor_id=None)
    await history(stack)
    member, channel = stack.sandbox.member_ids(stack.guild)[3], stack.channel
    for _ in range(3):
        await stack.sandbox.send_message(channel, member, "hello")
    cog = stack.bot.loader.modules["statistics"]
    deadline = time.monotonic() + 10
    while cog.recorder.buffer.batch.events < 3 and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a count
        await asyncio.sleep(0.05)
    assert await cog.recorder.flush()

    context, page = await log_in(browser, stack, stack.owner)
    await page.goto(stack.url(f"/guilds/{stack.guild}/modules/statistics/charts"))
    await page.wait_for_selector("#chart-messages canvas")
    await page.wait_for_selector("#board-messages tbody tr td")
    totals = await page.text_content("#stats-totals")
    assert totals is not None and totals.startswith("Messages: ")
    assert await page.locator(".stats-chart canvas").count() == 3
    rows = await page.locator("#board-messages tbody tr").count()
    assert rows == 5  # the five members who spoke
    # the top bar keeps its compact language chooser (no page style stretches every select)
    chooser = await page.locator("#language-chooser").bounding_box()
    assert chooser is not None and chooser["width"] < 200
    await expect(page.locator(".topbar [data-action='logout']")).to_have_text("Log out")
    logout = await page.locator(".topbar [data-action='logout']").bounding_box()
    assert logout is not None and logout["height"] < chooser["height"]  # on one line
    await page.screenshot(path=str(Path(screenshots) / "statistics-page.png"), full_page=True)

    await page.select_option("#stats-channel", str(channel))
    await page.click("#stats-filters button[type=submit]")
    await expect(page.locator("#board-messages tbody tr")).to_have_count(1)
    name = stack.sandbox.display_name(stack.guild, member)
    assert await page.text_content("#board-messages tbody tr td:nth-child(2)") == name
    assert page.errors == []
    await context.close()

    context, page = await log_in(browser, stack, stack.owner, PHONE)
    await page.goto(stack.url(f"/guilds/{stack.guild}/modules/statistics/charts"))
    await page.wait_for_selector("#chart-messages canvas")
    await page.screenshot(path=str(Path(screenshots) / "statistics-phone.png"), full_page=True)
    await context.close()
