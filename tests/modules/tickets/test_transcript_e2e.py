"""A closed ticket's transcript, end to end: a scripted conversation (a script tag, markdown, the bot's embed, an
image) rendered to one HTML file that Chromium shows correctly, runs no script, and still shows the image after
the channel is deleted and the sandbox's attachment URL stops answering."""

from __future__ import annotations

import io
import os
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.conftest import service_unavailable
from tests.support.tickets import click, last_with, open_ticket, say, set_up, ticket_in
from wolaro.modules.tickets import store
from wolaro.modules.tickets.storage import LocalStorage, StorageError

pytestmark = [pytest.mark.timeout(120), pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"
SCRIPT = "<script>alert(1)</script>"


def picture() -> bytes:
    image = Image.new("RGB", (240, 120), (46, 204, 113))
    ImageDraw.Draw(image).rectangle((20, 20, 220, 100), outline=(255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def closed_ticket_transcript(sandbox, bot, eventually) -> tuple[str, int, object]:
    """Run the conversation, close, wait for the transcript and the channel's removal; (html, channel, ticket)."""
    jobs = bot.services.jobs
    jobs.bot, jobs.poll_interval = bot, 0.1
    await jobs.start()
    desk = await set_up(sandbox, bot, delete_after_close=None)
    sandbox.state.users[desk.member].avatar = "a1b2c3"  # served by the sandbox's CDN
    channel = await open_ticket(sandbox, desk, desk.member, "It **crashes** on start")
    upload = await sandbox.send_message(
        channel, desk.member, f"{SCRIPT} here is a **screenshot**, _really_: `err 42`", files=[("crash.png", picture())]
    )
    welcome = last_with(sandbox, channel, "tickets:claim")
    await click(sandbox, channel, int(welcome["id"]), desk.staff, "tickets:claim")  # edits the welcome message
    await sandbox.send_message(channel, desk.staff, "Try this:\n```\npip install --upgrade app\n```\n~~old~~ fixed")
    asked = await say(sandbox, channel, desk.staff, "!ticket close Fixed by an upgrade")
    await click(sandbox, channel, int(asked["id"]), desk.staff, "tickets:close-confirm")

    async def ready() -> bool:
        return (await ticket_in(bot, desk, channel)).transcript_status == "ready"

    await eventually(ready, timeout=15)

    def delivered() -> bool:
        dm = sandbox.state.dm_channels.get(desk.member)
        return dm is not None and any(m["attachments"] for m in sandbox.bot_messages(dm))

    await eventually(delivered, timeout=5)
    posted = [m for m in sandbox.bot_messages(desk.transcripts) if m["attachments"]]
    assert posted and posted[0]["attachments"][0]["filename"] == "ticket-0001.html"
    assert "Transcript of ticket #1 (Support)" in posted[0]["content"]

    await sandbox.send_message(channel, desk.staff, "!ticket delete")
    await sandbox.wait_for_request("DELETE", f"/channels/{channel}$", timeout=15)
    await jobs.stop()
    url = upload["attachments"][0]["url"]
    sandbox.state.attachments.clear()  # Discord's links expire: the sandbox's CDN forgets every file
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 404
    ticket = await ticket_in(bot, desk, channel)
    storage = LocalStorage(bot.settings.data_dir / "transcripts")
    html = (await storage.get(f"{ticket.transcript_key}/transcript.html")).decode()
    text = (await storage.get(f"{ticket.transcript_key}/transcript.txt")).decode()
    assert SCRIPT in text and "Fixed by an upgrade" in text and "[file] crash.png" in text
    copied = await storage.get(f"{ticket.transcript_key}/{upload['attachments'][0]['id']}-crash.png")
    assert copied == picture()
    return html, channel, ticket


async def test_transcript_renders_in_chromium_runs_no_script_and_keeps_the_image(sandbox, bot, eventually, tmp_path):
    if not os.access(CHROMIUM, os.X_OK):
        service_unavailable(f"{CHROMIUM} not found: apt-get install -y chromium")
    from playwright.async_api import async_playwright

    html, _, _ = await closed_ticket_transcript(sandbox, bot, eventually)
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:;' in html
    assert "http://" not in html and "https://" not in html  # nothing is fetched: the file stands alone

    page_file = tmp_path / "transcript.html"
    page_file.write_text(html)
    dialogs: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 900})
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            await page.goto(page_file.as_uri())
            await page.wait_for_load_state("load")
            body = await page.inner_text("body")
            assert SCRIPT in body  # shown as text
            assert "Fixed by an upgrade" in body and "Ticket #1 · Support" in body
            assert await page.locator("script").count() == 0
            assert await page.inner_text("strong >> nth=0") == "crashes"  # markdown of the form's answer
            assert "screenshot" in await page.locator("article strong").all_inner_texts()
            assert await page.locator("pre").inner_text() == "pip install --upgrade app\n"
            assert await page.locator(".embed .title").first.inner_text() == "Ticket #1 · Support"
            assert await page.locator(".badge").count() >= 1  # the bot's own messages are there
            assert "@Moderator" in body  # the support role's mention, by name
            first = page.locator("article").first
            assert "(edited" in await first.inner_text()  # the welcome message, edited when claimed
            assert "Claimed by" in await first.inner_text()
            avatar = page.locator(".avatar img").first  # the member's avatar, inlined
            assert await avatar.evaluate("img => img.complete && img.naturalWidth") == 1
            image = page.locator('img[alt="crash.png"]')
            assert await image.evaluate("img => img.complete && img.naturalWidth") == 240
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "tickets_transcript.png"), full_page=True)
        finally:
            await browser.close()
    assert dialogs == []


async def test_erasing_a_person_rewrites_the_transcripts_they_wrote_in(sandbox, bot, eventually):
    from wolaro.core.privacy import delete_user, export_user, privacy_hooks

    html, _, ticket = await closed_ticket_transcript(sandbox, bot, eventually)
    member = ticket.opener_id
    hooks = privacy_hooks(bot.services.config.specs.values())
    exported = await export_user(bot.services.db, hooks, member, None)
    assert exported["data"]["tickets"]["tickets"][0]["ticket"] == 1
    assert "screenshot" in html
    counts = await delete_user(bot.services.db, hooks, member, ticket.guild_id)
    assert counts["tickets"] == 1
    storage = LocalStorage(bot.settings.data_dir / "transcripts")
    rewritten = (await storage.get(f"{ticket.transcript_key}/transcript.html")).decode()
    assert "screenshot" not in rewritten and "crash.png" not in rewritten
    assert str(member) not in rewritten  # nor in the mentions of the others' messages
    assert "Deleted user" in rewritten and "pip install --upgrade app" in rewritten  # the others' words stay
    assert "screenshot" not in (await storage.get(f"{ticket.transcript_key}/transcript.txt")).decode()
    assert str(member) not in (await storage.get(f"{ticket.transcript_key}/transcript.json")).decode()
    with pytest.raises(StorageError):
        await storage.get(f"{ticket.transcript_key}/{_first_file(html)}")
    after = await store.get(bot.services.db, ticket.id)
    assert after.opener_id == 0 and after.answers is None and after.status == "deleted"
    assert (await export_user(bot.services.db, hooks, member, None))["data"] == {}


def _first_file(html: str) -> str:
    import re as regex

    found = regex.search(r"/(\d+-crash\.png)", html)
    return found.group(1) if found else "missing"
