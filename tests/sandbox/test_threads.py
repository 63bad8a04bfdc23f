"""Private threads in the sandbox, through an unmodified discord.py client: create, add and remove members, who
may see and post, messages and history, rename, lock, archive, delete; Discord's refusals."""

from __future__ import annotations

import discord
import pytest

from wolaro.sandbox import Sandbox
from wolaro.sandbox.errors import SandboxError


async def test_a_private_thread_lives_and_goes(sandbox: Sandbox, start_bot, expect):
    bot = await start_bot()
    guild_id = sandbox.guild_ids()[0]
    parent = bot.get_channel(sandbox.text_channel_ids(guild_id)[0])
    owner, mod, plain, other = sandbox.member_ids(guild_id)[:4]

    created = expect(bot, "thread_create")
    thread = await parent.create_thread(name="ticket-0001", type=discord.ChannelType.private_thread, invitable=False)
    assert (await created).id == thread.id
    assert thread.type is discord.ChannelType.private_thread and thread.parent_id == parent.id
    assert bot.get_guild(guild_id).get_thread(thread.id) is not None
    assert thread.id not in sandbox.state.guild(guild_id).channel_ids  # threads are listed apart
    with pytest.raises(SandboxError):
        await sandbox.send_message(thread.id, plain, "not a member yet")
    await sandbox.send_message(thread.id, owner, "admins see every private thread")

    joined = expect(bot, "thread_member_join")
    await thread.add_user(discord.Object(plain))
    assert (await joined).id == plain
    said = await sandbox.send_message(thread.id, plain, "hello from the thread")
    await thread.send("the bot answers")
    history = [m.content async for m in thread.history(limit=10, oldest_first=True)]
    assert history == ["admins see every private thread", "hello from the thread", "the bot answers"]
    assert int(said["channel_id"]) == thread.id
    for outside in (other, mod):  # a Moderator has no Manage Threads
        with pytest.raises(SandboxError):
            await sandbox.send_message(thread.id, outside, "still outside")

    await thread.edit(name="renamed", locked=True)
    assert sandbox.state.channels[thread.id].name == "renamed"
    with pytest.raises(SandboxError):
        await sandbox.send_message(thread.id, plain, "locked now")
    await thread.send("the bot (Manage Threads) still may")
    await thread.edit(locked=False)
    await thread.remove_user(discord.Object(plain))
    with pytest.raises(SandboxError):
        await sandbox.send_message(thread.id, plain, "removed")
    await thread.edit(archived=True)
    with pytest.raises(discord.HTTPException):
        await thread.add_user(discord.Object(plain))

    deleted = expect(bot, "raw_thread_delete")  # archived: discord.py no longer caches it
    await thread.delete()
    assert (await deleted).thread_id == thread.id
    assert thread.id not in sandbox.state.channels and thread.id not in sandbox.state.thread_members


async def test_thread_refusals_follow_discord(sandbox: Sandbox, start_bot):
    bot = await start_bot()
    guild_id = sandbox.guild_ids()[0]
    parent = bot.get_channel(sandbox.text_channel_ids(guild_id)[0])
    with pytest.raises(discord.HTTPException) as too_long:
        await parent.create_thread(name="x" * 101, type=discord.ChannelType.private_thread)
    assert too_long.value.status == 400
    thread = await parent.create_thread(name="t", type=discord.ChannelType.public_thread)
    assert thread.type is discord.ChannelType.public_thread
    assert len(await thread.fetch_members()) == 1  # the bot, which made it
