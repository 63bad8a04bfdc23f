"""The statistics page in Chromium speaks the visitor's language: in French every heading, filter, legend, total,
leaderboard cell, empty state and refusal is French, days and numbers are written the French way, and no English
word of the page is left; the same page in English for comparison. Screenshots for a person to look at
(test-output/screenshots/statistics-fr-*.png, statistics-en-desktop.png)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import text

from tests.modules.statistics.test_dashboard_browser import history
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
from wolaro.modules.statistics.times import today

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(180),
]

#: The page's own English words (headings, filters, legends, totals, empty state, footnote): none may show in French.
ENGLISH = (
    "Messages and active members",
    "Voice time",
    "Member growth",
    "Members online",
    "Top members",
    "Top channels",
    "All channels",
    "First day",
    "Last day",
    "Show",
    "Nothing counted",
    "Loading",
    "Active members",
    "Joins",
    "Leaves",
    "Voice hours",
    "Most at once",
    "Average",
    "Charts drawn",
    "channel filter",
    "MIT license",
    "Time",
    "Day",
    "Member",
    "Channel",
    "could not be loaded",
)


async def visit(
    browser: Any,  # noqa: F811
    stack: Stack,  # noqa: F811
    language: str,
    viewport: dict[str, int],
    locale: str | None = None,
) -> tuple[Any, Any]:
    """Log in as the owner with a browser set to `language` (its locale, as a French visitor's is, unless `locale`
    says otherwise), the dashboard's language chosen the way the chooser does (its cookie), and open the statistics
    page."""
    locale = locale or {"fr": "fr-FR", "en": "en-US"}[language]
    context = await browser.new_context(viewport=viewport, locale=locale, timezone_id="UTC")
    context.set_default_timeout(30_000)  # a full-page screenshot took over 10 s on a loaded CI machine
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    await page.goto(stack.url("/login"))
    await page.click(f"a[href*='user_id={stack.owner}']")
    await page.wait_for_url(stack.url("/"))
    await context.add_cookies([{"name": "wolaro_lang", "value": language, "url": stack.base_url}])
    await page.goto(stack.url(f"/guilds/{stack.guild}/modules/statistics/charts"))
    await page.wait_for_selector("#chart-online canvas")
    await page.wait_for_selector("#board-voice tbody tr td:nth-child(3)")
    return context, page


def spaced(shown: str | None) -> str:
    """`shown` with French typography's non-breaking spaces (before a colon, a unit, in 1 943) as plain ones."""
    return (shown or "").replace("\u00a0", " ").replace("\u202f", " ")


async def visible_text(page: Any) -> str:
    """What a person reads on the page (hidden elements left out)."""
    return spaced(await page.evaluate("document.body.innerText"))


def leftovers(shown: str) -> list[str]:
    return [word for word in ENGLISH if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", shown)]


async def online_history(stack: Stack) -> None:  # noqa: F811 - the fixture's name
    """Three weeks of members online, as the sampler leaves them."""
    last = today("UTC")
    async with stack.services.db.transaction() as session:
        for back in range(1, 22):
            average = 20 + (back * 7) % 11
            await session.execute(
                text("INSERT INTO statistics_online_daily VALUES (:g, :d, :p, :s, :t)"),
                {"g": stack.guild, "d": last - back, "p": average + 6 + back % 5, "s": 1440, "t": average * 1440},
            )


async def test_the_statistics_page_in_french_has_no_english_left(browser, stack, screenshots):  # noqa: F811
    await stack.services.config.set_module_enabled(stack.guild, "statistics", True, actor_id=None)
    await stack.services.config.update_module_config(stack.guild, "statistics", {"count_online": True}, actor_id=None)
    await history(stack)
    await online_history(stack)
    shots = Path(screenshots)

    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context, page = await visit(browser, stack, "fr", viewport)
        await expect(page.locator("html")).to_have_attribute("lang", "fr")
        await expect(page.locator("#stats-root h2").first).to_have_text("Messages et membres actifs par jour")
        await expect(page.locator("#stats-filters button[type=submit]")).to_have_text("Afficher")
        await expect(page.locator("#stats-channel option").first).to_have_text("Tous les salons")
        totals = spaced(await page.text_content("#stats-totals"))
        assert totals.startswith("Messages : ") and "Membres actifs : " in totals
        assert "Arrivées : " in totals and "Départs : " in totals
        legends = await page.locator(".u-legend").all_text_contents()
        joined = " ".join(legends)
        for word in ("Jour", "Membres actifs", "Heures en vocal", "Arrivées", "Départs", "Maximum en même temps"):
            assert word in joined, (word, legends)
        # a voice time is written the French way (« 1 h 05 min », « 12 min 40 s »)
        voice = spaced(await page.text_content("#board-voice tbody tr td:nth-child(3)"))
        assert re.fullmatch(r"[\d ]+ (h \d\d min|min \d\d s|s)", voice), voice
        # a day shown in a legend is a French day (« sam. 5 décembre 2026 »), after hovering a chart
        over = page.locator("#chart-messages .u-over")
        box = await over.bounding_box()
        assert box is not None
        await over.hover(position={"x": box["width"] * 0.4, "y": box["height"] * 0.5})
        await over.hover(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
        months = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
        day = page.locator("#chart-messages .u-legend .u-series").first
        await expect(day).to_contain_text(re.compile(rf"\d+ ({months}) \d{{4}}"))
        shown = await visible_text(page)
        assert leftovers(shown) == [], leftovers(shown)
        await page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar back at the top of the picture
        await page.screenshot(path=str(shots / f"statistics-fr-{name}.png"), full_page=True)
        assert page.errors == []
        await context.close()

    context, page = await visit(browser, stack, "fr", DESKTOP)
    # a channel where nobody spoke: the empty state, in French
    quiet = stack.sandbox.text_channel_ids(stack.guild)[-1]
    await page.select_option("#stats-channel", str(quiet))
    await page.click("#stats-filters button[type=submit]")
    await expect(page.locator("#board-messages tbody tr td").first).to_have_text("Rien n'a encore été compté")
    # a reversed range: the refusal, in French
    await page.fill("#stats-start", "2026-12-05")
    await page.fill("#stats-end", "2026-12-01")
    await page.click("#stats-filters button[type=submit]")
    await expect(page.locator("#stats-status")).to_have_text("Le premier jour doit précéder le dernier jour.")
    shown = await visible_text(page)
    assert leftovers(shown) == [], leftovers(shown)
    await page.screenshot(path=str(shots / "statistics-fr-refused.png"), full_page=True)
    await context.close()

    # the same page in English says it all in English
    context, page = await visit(browser, stack, "en", DESKTOP)
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    totals = await page.text_content("#stats-totals")
    assert totals is not None and totals.startswith("Messages: ") and "Active members: " in totals
    legend = await page.locator("#chart-growth .u-legend").text_content()
    assert legend is not None and "Day" in legend and "Joins" in legend and "Leaves" in legend
    await expect(page.locator("#stats-root h2").first).to_have_text("Messages and active members per day")
    await page.screenshot(path=str(shots / "statistics-en-desktop.png"), full_page=True)
    assert page.errors == []
    await context.close()


async def test_the_days_chosen_are_written_in_french_over_an_english_browsers_date_boxes(browser, stack):  # noqa: F811
    """An English browser writes its date boxes its own way (12/05/2026: the 5th of December or the 12th of May?);
    a French page writes the day chosen over each one."""
    context, page = await visit(browser, stack, "fr", DESKTOP, locale="en-US")
    assert await page.evaluate("navigator.language") == "en-US"
    await page.fill("#stats-start", "2026-12-05")
    await page.fill("#stats-end", "2026-12-12")
    await expect(page.locator("#stats-start-day")).to_have_text("sam. 5 déc. 2026")
    await expect(page.locator("#stats-end-day")).to_have_text("sam. 12 déc. 2026")
    assert page.errors == []
    await context.close()
