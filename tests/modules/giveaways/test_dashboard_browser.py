"""The engagement modules' dashboard pages in a real browser: running giveaways, open polls and the suggestions
queue, as a server owner sees them (screenshots kept under /work/notes/screens/15)."""

from __future__ import annotations

from datetime import timedelta
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
from tests.web.browser.test_dashboard import log_in
from wolaro.data.models import utcnow
from wolaro.modules.giveaways import store as giveaways
from wolaro.modules.giveaways.service import Requirements
from wolaro.modules.polls import service as poll_kinds
from wolaro.modules.polls import store as polls
from wolaro.modules.suggestions import store as suggestions

__all__ = ["browser", "browser_storage", "chromium", "restore_discord_endpoints_module", "screenshots", "stack"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(120),
]

NOTES = Path("/work/notes/screens/15")


async def seed(stack: Stack) -> None:
    guild, db, jobs = stack.guild, stack.services.db, stack.services.jobs
    for name in ("giveaways", "polls", "suggestions"):
        await stack.services.config.set_module_enabled(guild, name, True, actor_id=None)
    role = stack.sandbox.role_id(guild, "Member")
    await giveaways.create(
        db,
        jobs,
        guild_id=guild,
        channel_id=stack.channel,
        host_id=stack.owner,
        prize="Nitro for a month",
        winners=2,
        ends_at=utcnow() + timedelta(days=2),
        requirements=Requirements(role_id=role, min_member_days=7),
    )
    await polls.create(
        db,
        jobs,
        guild_id=guild,
        channel_id=stack.channel,
        author_id=stack.owner,
        kind=poll_kinds.BUTTONS,
        question="Next community event?",
        options=["Quiz night", "Movie night", "Game jam"],
        ends_at=utcnow() + timedelta(hours=5),
        anonymous=True,
    )
    number = await suggestions.submit(db, guild, stack.channel, stack.admin, "A channel to share music")
    await suggestions.vote(db, guild, number, stack.owner, True)


async def test_engagement_pages(stack: Stack, browser: Any, screenshots: Path) -> None:
    await seed(stack)
    context, page = await log_in(browser, stack, stack.owner)
    try:
        for path, row, name in (
            ("giveaways/running", ".giveaway-row", "giveaways-running"),
            ("polls/open", ".poll-row", "polls-open"),
            ("suggestions/queue", ".suggestion-row", "suggestions-queue"),
        ):
            await page.goto(stack.url(f"/guilds/{stack.guild}/modules/{path}"))
            assert await page.locator(row).count() == 1, path
            await page.screenshot(path=str(NOTES / f"{name}.png"), full_page=True)
        await page.goto(stack.url(f"/guilds/{stack.guild}/modules/giveaways"))
        await page.click("a[href$='/modules/giveaways/running']")
        await page.wait_for_selector(".giveaway-row")
        assert not page.errors  # type: ignore[attr-defined]
    finally:
        await context.close()
