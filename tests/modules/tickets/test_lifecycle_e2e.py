"""A ticket's life through discord.py and the sandbox: panel -> form -> private channel, staff tools, close with a
reason after confirmation, rating, reopen, removal; the open-ticket limit; the panel after a restart."""

from __future__ import annotations

import pytest

from tests.support.harness import bot_settings, running_bot
from tests.support.moderation import audit_actions
from tests.support.tickets import (
    OPEN,
    Desk,
    click,
    last_with,
    open_ticket,
    post_panel,
    say,
    set_up,
    submit,
    text_of,
    ticket_in,
)
from wolaro.modules.tickets.service import SEND_MESSAGES, TALK, VIEW_CHANNEL
from wolaro.sandbox import permissions as perm

pytestmark = pytest.mark.timeout(120)


def can(sandbox, desk: Desk, channel: int, user: int, bits: int) -> bool:
    guild = sandbox.state.guild(desk.guild)
    member = guild.members[user]
    return perm.channel_permissions(guild, sandbox.state.channels[channel], member) & bits == bits


async def test_button_form_opens_a_private_channel_with_the_right_overwrites(sandbox, bot):
    desk = await set_up(sandbox, bot)
    channel = await open_ticket(sandbox, desk, desk.member, "Order #42 never came")
    made = sandbox.state.channels[channel]
    assert made.name.startswith("ticket-0001-")
    overwrites = {o.id: (o.type, o.allow, o.deny) for o in made.overwrites.values()}
    assert overwrites[desk.guild] == (0, 0, VIEW_CHANNEL)
    assert overwrites[desk.member] == (1, TALK, 0)
    assert overwrites[desk.support_role] == (0, TALK, 0)
    assert overwrites[sandbox.state.bot_user_id] == (1, TALK, 0)
    assert can(sandbox, desk, channel, desk.member, TALK)
    assert can(sandbox, desk, channel, desk.staff, TALK)
    assert not can(sandbox, desk, channel, desk.other, VIEW_CHANNEL)
    welcome = last_with(sandbox, channel, "tickets:claim")
    assert welcome["embeds"][0]["title"] == "Ticket #1 · Support"
    assert welcome["embeds"][0]["fields"][0] == {
        "name": "What happened?",
        "value": "Order #42 never came",
        "inline": False,
    }
    assert f"<@{desk.member}>" in welcome["content"]


async def test_staff_tools_close_with_reason_rating_reopen_and_delete(sandbox, bot, eventually):
    jobs = bot.services.jobs
    jobs.bot, jobs.poll_interval = bot, 0.1
    await jobs.start()
    desk = await set_up(sandbox, bot, delete_after_close=None)
    channel = await open_ticket(sandbox, desk, desk.member)
    welcome = last_with(sandbox, channel, "tickets:claim")

    claimed = await click(sandbox, channel, int(welcome["id"]), desk.staff, "tickets:claim")
    assert "will handle this ticket" in text_of(claimed)
    assert (await ticket_in(bot, desk, channel)).claimed_by == desk.staff

    refused = await say(sandbox, channel, desk.staff2, "!ticket unclaim")
    assert f"Only <@{desk.staff}>, who claimed this ticket, or an admin can unclaim it." in refused["content"]
    assert (await ticket_in(bot, desk, channel)).claimed_by == desk.staff

    added = await say(sandbox, channel, desk.staff, f"!ticket add <@{desk.other}>")
    assert "was added to the ticket" in added["content"]
    assert can(sandbox, desk, channel, desk.other, TALK)

    form = await click(sandbox, channel, int(welcome["id"]), desk.staff, "tickets:close")
    assert form["type"] == 9
    asked = await submit(sandbox, form["record"], {"reason": "Refund sent"})
    assert asked["ephemeral"] and asked["embeds"][0]["description"] == "Refund sent"
    assert (await ticket_in(bot, desk, channel)).status == "open"  # nothing happens before the confirmation
    confirm = await click(sandbox, channel, int(asked["message"]["id"]), desk.staff, "tickets:close-confirm")
    assert text_of(confirm) == "Ticket closed."
    ticket = await ticket_in(bot, desk, channel)
    assert (ticket.status, ticket.close_reason, ticket.closed_by) == ("closed", "Refund sent", desk.staff)
    assert not can(sandbox, desk, channel, desk.member, SEND_MESSAGES)
    assert can(sandbox, desk, channel, desk.member, VIEW_CHANNEL)

    closed = last_with(sandbox, channel, "tickets:rate")
    assert "Refund sent" in closed["embeds"][0]["description"]
    stars = await click(sandbox, channel, int(closed["id"]), desk.member, f"tickets:rate:{ticket.id}:4")
    rated = await submit(sandbox, stars["record"], {"comment": "Quick and kind"})
    assert "Thank you for your feedback" in text_of(rated)
    ticket = await ticket_in(bot, desk, channel)
    assert (ticket.rating, ticket.rating_comment) == (4, "Quick and kind")
    refused_rating = await click(sandbox, channel, int(closed["id"]), desk.other, f"tickets:rate:{ticket.id}:1")
    assert "Only the member who opened this ticket can rate it." in text_of(refused_rating)

    reopened = await click(sandbox, channel, int(closed["id"]), desk.staff, "tickets:reopen")
    assert text_of(reopened) == "Ticket reopened."
    assert [a for a in await audit_actions(bot, desk.guild) if a.startswith("tickets.")] == [
        "tickets.close",
        "tickets.reopen",
    ]
    assert (await ticket_in(bot, desk, channel)).status == "open"
    assert can(sandbox, desk, channel, desk.member, SEND_MESSAGES)

    await sandbox.send_message(channel, desk.staff, "!ticket delete")
    await sandbox.wait_for_request("DELETE", f"/channels/{channel}$", timeout=15)
    assert channel not in sandbox.state.channels
    await eventually(lambda: _status(bot, desk, channel, "deleted"), timeout=5)
    await jobs.stop()
    ticket = await ticket_in(bot, desk, channel)
    assert ticket.transcript_status == "ready"
    await sandbox.send_message(desk.lobby, desk.owner, "!tickets stats")
    stats = await sandbox.wait_for_message(desk.lobby, timeout=5)
    assert stats["embeds"][0]["title"] == "Support team"
    assert stats["embeds"][0]["description"].startswith(f"<@{desk.staff}>: 1 handled · first answer ")


async def _status(bot, desk, channel, wanted: str) -> bool:
    return (await ticket_in(bot, desk, channel)).status == wanted


async def test_the_open_ticket_limit_is_refused_with_a_clear_message(sandbox, bot):
    desk = await set_up(sandbox, bot)
    await open_ticket(sandbox, desk, desk.member)
    refused = await click(sandbox, desk.lobby, desk.panel, desk.member, OPEN)
    assert refused["ephemeral"]
    assert text_of(refused) == (
        "You already have 1 open ticket(s) of this kind (#1): close one before opening another."
    )
    assert len([c for c in sandbox.state.channels.values() if (c.name or "").startswith("ticket-")]) == 1


async def test_the_panel_still_works_after_a_restart(sandbox, tmp_path, master_admin):
    settings = bot_settings(sandbox, tmp_path, master_admin_ids=[master_admin])
    async with running_bot(sandbox, settings) as first:
        desk = await set_up(sandbox, first)
    async with running_bot(sandbox, settings) as second:
        assert second.user is not None
        channel = await open_ticket(sandbox, desk, desk.member, "after the restart")
        assert sandbox.state.channels[channel].name.startswith("ticket-0001-")
        again = await post_panel(sandbox, desk)
        channel2 = await open_ticket(sandbox, again, desk.other)
        assert sandbox.state.channels[channel2].name.startswith("ticket-0002-")


async def test_a_menu_panel_opens_the_chosen_kind(sandbox, bot):
    kinds = [
        {
            "key": "billing",
            "name": "Billing",
            "support_role_ids": [sandbox.role_id(sandbox.guild_ids()[0], "Moderator")],
        },
        {"key": "report", "name": "Report a member", "description": "Someone broke the rules"},
    ]
    desk = await set_up(sandbox, bot, categories=kinds, panels=[{"key": "help", "style": "menu"}])
    panel = sandbox.find_message(desk.lobby, desk.panel)
    menu = panel["components"][0]["components"][0]
    assert menu["custom_id"] == "tickets:menu:help"
    assert [(o["value"], o["label"]) for o in menu["options"]] == [
        ("billing", "Billing"),
        ("report", "Report a member"),
    ]
    record = await sandbox.invoke_component(desk.lobby, desk.panel, desk.member, "tickets:menu:help", values=["report"])
    answer = await sandbox.wait_for_interaction_response(record, timeout=5)
    channel = int(text_of(answer).split("<#")[1].split(">")[0])  # no questions: it opens at once
    ticket = await ticket_in(bot, desk, channel)
    assert (ticket.category, ticket.number) == ("report", 1)
    welcome = last_with(sandbox, channel, "tickets:claim")
    assert welcome["embeds"][0]["title"] == "Ticket #1 · Report a member"
