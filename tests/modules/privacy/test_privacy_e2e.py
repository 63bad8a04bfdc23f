"""Privacy end to end through the sandbox: export a file, erase after a confirmation, and nothing is left behind.

A moderator who warned someone, was warned, set a reminder and has a dashboard login runs `/privacy export` in a
server (an ephemeral JSON file of that server's data) and in a DM (everywhere), then `/privacy delete` in a DM
and confirms: no row of any table mentions them any more. An admin erases a member who left, and is refused for
one who is still there.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from wolaro.data.models import Base, utcnow
from wolaro.sandbox import Sandbox
from wolaro.web.models import DashboardSession

pytestmark = pytest.mark.timeout(90)


async def say(sandbox: Sandbox, channel: int, author: int, content: str) -> dict[str, Any]:
    await sandbox.send_message(channel, author, content)
    return await sandbox.wait_for_message(channel, timeout=5)


async def slash(sandbox: Sandbox, guild: int | None, channel: int, user: int, sub: str, options=None):
    record = await sandbox.invoke_slash(guild, channel, user, "privacy", options, subcommand=sub)
    return await sandbox.wait_for_interaction_response(record, timeout=5)


def attached_json(sandbox: Sandbox, message: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = message["message"]["attachments"]
    assert attachment["filename"].startswith("wolaro-data-") and attachment["filename"].endswith(".json")
    return json.loads(sandbox.state.attachments[int(attachment["id"])])


async def confirmed(sandbox: Sandbox, eventually: Any, channel: int, question: dict[str, Any], user: int) -> str:
    """Press Erase on a confirmation; the message's final text (the erasure runs after a deferral)."""
    message_id = int(question["message"]["id"])
    await sandbox.invoke_component(channel, message_id, user, button(question, "Erase"))

    def final() -> bool:
        return sandbox.find_message(channel, message_id)["content"].startswith("Done: ")

    await eventually(final, timeout=10)
    message = sandbox.find_message(channel, message_id)
    assert not message["components"]
    return str(message["content"])


def button(message: dict[str, Any], label: str) -> str:
    buttons = [c for row in message["components"] for c in row["components"]]
    return next(b["custom_id"] for b in buttons if b.get("label") == label)


async def rows_mentioning(bot: Any, user_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table that names `user_id` in any column (as a number, text or inside JSON)."""
    found = []
    async with bot.services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                text = json.dumps({k: v for k, v in row.items()}, default=str)
                if str(user_id) in text:
                    found.append((table.name, dict(row)))
    return found


async def add_dashboard_login(bot: Any, user_id: int) -> None:
    now = utcnow()
    async with bot.services.db.transaction() as session:
        session.add(
            DashboardSession(
                id=f"{user_id}.abc",
                user_id=user_id,
                discord_tokens="sealed",
                token_expires_at=now + timedelta(days=7),
                created_at=now,
                expires_at=now + timedelta(days=7),
            )
        )


async def test_export_then_delete_everywhere_leaves_no_row_about_the_user(sandbox: Sandbox, bot, eventually) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, mod, plain = sandbox.member_ids(guild)[0], sandbox.member_ids(guild)[1], sandbox.member_ids(guild)[2]
    other_guild = sandbox.guild_ids()[1]
    other_channel = sandbox.text_channel_ids(other_guild)[0]
    other_member = sandbox.member_ids(other_guild)[2]

    reply = await say(sandbox, channel, mod, f"!warn <@{plain}> posting scam links")  # mod: the moderator
    assert "was warned (case #1)" in reply["content"]
    reply = await say(sandbox, channel, owner, f"!warn <@{mod}> rude to a member")  # mod: the member warned
    assert "was warned (case #2)" in reply["content"]
    reply = await say(sandbox, channel, mod, "!remind in 3h water the plants")
    assert "I'll remind you" in reply["content"]
    reply = await say(sandbox, other_channel, other_member, "!remind in 2h someone else's reminder")
    assert "I'll remind you" in reply["content"]
    await add_dashboard_login(bot, mod)
    before = await rows_mentioning(bot, mod)
    assert {table for table, _ in before} >= {"mod_cases", "audit_log", "scheduled_jobs", "dashboard_sessions"}

    # /privacy export in the server: an ephemeral file of this server's data
    answer = await slash(sandbox, guild, channel, mod, "export")
    assert answer["ephemeral"]
    export = attached_json(sandbox, answer)
    assert export["user_id"] == str(mod) and export["scope"] == "server" and export["guild_id"] == str(guild)
    moderation = export["data"]["moderation"]
    assert [c["reason"] for c in moderation["cases_about_you"]] == ["rude to a member"]
    assert [c["reason"] for c in moderation["cases_you_handled"]] == ["posting scam links"]
    assert [r["text"] for r in export["data"]["reminders"]["reminders"]] == ["water the plants"]
    assert {row["action"] for row in export["data"]["platform"]["audit_log"]} == {"moderation.warn"}
    assert "dashboard_logins" not in export["data"]["platform"]  # not a server's data
    assert "mod_cases.target_id" in export["stores"]["moderation"]

    # in a DM: everywhere (the dashboard login too)
    dm = await sandbox.open_dm(mod)
    answer = await slash(sandbox, None, dm, mod, "export")
    everywhere = attached_json(sandbox, answer)
    assert everywhere["scope"] == "everywhere" and everywhere["guild_id"] is None
    assert len(everywhere["data"]["platform"]["dashboard_logins"]) == 1
    assert "someone else's reminder" not in json.dumps(everywhere)

    # /privacy delete in a DM: a confirmation first; cancelling keeps everything
    question = await slash(sandbox, None, dm, mod, "delete")
    assert "in every server" in question["content"] and "cannot be undone" in question["content"]
    record = await sandbox.invoke_component(dm, int(question["message"]["id"]), mod, button(question, "Cancel"))
    cancelled = await sandbox.wait_for_interaction_response(record, timeout=5)
    assert cancelled["content"] == "Cancelled: nothing was erased." and not cancelled["components"]
    assert len(await rows_mentioning(bot, mod)) == len(before)

    question = await slash(sandbox, None, dm, mod, "delete")
    done = await confirmed(sandbox, eventually, dm, question, mod)
    assert done.startswith("Done: ") and done.endswith("records erased or anonymised."), done

    async def nothing_left() -> bool:
        return await rows_mentioning(bot, mod) == []

    # at once, or (a command-log write under way at the erasure) once that write has landed and been cleaned
    await eventually(nothing_left, timeout=5)
    # the server keeps its moderation log, without the person; others' data is untouched
    reply = await say(sandbox, channel, owner, "!case 2")
    assert "rude to a member" not in json.dumps(reply)
    assert await rows_mentioning(bot, plain)  # the member the moderator warned still has their case
    assert await rows_mentioning(bot, other_member)
    answer = await slash(sandbox, None, dm, mod, "export")
    assert attached_json(sandbox, answer)["data"] == {}


async def test_an_admin_erases_a_member_who_left_not_one_who_is_here(sandbox: Sandbox, bot, eventually) -> None:
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    owner, mod, leaver, stayer = sandbox.member_ids(guild)[:4]
    await say(sandbox, channel, mod, f"!warn <@{leaver}> spam")
    await say(sandbox, channel, mod, f"!warn <@{stayer}> spam")
    await say(sandbox, channel, leaver, "!remind in 1h leave the server")

    refused = await slash(sandbox, guild, channel, owner, "erase", {"user": stayer})
    assert refused["ephemeral"] and "is still a member here" in refused["content"]
    denied = await slash(sandbox, guild, channel, stayer, "erase", {"user": leaver})  # not an admin
    assert denied["ephemeral"] and denied["content"] == "You need the Manage Server permission to do this."

    await sandbox.member_remove(guild, leaver)
    question = await slash(sandbox, guild, channel, owner, "erase", {"user": leaver})
    assert question["ephemeral"] and f"<@{leaver}>" in question["content"]
    await confirmed(sandbox, eventually, channel, question, owner)
    assert await rows_mentioning(bot, leaver) == []
    assert await rows_mentioning(bot, stayer)
