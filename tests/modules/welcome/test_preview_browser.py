"""Welcome's live preview in Chromium: the message follows the settings form as the admin types, the image card
shows the uploaded background, and a file that is not a picture is refused with a clear reason."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
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


def background(path: Path) -> Path:
    image = Image.new("RGB", (1200, 400), (20, 40, 90))
    draw = ImageDraw.Draw(image)
    for x in range(0, 1200, 60):
        draw.ellipse((x, 150, x + 50, 200), fill=(240, 180, 40))
    out = io.BytesIO()
    image.save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


@pytest.fixture(scope="module")
def screens() -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    return SCREENS


async def card_loaded(page: Any) -> bool:
    return bool(await page.locator("#welcome-card").evaluate("img => img.complete && img.naturalWidth === 900"))


async def test_welcome_preview_follows_the_form_and_shows_the_card(
    stack: Stack, browser: Any, tmp_path: Path, screens: Path
) -> None:
    context, page = await log_in(browser, stack, stack.owner)
    try:
        await page.goto(stack.url(f"/guilds/{stack.guild}/modules/welcome"))
        await page.wait_for_selector("#module-form[data-ready='true']")
        message = page.locator(".field[data-path='join_message'] textarea, .field[data-path='join_message'] input")
        await message.fill("Hello {mention}! Welcome to **{guild}**, you are member #{count}.")
        guild_name = stack.sandbox.state.guild(stack.guild).name
        await expect(page.locator("#welcome-join-preview")).to_contain_text("Hello @you!")
        shown = await page.inner_text("#welcome-join-preview")
        assert shown == f"Hello @you! Welcome to {guild_name}, you are member #42."
        assert await page.locator("#welcome-join-preview strong").inner_text() == guild_name

        not_picture = tmp_path / "notes.png"
        not_picture.write_bytes(b"this is not a picture")
        await page.set_input_files("#welcome-background", str(not_picture))
        await page.wait_for_selector("#welcome-background-status:has-text('not a picture')")

        too_big = tmp_path / "huge.png"
        too_big.write_bytes(b"\x89PNG" + b"\0" * 600_000)
        await page.set_input_files("#welcome-background", str(too_big))
        await page.wait_for_selector("#welcome-background-status:has-text('too large')")

        await page.set_input_files("#welcome-background", str(background(tmp_path / "bg.jpg")))
        await page.wait_for_selector("#welcome-background-status:text('Background saved.')")
        for _ in range(100):
            if await card_loaded(page):
                break
            await page.wait_for_timeout(50)
        assert await card_loaded(page)
        await shot(page, screens, "welcome-preview")
        await page.locator(".module-panel").last.screenshot(path=str(screens / "welcome-preview-panel.png"))
    finally:
        await context.close()
