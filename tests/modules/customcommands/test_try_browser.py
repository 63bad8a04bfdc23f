"""Custom commands in the dashboard (Chromium, real stack): the commands are in the settings form, and "Try a
template" renders as the admin types, without posting, refusing a hostile template with its reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

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


async def test_try_it_renders_without_posting(stack: Stack, browser: Any, screens: Path) -> None:
    command = {"name": "hello", "response": "Hi {{ user.mention }}!", "trigger": "command"}
    await stack.services.config.update_module_config(
        stack.guild, "customcommands", {"commands": [command]}, actor_id=stack.owner
    )
    posted_before = len(stack.sandbox.bot_messages(stack.channel))
    context, page = await log_in(browser, stack, stack.owner)
    try:
        await page.goto(stack.url(f"/guilds/{stack.guild}/modules/customcommands"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        name = page.locator(".field[data-path='commands.0.name'] input")
        await expect(name).to_have_value("hello")
        await page.fill("#cc-template", "{{ args_text | upcase }} in {{ guild.name }}, {{ user.__class__ }}ok")
        await page.fill("#cc-args", "three little words")
        guild_name = stack.sandbox.state.guild(stack.guild).name
        await expect(page.locator("#cc-preview")).to_have_text(f"THREE LITTLE WORDS in {guild_name}, ok")
        await shot(page, screens, "customcommands-try")
        await page.fill("#cc-template", "{% for i in (1..100000) %}x{% endfor %}")
        await expect(page.locator("#cc-preview")).to_have_text("The template does too much work (over 20000 steps).")
        await page.fill("#cc-template", "{% include 'self' %}")
        await expect(page.locator("#cc-preview")).to_have_text("Templates cannot include other templates.")
        await page.fill("#cc-template", "Hello\n{% if user.name %}friend")  # our words and the line, not Liquid's
        await expect(page.locator("#cc-preview")).to_have_text(
            "Line 2: a tag is not closed ({% if %} needs {% endif %})."
        )
        await shot(page, screens, "customcommands-try-syntax")
        await context.add_cookies([{"name": "wolaro_lang", "value": "fr", "url": stack.url("/")}])
        await page.reload()
        await page.wait_for_selector("#module-form[data-ready='true']")
        await page.fill("#cc-template", "Bonjour {{ user.name ")
        await expect(page.locator("#cc-preview")).to_have_text(
            "Ligne 1, caractère 9 : un {{ … }} n'est pas fermé par }}."
        )
        await shot(page, screens, "customcommands-try-syntax-fr")
    finally:
        await context.close()
    assert len(stack.sandbox.bot_messages(stack.channel)) == posted_before  # nothing was posted
