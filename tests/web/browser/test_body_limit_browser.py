"""A save too large for the dashboard (413) is shown as a sentence in the person's language, next to the form."""

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
SCREENS = Path("/work/notes/screens/413")


@pytest.fixture(scope="module")
def screens() -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS


async def test_a_too_large_save_is_a_french_sentence(stack: Stack, browser: Any, screens: Path) -> None:
    command = {"name": "hello", "response": "Hi!", "trigger": "command"}
    await stack.services.config.update_module_config(
        stack.guild, "customcommands", {"commands": [command]}, actor_id=stack.owner
    )
    context, page = await log_in(browser, stack, stack.owner)
    try:
        await context.add_cookies([{"name": "wolaro_lang", "value": "fr", "url": stack.url("/")}])
        await page.goto(stack.url(f"/guilds/{stack.guild}/modules/customcommands"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        answer = page.locator(".field[data-path='commands.0.response'] :is(input, textarea)")
        await answer.evaluate(  # past the field's own limit, as a hand-made request would be
            """(field) => { field.removeAttribute("maxlength"); field.value = "x".repeat(600000);
                            field.dispatchEvent(new Event("input", { bubbles: true })); }"""
        )
        await page.locator("#module-form button[type='submit']").first.click()
        error = page.locator("#form-error")
        await expect(error).to_have_text(
            "Non enregistré : Ce que vous avez envoyé est trop volumineux : 512 Ko au plus."
        )
        await shot(page, screens, "too-large-save-fr")
    finally:
        await context.close()
