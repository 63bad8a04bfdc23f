"""The statistics page in Chromium with members online counted: a chart of the most members online at once and
the average per day appears (only for a server that counts them); screenshot for a person to look at
(test-output/screenshots/statistics-online.png)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.web.browser.conftest import (  # noqa: F401 - the browser stack's fixtures
    DESKTOP,
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


async def test_the_page_charts_members_online_when_the_server_counts_them(browser, stack, screenshots):  # noqa: F811
    await stack.services.config.set_module_enabled(stack.guild, "statistics", True, actor_id=None)
    charts = f"/guilds/{stack.guild}/modules/statistics/charts"
    context, page = await log_in(browser, stack, stack.owner)
    await page.goto(stack.url(charts))
    await page.wait_for_selector("#chart-messages canvas")
    assert await page.locator("#chart-online").count() == 0  # not counted: no such chart

    last = today("UTC")
    async with stack.services.db.transaction() as session:  # three weeks of looks, as the sampler leaves them
        for back in range(21):
            samples = 1440
            average = 20 + (back * 7) % 11
            await session.execute(
                text("INSERT INTO statistics_online_daily VALUES (:g, :d, :p, :s, :t)"),
                {"g": stack.guild, "d": last - back, "p": average + 6 + back % 5, "s": samples, "t": average * samples},
            )
    await stack.services.config.update_module_config(stack.guild, "statistics", {"count_online": True}, actor_id=None)
    await page.goto(stack.url(charts))
    await page.wait_for_selector("#chart-online canvas")
    assert await page.locator(".stats-chart canvas").count() == 4
    legend = await page.locator("#chart-online .u-legend").text_content()
    assert legend is not None and "Most at once" in legend and "Average" in legend
    await page.screenshot(path=str(Path(screenshots) / "statistics-online.png"), full_page=True)
    assert page.errors == []
    await context.close()
