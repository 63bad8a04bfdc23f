"""The dashboard in a real browser against the real stack: login through the sandbox's Discord OAuth, settings
saved in the UI reaching the bot and every other open dashboard without a reload, revocation, 422s next to their
field, the audit and command logs, and the phone layout.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support.browser_stack import Stack
from tests.web.browser.conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(120),
]


async def log_in(browser: Any, stack: Stack, user_id: int, viewport: dict[str, int] = DESKTOP) -> tuple[Any, Any]:
    """A new browser context logged in as `user_id` the way a person does it: the dashboard sends the browser to
    (the sandbox's) Discord, the user picks who they are on the consent page, Discord sends them back."""
    context = await browser.new_context(viewport=viewport)
    context.set_default_timeout(30_000)  # a full-page screenshot took over 10 s on a loaded CI machine
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(stack.url("/login"))  # "/" is the front door for people not logged in
    assert page.url.startswith(stack.sandbox.url + "/oauth2/authorize"), page.url
    await page.click(f"a[href*='user_id={user_id}']")
    await page.wait_for_url(stack.url("/"))
    return context, page


async def open_live(page: Any, url: str) -> None:
    """Go to a guild page and wait until its socket has joined the guild's room."""
    await page.goto(url)
    await page.wait_for_selector("body[data-live='on']")


async def mark_no_reload(page: Any) -> None:
    await page.evaluate("window.__sameDocument = true")


async def assert_not_reloaded(page: Any) -> None:
    assert await page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def bot_prefix(stack: Stack) -> str | None:
    """The prefix the bot process has cached for the guild (None: dropped, it reloads on the next message)."""
    config = stack.bot.services.config.peek(stack.guild)
    return config.prefix if config is not None else None


async def eventually(predicate: Any, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def shot(page: Any, directory: Path, name: str) -> None:
    await page.evaluate("window.scrollTo(0, 0)")  # sticky bars land where a person sees them
    await page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


async def test_settings_saved_in_one_dashboard_reach_the_bot_and_the_other_dashboard_live(
    stack: Stack, browser: Any, screenshots: Path
) -> None:
    sb = stack.sandbox
    guild = stack.guild
    owner_context, owner = await log_in(browser, stack, stack.owner)
    admin_context, admin = await log_in(browser, stack, stack.admin)
    try:
        # the admin (not the owner) picks the guild on the picker and keeps its overview and a module page open
        await admin.wait_for_selector(f"a[data-guild-id='{guild}']")
        assert await admin.locator(f"a[data-guild-id='{stack.other_guild}']").count() == 0
        await shot(admin, screenshots, "picker")
        await admin.click(f"a[data-guild-id='{guild}']")
        await admin.wait_for_selector("body[data-live='on']")
        admin_module = await admin_context.new_page()
        await open_live(admin_module, stack.url(f"/guilds/{guild}/modules/utility"))
        await admin_module.wait_for_selector("#module-form[data-ready='true']")
        for page in (admin, admin_module):
            await mark_no_reload(page)
        shard_switch = admin_module.locator(".field[data-path='ping_show_shard'] input[role='switch']")
        assert not await shard_switch.is_checked()

        # the owner changes the prefix in the UI
        await open_live(owner, stack.url(f"/guilds/{guild}"))
        await owner.fill("#f-prefix", "?")
        await owner.click("#settings-save")
        await owner.wait_for_selector("#settings-status:text('All changes saved')")
        assert (await stack.services.config.get(guild)).prefix == "?"
        await shot(owner, screenshots, "overview-owner-saved")

        # ... the bot process drops its cached copy (pub/sub over Redis) and answers to the new prefix only
        await eventually(lambda: bot_prefix(stack) != "!")
        answered = len(sb.bot_messages(stack.channel))
        await sb.send_message(stack.channel, stack.owner, "!ping")
        await sb.send_message(stack.channel, stack.owner, "?ping")
        reply = await sb.wait_for_message(stack.channel, timeout=5)
        assert reply["content"].startswith("Pong!"), reply
        await asyncio.sleep(0.2)
        assert len(sb.bot_messages(stack.channel)) == answered + 1, "the old prefix still worked"

        # ... which the admin's dashboard shows without a reload: overview field, sidebar, the other tab too
        await expect(admin.locator("#f-prefix")).to_have_value("?")
        await expect(admin.locator("[data-bind='prefix']")).to_have_text("?")
        await expect(admin_module.locator("[data-bind='prefix']")).to_have_text("?")

        # the owner changes a module setting in the generated form
        await open_live(owner, stack.url(f"/guilds/{guild}/modules/utility"))
        await owner.wait_for_selector("#module-form[data-ready='true']")
        await owner.locator(".field[data-path='ping_show_shard'] input[role='switch']").check()
        await owner.wait_for_selector("#module-bar[data-dirty='true']")
        await owner.click("#module-save")
        await owner.wait_for_selector("#module-status:text('All changes saved')")
        config = (await stack.services.config.get(guild)).module_configs["utility"]
        assert config["ping_show_shard"] is True

        # ... the admin's open module page follows, and the bot uses it
        await expect(shard_switch).to_be_checked()
        await shot(admin_module, screenshots, "module-utility-live-update")
        await sb.send_message(stack.channel, stack.owner, "?ping")
        reply = await sb.wait_for_message(stack.channel, timeout=5)
        await sb.wait_for_request("PATCH", rf"/channels/{stack.channel}/messages/{reply['id']}", timeout=5)
        assert "(shard 0)" in sb.find_message(stack.channel, int(reply["id"]))["content"]

        # a module switched on by the owner shows up on the admin's overview
        await open_live(owner, stack.url(f"/guilds/{guild}"))
        await owner.locator("#toggle-automod").check()
        await expect(admin.locator("#toggle-automod")).to_be_checked()
        await admin.wait_for_selector("[data-module-dot='automod'][data-on='true']")
        await shot(admin, screenshots, "overview-admin-live-update")
        for page in (admin, admin_module):
            await assert_not_reloaded(page)

        # Discord: the admin loses the Admin role -> both of their pages say why and go back to the picker
        await sb.member_update(guild, stack.admin, roles=[sb.role_id(guild, "Member")])
        await admin.wait_for_selector("#revoked:not([hidden])")
        assert "removed" in (await admin.inner_text("#revoked")).lower()
        assert await admin.inner_text("#revoked-reason")
        await shot(admin, screenshots, "revoked-dialog")
        for page in (admin, admin_module):
            await page.wait_for_url(stack.url("/"), timeout=10_000)
        await admin.wait_for_selector("#flash:not([hidden])")
        assert "Cozy Cafe" in await admin.inner_text("#flash")
        assert await admin.locator(f"a[data-guild-id='{guild}']").count() == 0
        await shot(admin, screenshots, "picker-after-revocation")
        assert not owner.errors and not admin.errors, (owner.errors, admin.errors)  # type: ignore[attr-defined]
    finally:
        await owner_context.close()
        await admin_context.close()


async def test_an_invalid_value_is_shown_next_to_its_field_and_nothing_is_written(
    stack: Stack, browser: Any, screenshots: Path
) -> None:
    context, page = await log_in(browser, stack, stack.owner)
    try:
        guild = stack.guild
        before = await stack.services.config.get(guild)
        await open_live(page, stack.url(f"/guilds/{guild}"))
        await page.fill("#f-prefix", "two words")
        await page.click("#settings-save")
        error = page.locator("#f-prefix-error")
        await error.wait_for(state="visible")
        assert "space" in (await error.inner_text()).lower()
        assert await page.get_attribute("#f-prefix", "aria-invalid") == "true"
        await shot(page, screenshots, "overview-422")

        # a nested field of a generated form (automod's caps rule): its details open, the error sits under it
        await open_live(page, stack.url(f"/guilds/{guild}/modules/automod"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        await page.click("details[data-path='caps'] > summary")
        ratio = page.locator(".field[data-path='caps.max_ratio'] input")
        await ratio.fill("500")  # a percentage: 500 % is more than a message can hold
        await page.click("#module-save")
        nested = page.locator(".field[data-path='caps.max_ratio'] > .field-error")
        await nested.wait_for(state="visible")
        assert await nested.inner_text() == "Enter 100 % or less.", await nested.inner_text()
        assert await ratio.get_attribute("aria-invalid") == "true"
        await shot(page, screenshots, "module-automod-422")

        after = await stack.services.config.get(guild)
        assert after.prefix == before.prefix

        # a forced resync (guild:reload to every process) from the overview; another guild's page is refused
        await open_live(page, stack.url(f"/guilds/{guild}"))
        await page.click("#resync")
        await page.wait_for_selector(".toast:text('Settings reloaded')")
        response = await page.goto(stack.url(f"/guilds/{stack.other_guild}"))
        assert response is not None and response.status == 403
        assert "You cannot manage this server" in await page.inner_text("main")
        caps = after.module_configs["automod"]["caps"]
        assert caps["max_ratio"] == before.module_configs["automod"]["caps"]["max_ratio"]
        assert not page.errors, page.errors  # type: ignore[attr-defined]
    finally:
        await context.close()


async def test_pickers_show_real_channel_and_role_names(stack: Stack, browser: Any, screenshots: Path) -> None:
    context, page = await log_in(browser, stack, stack.owner)
    try:
        sb = stack.sandbox
        guild = stack.guild
        await open_live(page, stack.url(f"/guilds/{guild}/modules/moderation"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        modlog = page.locator(".field[data-path='modlog_channel_id'] select")
        channel_name = sb.state.channels[stack.channel].name
        await modlog.select_option(label=f"#{channel_name}")
        await page.click("button[aria-label='Add: Automatic actions']")
        await page.locator(".field[data-path='escalation.0.duration'] input").fill("1")  # a length: value and unit
        await page.locator(".field[data-path='escalation.0.duration'] select").select_option("hours")
        await page.click("#module-save")
        await page.wait_for_selector("#module-status:text('All changes saved')")
        config = (await stack.services.config.get(guild)).module_configs["moderation"]
        assert config["modlog_channel_id"] == stack.channel
        assert config["escalation"][0]["duration"] == "1h"
        await shot(page, screenshots, "module-moderation-pickers")

        await open_live(page, stack.url(f"/guilds/{guild}/modules/antiraid"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        assert "null" not in await page.inner_text("#module-fields")  # no stray text for a field without help
        locks = page.locator(".field[data-path='lock_channel_ids']")
        await locks.locator("select").select_option(label=f"#{channel_name}")
        assert f"#{channel_name}" in await locks.locator(".chip").inner_text()
        await page.wait_for_selector("#module-bar[data-dirty='true']")
        await shot(page, screenshots, "module-antiraid-picker")

        # roles by name (highest first, no @everyone), from the guild's real roles
        await open_live(page, stack.url(f"/guilds/{guild}/modules/automod"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        offered = await page.locator(".field[data-path='exempt_roles'] select option").all_inner_texts()
        assert offered[0] == "Add a role…"
        names = {f"@{role.name}" for role in sb.state.guilds[guild].roles.values() if role.id != guild}
        assert set(offered[1:]) == names and "@Admin" in names and "@everyone" not in offered
    finally:
        await context.close()


async def test_audit_log_filters_pages_and_updates_live_and_the_command_log_streams(
    stack: Stack, browser: Any, screenshots: Path
) -> None:
    context, page = await log_in(browser, stack, stack.owner)
    try:
        sb = stack.sandbox
        guild = stack.guild
        await open_live(page, stack.url(f"/guilds/{guild}/audit?limit=2"))
        await page.wait_for_selector("#audit-table[data-loaded]")
        assert await page.locator("#audit-rows tr").count() == 2
        await page.click("#audit-older")
        await page.wait_for_selector("#audit-page:text('Page 2')")
        await page.click("#audit-newer")
        await page.wait_for_selector("#audit-page:text('Newest entries')")

        await page.select_option("#filter-action", "guild.prefix")
        await page.click("#audit-filters button[type='submit']")
        await expect(page.locator("#audit-rows tr:not([data-action='guild.prefix'])")).to_have_count(0)
        assert "action=guild.prefix" in page.url

        # live: a change made elsewhere appears at the top of the first page
        await stack.services.config.set_prefix(guild, "w!", actor_id=stack.owner)
        await page.wait_for_selector("#audit-rows tr.fresh")
        assert "w!" in await page.inner_text("#audit-rows tr:first-child")
        await shot(page, screenshots, "audit-log")

        await open_live(page, stack.url(f"/guilds/{guild}/commands"))
        await sb.send_message(stack.channel, stack.owner, "w!ping")
        await page.wait_for_selector("#commands-rows tr[data-command='ping']")
        assert "Succeeded" in await page.inner_text("#commands-rows tr:first-child")
        await shot(page, screenshots, "command-log")

        # the bot changes the guild from chat: the open page follows
        await sb.send_message(stack.channel, stack.owner, "w!prefix !")
        await expect(page.locator("[data-bind='prefix']").first).to_have_text("!")
        await page.wait_for_selector("#commands-rows tr[data-command='prefix']")
        assert not page.errors, page.errors  # type: ignore[attr-defined]
    finally:
        await context.close()


async def test_phone_width_layout(stack: Stack, browser: Any, screenshots: Path) -> None:
    context, page = await log_in(browser, stack, stack.owner, viewport=PHONE)
    try:
        await shot(page, screenshots, "phone-picker")
        for path, name in (("", "overview"), ("/modules/automod", "module-automod"), ("/audit", "audit")):
            await open_live(page, stack.url(f"/guilds/{stack.guild}{path}"))
            await page.wait_for_timeout(150)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name}: the page is {width}px wide on a {PHONE['width']}px phone"
            assert await page.locator("nav[aria-label='Server pages']").is_visible()
            await shot(page, screenshots, f"phone-{name}")
        # keyboard: the skip link comes first and focus is visible
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.classList.contains('skip-link')")
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
    finally:
        await context.close()


async def test_forms_show_and_enforce_the_configs_bounds(stack: Stack, browser: Any, screenshots: Path) -> None:
    """Lengths and list sizes from the config's JSON schema reach the form: text boxes stop at the maximum length,
    a full list says so and offers no more rows."""
    context, page = await log_in(browser, stack, stack.owner)
    try:
        await open_live(page, stack.url(f"/guilds/{stack.guild}/modules/moderation"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        schema = await page.evaluate(
            "fetch(location.pathname.replace('/guilds/', '/api/guilds/'))"
            ".then((r) => r.json()).then((m) => m.config_schema)"
        )
        steps = schema["properties"]["escalation"]
        limit = steps["maxItems"]
        escalation = page.locator(".field[data-path='escalation']")
        assert f"Up to {limit}." in await escalation.inner_text()
        add = page.locator("button[aria-label='Add: Automatic actions']")
        present = await page.locator(".object-item[data-path^='escalation.']").count()  # earlier tests saved some
        for _ in range(limit - present):
            await add.click()
        await expect(add).to_be_disabled()
        duration = page.locator(".field[data-path='escalation.0.duration'] input")
        await expect(duration).to_have_attribute("type", "number")  # a length is a number and a unit, not free text
        await page.locator(f".object-item[data-path='escalation.{limit - 1}'] button:text('Remove')").click()
        await expect(add).to_be_enabled()
        await shot(page, screenshots, "module-moderation-bounds")
    finally:
        await context.close()
