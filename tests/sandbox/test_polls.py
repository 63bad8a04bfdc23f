"""Native polls in the sandbox, through an unmodified discord.py client: create, vote, voters, expire, limits."""

from __future__ import annotations

import datetime as dt

import discord
import pytest

from wolaro.sandbox import Sandbox


def fruit_poll(**kwargs) -> discord.Poll:
    poll = discord.Poll("Best fruit?", duration=dt.timedelta(hours=24), **kwargs)
    for text in ("apple", "pear", "plum"):
        poll.add_answer(text=text)
    return poll


async def test_a_poll_is_created_voted_on_listed_and_expired(sandbox: Sandbox, start_bot, expect):
    bot = await start_bot()
    guild = sandbox.guild_ids()[0]
    channel = bot.get_channel(sandbox.text_channel_ids(guild)[0])
    users = sandbox.member_ids(guild)
    message = await channel.send(poll=fruit_poll())
    stored = sandbox.state.message(channel.id, message.id)["poll"]
    assert [a["answer_id"] for a in stored["answers"]] == [1, 2, 3]
    assert stored["allow_multiselect"] is False and stored["results"]["is_finalized"] is False
    expiry = dt.datetime.fromisoformat(stored["expiry"])
    lasts = expiry - discord.utils.snowflake_time(message.id)
    assert abs(lasts - dt.timedelta(hours=24)) < dt.timedelta(seconds=5)

    seen = expect(bot, "raw_poll_vote_add")
    await sandbox.vote_poll(channel.id, message.id, users[1], 2)
    event = await seen
    assert (event.user_id, event.message_id, event.answer_id, event.guild_id) == (users[1], message.id, 2, guild)
    await sandbox.vote_poll(channel.id, message.id, users[2], 2)
    await sandbox.vote_poll(channel.id, message.id, users[3], 1)
    removed = expect(bot, "raw_poll_vote_remove")
    await sandbox.vote_poll(channel.id, message.id, users[3], 3)  # changes their mind: 1 -> 3
    assert (await removed).answer_id == 1
    await sandbox.vote_poll(channel.id, message.id, users[4], 1)
    await sandbox.vote_poll(channel.id, message.id, users[4])  # takes the vote back

    fetched = await channel.fetch_message(message.id)
    assert [a.vote_count for a in fetched.poll.answers] == [0, 2, 1]
    voters = [u.id async for u in fetched.poll.get_answer(2).voters()]
    assert sorted(voters) == sorted(users[1:3])

    updated = expect(bot, "raw_message_edit")
    ended = await fetched.end_poll()
    assert ended.poll.is_finalized() and [a.vote_count for a in ended.poll.answers] == [0, 2, 1]
    assert (await updated).data["poll"]["results"]["is_finalized"] is True
    result = list(sandbox.state.history(channel.id).values())[-1]
    assert result["type"] == 46 and result["message_reference"]["message_id"] == str(message.id)
    fields = {f["name"]: f["value"] for f in result["embeds"][0]["fields"]}
    assert (fields["victor_answer_text"], fields["victor_answer_votes"], fields["total_votes"]) == ("pear", "2", "3")
    with pytest.raises(discord.HTTPException) as late:
        await fetched.end_poll()
    assert late.value.code == 520001
    with pytest.raises(Exception, match="Poll expired"):
        await sandbox.vote_poll(channel.id, message.id, users[5], 1)


async def test_poll_limits_are_discords(sandbox: Sandbox, start_bot):
    bot = await start_bot()
    channel = bot.get_channel(sandbox.text_channel_ids(sandbox.guild_ids()[0])[0])
    too_many = discord.Poll("Pick", duration=dt.timedelta(hours=1))
    for n in range(11):
        too_many.add_answer(text=f"option {n}")
    with pytest.raises(discord.HTTPException) as error:
        await channel.send(poll=too_many)
    assert error.value.code == 50035 and "answers" in str(error.value)
    with pytest.raises(discord.HTTPException):
        await channel.send(poll=discord.Poll("Too long", duration=dt.timedelta(days=33)).add_answer(text="a"))
    multi = await channel.send(poll=fruit_poll(multiple=True))
    users = sandbox.member_ids(sandbox.guild_ids()[0])
    await sandbox.vote_poll(channel.id, multi.id, users[1], 1, 3)
    fetched = await channel.fetch_message(multi.id)
    assert [a.vote_count for a in fetched.poll.answers] == [1, 0, 1]
    expired = await sandbox.expire_poll(channel.id, multi.id)  # its time runs out
    assert expired["poll"]["results"]["is_finalized"] is True
