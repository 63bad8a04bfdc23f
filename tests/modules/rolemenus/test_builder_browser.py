"""The role menu builder in Chromium against the real stack: real role names and colours, a live preview, a role
above the bot refused with its reason, then Save and post reaching Discord (via the job worker) and working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.browser_stack import Stack
from tests.web.browser.test_dashboard import log_in, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(120),
]
SCREENS = Path("/work/notes/screens/14")


@pytest.fixture(scope="module")
def screens() -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS


async def test_builder_posts_a_menu_with_real_roles(stack: Stack, browser: Any, screens: Path) -> None:
    jobs = stack.bot.services.jobs
    jobs.bot = stack.bot
    jobs.poll_interval = 0.2
    await jobs.start()
    sb = stack.sandbox
    await stack.services.config.set_module_enabled(stack.guild, "rolemenus", True, actor_id=stack.owner)
    context, page = await log_in(browser, stack, stack.owner)
    try:
        await page.goto(stack.url(f"/guilds/{stack.guild}/modules/rolemenus"))
        await page.wait_for_selector("#rm-channel option", state="attached")
        await page.wait_for_selector(".rm-option select option", state="attached")
        assert not page.errors, page.errors
        options = await page.locator(".rm-option select option").all_inner_texts()
        assert "Member" in options and "Moderator" in options and "Wolaro (managed by an app)" in options
        await page.fill("#rm-title", "Pick your team")
        await page.fill("#rm-description", "Roles for the weekly games.")
        first = page.locator(".rm-option").nth(0)
        await first.locator("select").select_option(label="Member")
        await first.locator(".rm-emoji").fill("🎮")
        await first.locator("input:not(.rm-emoji)").fill("Gamers")
        await page.click("#rm-add")
        second = page.locator(".rm-option").nth(1)
        await second.locator("select").select_option(label="Admin")
        await second.locator(".rm-emoji").fill("🛡️")
        await page.click("#rm-save")
        await page.wait_for_selector("#rm-status:has-text('above my highest role')")
        assert "@Admin" in await page.inner_text("#rm-status")
        await shot(page, screens, "rolemenu-builder-refused")

        await second.locator("select").select_option(label="Moderator")
        await second.locator("input:not(.rm-emoji)").fill("Helpers")
        preview = await page.inner_text("#rm-preview")
        assert "@Member" in preview and "🎮 Gamers" in preview and "Helpers" in preview
        colour = await page.locator(".rm-mention").first.evaluate("e => getComputedStyle(e).color")
        assert colour == "rgb(149, 165, 166)"  # Member's colour, #95A5A6
        await page.click("#rm-save")
        await page.wait_for_selector("#rm-status:has-text('saved')")
        await shot(page, screens, "rolemenu-builder")
        posted = await sb.wait_for_message(stack.channel, predicate=lambda m: bool(m.get("components")), timeout=10)

        # the same menu, edited in the builder: its message is updated in place, not posted again
        await page.fill("#rm-title", "Pick your weekly team")
        await page.select_option("#rm-mode", "unique")
        await page.click("#rm-save")
        await page.wait_for_selector("#rm-status:has-text('Menu #1 saved')")
        for _ in range(100):
            edited = sb.find_message(stack.channel, int(posted["id"]))
            if edited["embeds"][0]["title"] == "Pick your weekly team":
                break
            await page.wait_for_timeout(100)
        assert edited["embeds"][0]["title"] == "Pick your weekly team"
        assert "one of these roles at a time" in edited["embeds"][0]["description"]
        assert [m for m in sb.bot_messages(stack.channel) if m.get("components")] == [edited]
    finally:
        await context.close()

    button = posted["components"][0]["components"][1]  # Helpers (Moderator), which plain members lack
    user = sb.member_ids(stack.guild)[4]
    record = await sb.invoke_component(stack.channel, int(posted["id"]), user, button["custom_id"])
    answer = await sb.wait_for_interaction_response(record)
    moderator = sb.role_id(stack.guild, "Moderator")
    member = sb.role_id(stack.guild, "Member")
    # unique now: getting Helpers takes Gamers (Member) away
    assert answer["content"] == f"You now have <@&{moderator}>.\nYou no longer have <@&{member}>."
    roles = sb.state.guild(stack.guild).members[user].roles
    assert moderator in roles and member not in roles
