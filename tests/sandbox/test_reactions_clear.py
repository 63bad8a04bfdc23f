"""Clearing reactions in the sandbox, through an unmodified discord.py client: all of them, or one emoji's."""

from __future__ import annotations

import discord
import pytest

from wolaro.sandbox import Sandbox
from wolaro.sandbox.errors import SandboxError


async def test_the_bot_clears_all_reactions_or_one_emoji(sandbox: Sandbox, start_bot, expect):
    bot = await start_bot()
    guild = sandbox.guild_ids()[0]
    channel = bot.get_channel(sandbox.text_channel_ids(guild)[0])
    users = sandbox.member_ids(guild)
    sent = await channel.send("react to me")
    for user, emoji in ((users[1], "⭐"), (users[2], "⭐"), (users[2], "👍")):
        await sandbox.add_reaction(channel.id, sent.id, user, emoji)

    one = expect(bot, "raw_reaction_clear_emoji")
    await sent.clear_reaction("⭐")
    event = await one
    assert (event.message_id, event.channel_id, event.guild_id, str(event.emoji)) == (sent.id, channel.id, guild, "⭐")
    fetched = await channel.fetch_message(sent.id)
    assert [(str(r.emoji), r.count) for r in fetched.reactions] == [("👍", 1)]

    everything = expect(bot, "raw_reaction_clear")
    await fetched.clear_reactions()
    assert (await everything).message_id == sent.id
    assert (await channel.fetch_message(sent.id)).reactions == []
    await sandbox.add_reaction(channel.id, sent.id, users[1], "⭐")  # the same member may react again
    assert [r.count for r in (await channel.fetch_message(sent.id)).reactions] == [1]


async def test_clearing_needs_manage_messages(sandbox: Sandbox, start_bot):
    bot = await start_bot()
    guild = sandbox.guild_ids()[0]
    channel_id = sandbox.text_channel_ids(guild)[0]
    users = sandbox.member_ids(guild)
    message = await sandbox.send_message(channel_id, users[3], "hello")
    await sandbox.add_reaction(channel_id, int(message["id"]), users[4], "⭐")
    with pytest.raises(SandboxError):
        await sandbox.clear_reactions(channel_id, int(message["id"]), users[3])  # a plain member
    await sandbox.clear_reactions(channel_id, int(message["id"]), users[1], "⭐")  # the Moderator
    assert sandbox.state.message(channel_id, int(message["id"]))["reactions"] == []
    assert isinstance(bot.get_channel(channel_id), discord.TextChannel)
