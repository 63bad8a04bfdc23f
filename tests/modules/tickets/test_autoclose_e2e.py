"""Inactivity auto-close is a durable job: it warns, then closes, even for a ticket nobody ever wrote in, and even
when the bot that opened the ticket is gone and another process takes over."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.harness import bot_settings, running_bot
from tests.support.tickets import last_with, open_ticket, say, set_up, ticket_in
from wolaro.modules.tickets.service import SEND_MESSAGES
from wolaro.sandbox import permissions as perm

pytestmark = pytest.mark.timeout(120)


async def test_auto_close_fires_after_a_restart_for_a_ticket_with_no_messages(
    sandbox, tmp_path, master_admin, eventually
):
    settings = bot_settings(sandbox, tmp_path, master_admin_ids=[master_admin])
    async with running_bot(sandbox, settings) as first:  # its job worker is not running: nothing fires here
        desk = await set_up(sandbox, first, autoclose_after="3s", autoclose_warning="1s")
        channel = await open_ticket(sandbox, desk, desk.member)
        pending = await first.services.jobs.pending(guild_id=desk.guild, kind="tickets.inactivity")
        assert len(pending) == 1
    await asyncio.sleep(3.2)  # the ticket is past its warning and its close while no bot runs

    async with running_bot(sandbox, settings) as second:
        jobs = second.services.jobs
        jobs.bot, jobs.poll_interval = second, 0.1
        await jobs.start()

        def closing_posted() -> bool:
            return any(
                m["embeds"] and m["embeds"][0]["title"] == "Ticket closed" for m in sandbox.bot_messages(channel)
            )

        await eventually(closing_posted, timeout=15)
        await jobs.stop()
        ticket = await ticket_in(second, desk, channel)
        assert ticket.close_reason == "No activity for 3s."
        assert ticket.closed_by == sandbox.state.bot_user_id
        said = [m["content"] for m in sandbox.bot_messages(channel)]
        warning = next(i for i, text in enumerate(said) if "will close" in text)
        closing = [
            i
            for i, m in enumerate(sandbox.bot_messages(channel))
            if m["embeds"] and m["embeds"][0]["title"] == "Ticket closed"
        ]
        assert closing and warning < closing[0], said
        guild = sandbox.state.guild(desk.guild)
        member_perms = perm.channel_permissions(guild, sandbox.state.channels[channel], guild.members[desk.member])
        assert not member_perms & SEND_MESSAGES
        assert last_with(sandbox, channel, "tickets:rate")


async def test_a_message_resets_the_inactivity_clock(sandbox, bot, eventually):
    jobs = bot.services.jobs
    jobs.bot, jobs.poll_interval = bot, 0.1
    desk = await set_up(sandbox, bot, autoclose_after="2s", autoclose_warning=None)
    channel = await open_ticket(sandbox, desk, desk.member)
    await jobs.start()
    await asyncio.sleep(1.2)
    await sandbox.send_message(channel, desk.member, "still there?")
    await asyncio.sleep(1.2)  # 2.4 s after opening, 1.2 s after the message: still open
    assert (await ticket_in(bot, desk, channel)).status == "open"

    async def closed() -> bool:
        return (await ticket_in(bot, desk, channel)).status == "closed"

    await eventually(closed, timeout=10)
    await jobs.stop()
    ticket = await ticket_in(bot, desk, channel)
    assert ticket.last_activity_at is not None
    assert (ticket.closed_at - ticket.last_activity_at).total_seconds() >= 1.9
    reply = await say(sandbox, desk.lobby, desk.owner, "!ping")
    assert reply
