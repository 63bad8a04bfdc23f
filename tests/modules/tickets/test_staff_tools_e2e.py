"""More staff tools through discord.py: hide claimed tickets, transfer, remove a member, rename, priority, canned
answers, an admin's unclaim, and who may not use them."""

from __future__ import annotations

import pytest

from tests.support.harness import bot_settings, running_bot
from tests.support.tickets import click, last_with, open_ticket, say, set_up, text_of, ticket_in
from wolaro.modules.tickets.service import TALK, VIEW_CHANNEL
from wolaro.sandbox import permissions as perm

pytestmark = pytest.mark.timeout(120)


def sees(sandbox, desk, channel: int, user: int) -> bool:
    guild = sandbox.state.guild(desk.guild)
    return bool(perm.channel_permissions(guild, sandbox.state.channels[channel], guild.members[user]) & VIEW_CHANNEL)


async def test_hidden_claims_transfer_members_rename_priority_and_tags(sandbox, tmp_path):
    settings = bot_settings(sandbox, tmp_path, command_cooldown_rate="100/second", user_global_rate="100/second")
    async with running_bot(sandbox, settings) as bot:
        await _staff_tools(sandbox, bot)


async def _staff_tools(sandbox, bot):
    desk = await set_up(sandbox, bot, hide_claimed=True, tags=[{"name": "refund", "content": "Refunds take 5 days."}])
    channel = await open_ticket(sandbox, desk, desk.member)
    assert sees(sandbox, desk, channel, desk.staff2)

    refused = await say(sandbox, channel, desk.member, "!ticket claim")
    assert "Only the support team of this kind of ticket can do that." in refused["content"]
    welcome = last_with(sandbox, channel, "tickets:claim")
    await click(sandbox, channel, int(welcome["id"]), desk.staff, "tickets:claim")
    assert sees(sandbox, desk, channel, desk.staff) and not sees(sandbox, desk, channel, desk.staff2)
    again = await click(sandbox, channel, int(welcome["id"]), desk.owner, "tickets:claim")
    assert again["ephemeral"] and f"already claimed by <@{desk.staff}>" in text_of(again)

    moved = await say(sandbox, channel, desk.staff, f"!ticket transfer <@{desk.staff2}>")
    assert f"now belongs to <@{desk.staff2}>" in moved["content"]
    assert sees(sandbox, desk, channel, desk.staff2) and not sees(sandbox, desk, channel, desk.staff)
    not_staff = await say(sandbox, channel, desk.staff2, f"!ticket transfer <@{desk.other}>")
    assert "is not in the support team of this kind of ticket" in not_staff["content"]

    await say(sandbox, channel, desk.staff2, f"!ticket add <@{desk.other}>")
    assert sees(sandbox, desk, channel, desk.other)
    removed = await say(sandbox, channel, desk.staff2, f"!ticket remove <@{desk.other}>")
    assert "was removed from the ticket" in removed["content"]
    assert not sees(sandbox, desk, channel, desk.other)

    renamed = await say(sandbox, channel, desk.staff2, "!ticket rename Refund for Ivan")
    assert "renamed to refund-for-ivan" in renamed["content"]
    assert sandbox.state.channels[channel].name == "refund-for-ivan"
    urgent = await say(sandbox, channel, desk.staff2, "!ticket priority urgent")
    assert urgent["content"] == "Priority set to Urgent."
    bad = await say(sandbox, channel, desk.staff2, "!ticket priority someday")
    assert "The priority is one of: low, normal, high, urgent." in bad["content"]
    tag = await say(sandbox, channel, desk.staff2, "!ticket tag refund")
    assert tag["content"] == "Refunds take 5 days."
    unknown = await say(sandbox, channel, desk.staff2, "!ticket tag nope")
    assert "There is no canned answer named nope. Known: refund." in unknown["content"]

    admin_unclaim = await say(sandbox, channel, desk.owner, "!ticket unclaim")
    assert "back with the whole team" in admin_unclaim["content"]
    ticket = await ticket_in(bot, desk, channel)
    assert (ticket.claimed_by, ticket.priority, ticket.members) == (None, "urgent", [])
    for staff in (desk.staff, desk.staff2):
        guild = sandbox.state.guild(desk.guild)
        assert perm.channel_permissions(guild, sandbox.state.channels[channel], guild.members[staff]) & TALK == TALK
    outside = await say(sandbox, desk.lobby, desk.staff, "!ticket claim")
    assert "This is not a ticket channel." in outside["content"]
