"""Tickets in private threads, through discord.py and the sandbox: the thread holds the opener and the support
team only; claim, add and remove a member, close (the thread locks), rating, reopen, delete after the transcript."""

from __future__ import annotations

import pytest

from tests.support.tickets import click, last_with, open_ticket, say, set_up, submit, text_of, ticket_in
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.threads import PRIVATE_THREAD

pytestmark = pytest.mark.timeout(120)


async def test_a_ticket_in_a_private_thread(sandbox, bot, eventually):
    jobs = bot.services.jobs
    jobs.bot, jobs.poll_interval = bot, 0.1
    await jobs.start()
    role = sandbox.role_id(sandbox.guild_ids()[0], "Moderator")
    kind = {
        "key": "support",
        "name": "Support",
        "support_role_ids": [role],
        "mode": "thread",
        "max_open_per_user": 1,
        "questions": [{"label": "What happened?"}],
    }
    desk = await set_up(sandbox, bot, categories=[kind], delete_after_close=None)
    thread = await open_ticket(sandbox, desk, desk.member, "in a thread please")
    made = sandbox.state.channels[thread]
    assert (made.type, made.parent_id) == (PRIVATE_THREAD, desk.lobby)
    members = sandbox.state.thread_members[thread]
    assert {desk.member, desk.staff, desk.staff2, sandbox.state.bot_user_id} <= members
    assert desk.other not in members and desk.owner not in members
    with pytest.raises(SandboxError):
        await sandbox.send_message(thread, desk.other, "let me in")
    await sandbox.send_message(thread, desk.member, "hello")
    ticket = await ticket_in(bot, desk, thread)
    assert ticket.thread and ticket.number == 1

    welcome = last_with(sandbox, thread, "tickets:claim")
    assert "will handle" in text_of(await click(sandbox, thread, int(welcome["id"]), desk.staff, "tickets:claim"))
    await say(sandbox, thread, desk.staff, f"!ticket add <@{desk.other}>")
    assert desk.other in sandbox.state.thread_members[thread]
    await sandbox.send_message(thread, desk.other, "thanks for adding me")
    await say(sandbox, thread, desk.staff2, f"!ticket remove <@{desk.other}>")
    assert desk.other not in sandbox.state.thread_members[thread]

    asked = await say(sandbox, thread, desk.staff, "!ticket close sorted")
    await click(sandbox, thread, int(asked["id"]), desk.staff, "tickets:close-confirm")
    assert sandbox.state.thread_meta[thread]["locked"]
    with pytest.raises(SandboxError):
        await sandbox.send_message(thread, desk.member, "can I still write?")
    closed = last_with(sandbox, thread, "tickets:rate")
    stars = await click(sandbox, thread, int(closed["id"]), desk.member, f"tickets:rate:{ticket.id}:5")
    assert "Thank you" in text_of(await submit(sandbox, stars["record"], {"comment": ""}))
    assert text_of(await click(sandbox, thread, int(closed["id"]), desk.staff, "tickets:reopen")) == "Ticket reopened."
    assert not sandbox.state.thread_meta[thread]["locked"]
    await sandbox.send_message(thread, desk.member, "one more thing")

    await sandbox.send_message(thread, desk.staff, "!ticket delete")
    await sandbox.wait_for_request("DELETE", f"/channels/{thread}$", timeout=15)
    await jobs.stop()
    assert thread not in sandbox.state.channels
    ticket = await ticket_in(bot, desk, thread)
    assert (ticket.status, ticket.transcript_status, ticket.rating) == ("deleted", "ready", 5)
