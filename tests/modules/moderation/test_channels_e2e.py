"""Channel tools end to end: purge (with filters, bulk vs one by one), slowmode, lock/unlock, nickname reset."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.moderation import (
    Place,
    audit_actions,
    case_list,
    channel_cases,
    rest_calls,
    say,
    set_config,
    slash,
)
from wolaro.modules.moderation.rules import Action, TargetKind
from wolaro.sandbox import payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import SandboxError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def place(sandbox):
    return Place.of(sandbox)


def history(sandbox, channel):
    return list(sandbox.state.messages.get(channel, {}).values())


def old_message(sandbox, place, author, content, days):
    """A message written `days` ago (stored directly: users cannot post in the past)."""
    channel = sandbox.state.channels[place.channel]
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    message = payloads.message(
        sandbox.state, message_id=sandbox.ids.at(moment), channel=channel, author_id=author, content=content
    )
    sandbox.state.store_message(place.channel, message)
    return message


async def test_purge_filters_and_bulk_deletes_recent_messages_only(sandbox, bot, place):
    alice, bob = place.plain[0], place.plain[1]
    old = [old_message(sandbox, place, alice, f"old {n}", days=20) for n in range(2)]
    await sandbox.send_message(place.channel, alice, "hello all")
    await sandbox.send_message(place.channel, bob, "BUY NOW cheap followers")
    await sandbox.send_message(place.channel, bob, "look at this", attachments=1)
    await sandbox.send_message(place.channel, alice, "hey bob")
    await sandbox.send_message(place.channel, bob, "hi alice")

    # set directly: a `!config` message would be part of the channel history this test purges
    await bot.config.update_module_config(place.guild, "moderation", {"modlog_channel_id": place.modlog}, actor_id=1)
    response = await slash(sandbox, place, place.mod, "purge", {"amount": 5, "contains": "buy now"})
    assert response["ephemeral"] and response["content"] == "Deleted 1 messages (case #1)."
    response = await slash(sandbox, place, place.mod, "purge", {"amount": 5, "attachments": True})
    assert response["content"] == "Deleted 1 messages (case #2)."
    response = await slash(sandbox, place, place.mod, "purge", {"amount": 1, "user": alice})
    assert response["content"] == "Deleted 1 messages (case #3)."
    assert [m["content"] for m in history(sandbox, place.channel)] == ["old 0", "old 1", "hello all", "hi alice"]

    await sandbox.send_message(place.channel, place.mod, "!purge 10")
    reply = await sandbox.wait_for_message(place.channel)
    assert reply["content"] == "Deleted 4 messages (case #4)."
    assert [m["content"] for m in history(sandbox, place.channel)] == ["Deleted 4 messages (case #4)."]
    bulk = rest_calls(sandbox, "POST", f"/channels/{place.channel}/messages/bulk-delete")
    assert len(bulk[-1].json["messages"]) == 2  # the two recent ones in one call
    singles = {c.path.rsplit("/", 1)[1] for c in rest_calls(sandbox, "DELETE", "") if "/messages/" in c.path}
    assert {m["id"] for m in old} <= singles  # older than 14 days: one by one
    assert [a for a in await audit_actions(bot, place.guild) if a.startswith("moderation")] == ["moderation.purge"] * 4
    found = await channel_cases(bot, place.guild)
    assert [(c.number, c.action, c.target_id, c.target_kind) for c in found] == [
        (n, Action.PURGE, place.channel, TargetKind.CHANNEL) for n in (1, 2, 3, 4)
    ]
    assert [c.details["deleted"] for c in found] == [1, 1, 1, 4]
    assert found[0].details["filters"]["contains"] == "buy now" and found[2].details["filters"]["user"] == alice
    posts = [m["embeds"][0] for m in sandbox.bot_messages(place.modlog) if m["embeds"]]
    assert [e["title"] for e in posts] == [f"Case #{n} | Purge" for n in (1, 2, 3, 4)]
    fields = {f["name"]: f["value"] for f in posts[2]["fields"]}
    assert fields["Channel"] == f"<#{place.channel}> (`{place.channel}`)" and "User" not in fields
    assert (fields["Deleted"], fields["Filters"], fields["Moderator"]) == ("1", f"user: <@{alice}>", f"<@{place.mod}>")
    assert "Filters" not in {f["name"] for f in posts[3]["fields"]}
    assert await case_list(bot, place.guild, place.channel) == []  # a channel has no member history

    reply = await say(sandbox, place.channel, place.mod, "!purge 1001")
    assert reply["content"].startswith("Invalid input")


async def test_purge_of_bot_messages_only_and_prefix_filters(sandbox, bot, place):
    await say(sandbox, place.channel, place.owner, "!ping")
    await sandbox.send_message(place.channel, place.plain[0], "human words")
    response = await slash(sandbox, place, place.mod, "purge", {"amount": 50, "bots": True})
    assert response["content"] == "Deleted 1 messages (case #1)."
    authors = {int(m["author"]["id"]) for m in history(sandbox, place.channel)}
    assert sandbox.state.bot_user_id not in authors and place.plain[0] in authors

    await sandbox.send_message(place.channel, place.plain[1], "more human words")
    await sandbox.send_message(place.channel, place.mod, f"!purge 5 user: <@{place.plain[1]}> contains: MORE")
    reply = await sandbox.wait_for_message(place.channel)
    assert reply["content"] == "Deleted 1 messages (case #2)."
    assert [m["content"] for m in history(sandbox, place.channel)] == [
        "!ping",
        "human words",
        "Deleted 1 messages (case #2).",
    ]
    first, second = await channel_cases(bot, place.guild)
    assert first.details["filters"]["bots"] is True
    assert second.details["filters"] == {
        "user": place.plain[1],
        "bots": False,
        "contains": "MORE",
        "attachments": False,
    }


async def test_slowmode_sets_and_removes_the_delay(sandbox, bot, place):
    channel = sandbox.state.channels[place.channel]
    reply = await say(sandbox, place.channel, place.owner, "!slowmode 10s")
    assert reply["content"] == f"Slowmode in <#{place.channel}> is now 10s (case #1)."
    assert channel.rate_limit_per_user == 10
    response = await slash(sandbox, place, place.owner, "slowmode", {"delay": "2m", "channel": place.modlog})
    assert response["content"] == f"Slowmode in <#{place.modlog}> is now 2m (case #2)."
    assert sandbox.state.channels[place.modlog].rate_limit_per_user == 120
    reply = await say(sandbox, place.channel, place.owner, "!slowmode 7h")
    assert reply["content"] == "`7h` is too long: at most 6h."
    reply = await say(sandbox, place.channel, place.owner, "!slowmode off")
    assert reply["content"] == f"Slowmode in <#{place.channel}> is off (case #3)."
    assert channel.rate_limit_per_user == 0
    assert await audit_actions(bot, place.guild) == ["moderation.slowmode"] * 3
    found = await channel_cases(bot, place.guild)
    assert [(c.number, c.action, c.target_id) for c in found] == [
        (1, Action.SLOWMODE, place.channel),
        (2, Action.SLOWMODE, place.modlog),
        (3, Action.SLOWMODE, place.channel),
    ]
    assert [c.details for c in found] == [
        {"delay_seconds": 10, "before_seconds": 0},
        {"delay_seconds": 120, "before_seconds": 0},
        {"delay_seconds": 0, "before_seconds": 10},
    ]
    reply = await say(sandbox, place.channel, place.owner, "!case 2")
    fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
    assert reply["embeds"][0]["title"] == "Case #2 | Slowmode"
    assert (fields["Channel"], fields["Delay"]) == (f"<#{place.modlog}> (`{place.modlog}`)", "2m")
    reply = await say(sandbox, place.channel, place.owner, "!case 3")
    assert {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}["Delay"] == "No slowmode"


async def test_lock_and_unlock_the_channel_for_everyone(sandbox, bot, place):
    await set_config(sandbox, place, "modlog_channel_id", str(place.modlog))
    member = place.plain[0]
    await say(sandbox, place.channel, place.mod, f"!warn <@{member}> first")
    reply = await say(sandbox, place.channel, place.owner, "!lock raid in progress")
    assert reply["content"] == f"<#{place.channel}> is locked (case #2)."
    overwrites = sandbox.state.channels[place.channel].overwrites
    assert overwrites[place.guild].deny & perm.SEND_MESSAGES
    assert overwrites[sandbox.state.bot_user_id].allow == perm.SEND_MESSAGES  # the bot keeps its voice there
    with pytest.raises(SandboxError, match="may not send"):
        await sandbox.send_message(place.channel, member, "let me talk")
    reply = await say(sandbox, place.channel, place.owner, "!lock")
    assert reply["content"] == f"<#{place.channel}> is already locked."

    response = await slash(sandbox, place, place.owner, "unlock", {"reason": "over"})
    assert response["content"] == f"<#{place.channel}> is unlocked (case #3)."
    assert sandbox.state.channels[place.channel].overwrites == {}
    await sandbox.send_message(place.channel, member, "thanks")
    reply = await say(sandbox, place.channel, place.owner, "!unlock")
    assert reply["content"] == f"<#{place.channel}> is not locked."
    posts = [m["embeds"][0] for m in sandbox.bot_messages(place.modlog) if m["embeds"]]
    assert [e["title"] for e in posts] == [
        "Case #1 | Warning",
        "Case #2 | Channel locked",
        "Case #3 | Channel unlocked",
    ]
    fields = {f["name"]: f["value"] for f in posts[1]["fields"]}
    assert fields["Channel"] == f"<#{place.channel}> (`{place.channel}`)"
    assert (fields["Reason"], fields["Moderator"]) == ("raid in progress", f"<@{place.owner}>")
    (put,) = rest_calls(sandbox, "PUT", f"/channels/{place.channel}/permissions/{place.guild}")
    assert "raid in progress" in put.reason
    lock, unlock = await channel_cases(bot, place.guild)
    assert (lock.action, lock.reason, unlock.action, unlock.reason) == (
        Action.LOCK,
        "raid in progress",
        Action.UNLOCK,
        "over",
    )
    assert [c.action for c in await case_list(bot, place.guild, member)] == [Action.WARN]
    actions = [a for a in await audit_actions(bot, place.guild) if a.startswith("moderation")]
    assert actions == ["moderation.warn", "moderation.lock", "moderation.unlock"]


async def test_nick_resets_or_sets_a_nickname_within_the_hierarchy(sandbox, bot, place):
    member = place.plain[0]
    await sandbox.member_update(place.guild, member, nick="xX_edgelord_Xx")
    name = sandbox.state.users[member].username
    await set_config(sandbox, place, "modlog_channel_id", str(place.modlog))
    reply = await say(sandbox, place.channel, place.owner, f"!nick <@{member}>")
    assert reply["content"] == f"**{name}**'s nickname was reset (case #1)."
    assert sandbox.state.guild(place.guild).members[member].nick is None
    response = await slash(sandbox, place, place.owner, "nick", {"member": member, "nickname": "Alice"})
    assert response["content"] == f"**{name}** is now called Alice (case #2)."
    assert sandbox.state.guild(place.guild).members[member].nick == "Alice"
    response = await slash(sandbox, place, place.owner, "nick", {"member": sandbox.state.bot_user_id})
    assert response["ephemeral"] and response["content"] == "I can't moderate myself."
    reply = await say(sandbox, place.channel, place.mod, f"!nick <@{member}>")
    assert reply["content"] == "You need these permissions: Manage Nicknames."
    assert [a for a in await audit_actions(bot, place.guild) if a.startswith("moderation")] == ["moderation.nick"] * 2
    reset, renamed = await case_list(bot, place.guild, member)  # nick cases are the member's history
    assert (reset.number, reset.action, reset.target_kind, reset.details) == (
        1,
        Action.NICK,
        TargetKind.MEMBER,
        {"before": "xX_edgelord_Xx", "after": None},
    )
    assert (renamed.number, renamed.details) == (2, {"before": None, "after": "Alice"})
    posts = [m["embeds"][0] for m in sandbox.bot_messages(place.modlog) if m["embeds"]]
    assert [e["title"] for e in posts] == ["Case #1 | Nickname reset", "Case #2 | Nickname changed"]
    fields = {f["name"]: f["value"] for f in posts[1]["fields"]}
    assert (fields["User"], fields["Before"], fields["Nickname"]) == (f"<@{member}> (`{member}`)", "-", "Alice")
    reply = await say(sandbox, place.channel, place.owner, f"!modlogs <@{member}>")
    lines = reply["embeds"][0]["description"].splitlines()
    assert [line.split(" · ")[0] for line in lines] == ["**#2** Nickname changed", "**#1** Nickname reset"]
