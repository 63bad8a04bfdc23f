"""What a server owner sees, in Chromium, in English and French, on a desktop and a phone (issue 17): the front door
and the picker's "Add", forms that behave (every error at its field, a corrected field clears, leaving asks first,
durations, percentages, dropdowns, fields shown only with their choice) and the command permissions page, whose
rules the bot then enforces. Screenshots go to /work/notes/screens/17/ when that folder exists, else test-output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import expect
from sqlalchemy import delete

from tests.support.browser_stack import Stack
from tests.web.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.web.browser.test_dashboard import log_in, open_live
from wolaro.data.models import BotGuild

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(180),
]
NOTES = Path("/work/notes/screens/17")


def shot(name: str) -> str:
    folder = NOTES if NOTES.parent.is_dir() else SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}.png")


async def french(context: Any, stack: Stack) -> None:
    """Choose French, as the chooser does (its cookie)."""
    await context.add_cookies([{"name": "wolaro_lang", "value": "fr", "url": stack.base_url}])


async def test_front_door_says_what_wolaro_is_and_adds_it_with_the_permissions_modules_need(browser, stack):
    for language, viewport in (("en", DESKTOP), ("fr", PHONE), ("fr", DESKTOP), ("en", PHONE)):
        context = await browser.new_context(viewport=viewport)
        if language == "fr":
            await french(context, stack)
        page = await context.new_page()
        await page.goto(stack.url("/"))
        await expect(page.locator("html")).to_have_attribute("lang", language)
        add = page.locator("#add-to-server")
        query = parse_qs(urlsplit(await add.get_attribute("href")).query)
        assert query["client_id"] == [str(stack.sandbox.application_id)] and query["scope"] == [
            "bot applications.commands"
        ]
        permissions = int(query["permissions"][0])
        assert permissions & (1 << 2) and permissions & (
            1 << 7
        )  # ban members (moderation), view audit log (server log)
        await expect(page.locator("#log-in")).to_have_attribute("href", "/login")
        await expect(page.locator(".feature h3").first).to_be_visible()
        if language == "fr":
            await expect(page.locator("#hero-title")).to_contain_text("Wolaro garde votre serveur")
            await expect(add).to_have_text("Ajouter à un serveur")
        await page.screenshot(path=shot(f"front-door-{language}-{'phone' if viewport is PHONE else 'desktop'}"))
        await context.close()


async def test_the_picker_offers_to_add_wolaro_where_it_is_not(browser, stack):
    # the owner of guild A also manages the other guild, which Wolaro has left
    other = stack.other_guild
    await stack.sandbox.member_join(other, user_id=stack.owner)
    await stack.sandbox.member_update(other, stack.owner, roles=[stack.sandbox.role_id(other, "Admin")])
    await stack.bot.presence.stop()  # the bot stops reporting where it is, then forgets the other guild
    async with stack.services.db.transaction() as session:
        await session.execute(delete(BotGuild).where(BotGuild.id == other))
    context, page = await log_in(browser, stack, stack.owner)
    await page.goto(stack.url("/"))
    card = page.locator(f"[data-addable-guild-id='{other}']")
    await expect(card).to_be_visible()
    href = await card.locator("a").get_attribute("href")
    assert parse_qs(urlsplit(href).query)["guild_id"] == [str(other)]
    await expect(page.locator(f"a.guild-card[data-guild-id='{stack.guild}']")).to_be_visible()
    await page.screenshot(path=shot("picker-en-desktop"), full_page=True)
    await context.close()


async def escalation_step(page: Any) -> Any:
    """Add an automatic action (moderation) and return its item."""
    await page.locator("[data-path='escalation'] button.btn-small").last.click()
    return page.locator("[data-path='escalation.0']")


async def test_forms_show_every_error_at_its_field_and_clear_it_when_corrected(browser, stack):
    context, page = await log_in(browser, stack, stack.owner)
    await open_live(page, stack.url(f"/guilds/{stack.guild}/modules/moderation"))
    await page.wait_for_selector("#module-form[data-ready='true']")
    step = await escalation_step(page)
    duration = step.locator("[data-path='escalation.0.duration']")
    action = step.locator("[data-path='escalation.0.action'] select")
    await expect(action.locator("option[value='softban']")).to_have_text("Kick and delete their recent messages")
    await action.select_option("kick")
    await expect(duration).to_be_hidden()  # a kick has no length
    await action.select_option("timeout")
    await expect(duration).to_be_visible()
    # two mistakes at once: a timeout without a length, and a negative expiry
    expiry = page.locator("[data-path='warn_expiry'] input[type='number']")
    await expiry.fill("-5")
    await page.click("#module-save")
    duration_error = duration.locator(".field-error")
    expiry_error = page.locator("[data-path='warn_expiry'] > .field-error")
    await expect(duration_error).to_have_text("A timeout needs a length.")
    await expect(expiry_error).to_have_text("Enter a length such as 10 minutes, 2 hours or 7 days.")
    assert "Input should" not in await page.locator("main").inner_text()
    await page.screenshot(path=shot("form-errors-en-desktop"), full_page=True)
    # correcting one field clears its error only
    await duration.locator("input[type='number']").fill("2")
    await duration.locator("select").select_option("hours")
    await expect(duration_error).to_be_hidden()
    await expect(expiry_error).to_be_visible()
    await expiry.fill("30")
    await page.locator("[data-path='warn_expiry'] select").select_option("days")
    await page.click("#module-save")
    await expect(page.locator("#module-status")).to_have_text("All changes saved")
    stored = (await stack.services.config.get(stack.guild)).module_configs["moderation"]
    assert stored["warn_expiry"] == "30d" and stored["escalation"][0]["duration"] == "2h"
    await context.close()


async def test_percentages_dropdowns_and_leaving_with_unsaved_changes(browser, stack):
    context, page = await log_in(browser, stack, stack.owner)
    await open_live(page, stack.url(f"/guilds/{stack.guild}/modules/automod"))
    await page.wait_for_selector("#module-form[data-ready='true']")
    await page.locator("details[data-path='caps'] summary").click()
    ratio = page.locator("[data-path='caps.max_ratio'] input")
    await expect(ratio).to_have_value("70")
    timeout = page.locator("[data-path='caps.timeout_minutes']")
    await expect(timeout).to_be_hidden()  # the caps rule only deletes by default
    await page.locator("[data-path='caps.action'] select").select_option("timeout")
    await expect(timeout).to_be_visible()
    await expect(timeout.locator("select")).to_have_value("minutes")
    questions: list[str] = []

    async def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", answer)
    await page.click("a[href$='/audit']")
    assert questions == ["You have unsaved changes. Leave this page without saving them?"]
    assert page.url.endswith("/modules/automod")
    await page.screenshot(path=shot("form-widgets-en-desktop"), full_page=True)
    page.remove_listener("dialog", answer)
    await context.close()

    context, page = await log_in(browser, stack, stack.owner, viewport=PHONE)
    await french(context, stack)
    await open_live(page, stack.url(f"/guilds/{stack.guild}/modules/antiraid"))
    await page.wait_for_selector("#module-form[data-ready='true']")
    level = page.locator("[data-path='verification_level'] select")
    await expect(level.locator("option[value='4']")).to_have_text("Maximal : un numéro de téléphone vérifié")
    await expect(page.locator("[data-path='join_threshold'] label")).to_have_text("Arrivées qui déclenchent un raid")
    await page.locator("[data-path='join_threshold'] input").fill("0")
    await page.locator("[data-path='quiet_seconds'] input[type='number']").fill("0")
    await page.click("#module-save")
    await expect(page.locator("[data-path='quiet_seconds'] > .field-error")).to_have_text("Saisissez 1 ou plus.")
    await expect(page.locator("[data-path='join_threshold'] > .field-error")).to_have_text("Saisissez 1 ou plus.")
    await page.screenshot(path=shot("form-errors-fr-phone"), full_page=True)
    await context.close()


async def test_the_permissions_page_lists_every_command_and_its_rules_reach_the_bot(browser, stack):
    for language, viewport in (("en", DESKTOP), ("fr", PHONE), ("fr", DESKTOP), ("en", PHONE)):
        context, page = await log_in(browser, stack, stack.owner, viewport=viewport)
        if language == "fr":
            await french(context, stack)
        await open_live(page, stack.url(f"/guilds/{stack.guild}/modules/permissions"))
        await page.wait_for_selector("#command-rules[data-ready='true']")
        await page.locator("details.rule-module[data-module='utility'] > summary").click()
        await expect(page.locator(".rule-row[data-target='ping']")).to_be_visible()
        await expect(page.locator(".rule-row[data-target='module:utility']")).to_be_visible()
        await page.screenshot(
            path=shot(f"permissions-{language}-{'phone' if viewport is PHONE else 'desktop'}"), full_page=True
        )
        await context.close()

    context, page = await log_in(browser, stack, stack.owner)
    await open_live(page, stack.url(f"/guilds/{stack.guild}/modules/permissions"))
    await page.wait_for_selector("#command-rules[data-ready='true']")
    await page.locator("details.rule-module[data-module='utility'] > summary").click()
    row = page.locator(".rule-row[data-target='ping']")
    await row.locator("button").click()
    editor = page.locator(".rule-editor[data-target='ping']")
    member_role = str(stack.sandbox.role_id(stack.guild, "Member"))
    await editor.locator("[data-path='denied_roles'] select").select_option(member_role)
    await editor.locator(".btn-primary").click()
    await expect(page.locator(".rule-row[data-target='ping'] .rule-summary")).to_have_text("Some roles refused")
    plain = stack.sandbox.member_ids(stack.guild)[3]
    await stack.sandbox.send_message(stack.channel, plain, "!ping")
    reply = await stack.sandbox.wait_for_message(stack.channel, timeout=5)
    assert reply["content"] == f"Members with the role <@&{member_role}> cannot use `ping` here."
    await page.screenshot(path=shot("permissions-rule-en-desktop"), full_page=True)
    await context.close()


async def test_the_audit_log_reads_in_words_and_undoes_a_change(browser, stack):
    # nested values: a list of objects (moderation's automatic actions) and a dict of objects (a command's rule)
    member_role = stack.sandbox.role_id(stack.guild, "Member")
    steps = {"escalation": [{"warns": 3, "action": "timeout", "duration": "2h"}]}
    none = {"escalation": []}  # from none, whatever the tests before this one left (the stack is shared)
    await stack.services.config.update_module_config(stack.guild, "moderation", none, actor_id=stack.admin)
    await stack.services.config.update_module_config(stack.guild, "moderation", steps, actor_id=stack.admin)
    rule = {"rules": {"ping": {"enabled": True, "denied_roles": [member_role]}}}
    await stack.services.config.update_module_config(stack.guild, "permissions", rule, actor_id=stack.admin)
    client_changes = {"caps": {"enabled": True, "max_ratio": 0.5, "action": "timeout"}}
    await stack.services.config.update_module_config(stack.guild, "automod", client_changes, actor_id=stack.admin)
    for language, viewport in (("fr", PHONE), ("en", DESKTOP)):
        context, page = await log_in(browser, stack, stack.owner, viewport=viewport)
        if language == "fr":
            await french(context, stack)
        await open_live(page, stack.url(f"/guilds/{stack.guild}/audit"))
        await page.wait_for_selector("#audit-table[data-loaded]")
        first = page.locator("#audit-rows tr").first
        change = first.locator(".change")
        table = page.locator("#audit-rows")
        await expect(table).to_contain_text("Member")  # the role by its name
        for blob in ("{", "[", '"'):
            assert blob not in await table.inner_text()  # never JSON
        if language == "fr":
            await expect(table).to_contain_text("Aucun → Avertissements: 3")
            await expect(change).to_contain_text("Majuscules › Part de majuscules tolérée: 70 % → 50 %")
        else:
            await expect(change).to_contain_text("Capital letters › Capital letters allowed: 70 % → 50 %")
            await expect(change).to_contain_text("Capital letters › What the bot does: Only delete the message → ")
            await expect(table).to_contain_text(
                "Automatic actions: None → Warnings: 3 · Action: Time the member out · For how long: 2h"
            )
            await expect(table).to_contain_text("Command rules › ping: Switched on: On · Never these roles: @Member")
            await expect(first.locator("td").nth(1)).not_to_have_text(str(stack.admin))  # a name, not an id
        await page.screenshot(
            path=shot(f"audit-{language}-{'phone' if viewport is PHONE else 'desktop'}"), full_page=True
        )
        if language == "en":
            await first.locator("button.undo").click()
            await expect(page.locator(".toast.ok")).to_have_text("Change undone")
            caps = (await stack.services.config.get(stack.guild)).module_configs["automod"]["caps"]
            assert caps["enabled"] is False and caps["max_ratio"] == 0.7
        await context.close()


async def test_the_dashboard_speaks_the_language_of_the_persons_discord(browser, stack):
    stack.sandbox.state.users[stack.admin].locale = "fr"  # set in their Discord client
    context, page = await log_in(browser, stack, stack.admin, viewport=PHONE)
    await page.goto(stack.url("/"))
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.locator("h1")).to_have_text("Vos serveurs")
    await page.screenshot(path=shot("picker-fr-phone"), full_page=True)
    await page.select_option("#language-chooser", "en")  # the chooser overrides it
    await expect(page.locator("h1")).to_have_text("Your servers")
    await context.close()
