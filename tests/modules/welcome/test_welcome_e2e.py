"""Welcome end to end: templated greetings (channel, DM, embed, image card), goodbyes, delayed roles, sticky roles."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.support.moderation import Place, say

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def place(sandbox):
    return Place.of(sandbox)


@pytest_asyncio.fixture
async def welcome(sandbox, bot, place):
    """Welcome enabled in guild 0, the job worker running in the bot's process."""
    reply = await say(sandbox, place.channel, place.owner, "!modules enable welcome")
    assert "enabled" in reply["content"], reply["content"]
    jobs = bot.services.jobs
    jobs.bot = bot
    jobs.poll_interval = 0.2
    await jobs.start()
    return place


async def configure(bot, place, **changes):
    await bot.config.update_module_config(place.guild, "welcome", changes, actor_id=place.owner)


def roles_of(sandbox, guild: int, user: int) -> set[int]:
    return set(sandbox.state.guild(guild).members[user].roles)


async def test_a_join_gets_the_templated_message_then_its_roles_after_the_delay(sandbox, bot, welcome, eventually):
    place = welcome
    member_role = sandbox.role_id(place.guild, "Member")
    await configure(
        bot,
        place,
        join_channel_id=place.modlog,
        join_message="Hi {mention}, welcome to {guild}! You are #{count}. {unknown} stays.",
        autoroles=[member_role],
        autorole_delay_seconds=1,
    )
    joined = await sandbox.member_join(place.guild, username="zed")
    user = int(joined["user"]["id"])
    message = await sandbox.wait_for_message(place.modlog, timeout=5)
    guild = sandbox.state.guild(place.guild)
    assert (
        message["content"]
        == f"Hi <@{user}>, welcome to {guild.name}! You are #{len(guild.members)}. {{unknown}} stays."
    )
    assert [m["id"] for m in message["mentions"]] == [str(user)]
    assert member_role not in roles_of(sandbox, place.guild, user)  # not yet: the delay runs

    await eventually(lambda: member_role in roles_of(sandbox, place.guild, user), timeout=10)


async def test_embed_card_and_goodbye(sandbox, bot, welcome):
    place = welcome
    await configure(
        bot,
        place,
        join_channel_id=place.channel,
        join_embed=True,
        join_image=True,
        leave_channel_id=place.modlog,
        leave_message="{user} left {guild}.",
    )
    joined = await sandbox.member_join(place.guild, username="ymir")
    message = await sandbox.wait_for_message(place.channel, timeout=10)
    (embed,) = message["embeds"]
    assert embed["description"].startswith(f"Welcome <@{joined['user']['id']}> to **")
    assert embed["image"]["url"] == "attachment://welcome.png"
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "welcome.png" and attachment["size"] > 1000

    await sandbox.member_remove(place.guild, int(joined["user"]["id"]))
    goodbye = await sandbox.wait_for_message(place.modlog, timeout=5)
    assert goodbye["content"] == f"ymir left {sandbox.state.guild(place.guild).name}."


async def test_welcome_by_dm_and_roles_for_bots(sandbox, bot, welcome, eventually):
    place = welcome
    moderator = sandbox.role_id(place.guild, "Moderator")
    member_role = sandbox.role_id(place.guild, "Member")
    await configure(
        bot, place, join_dm=True, join_message="Welcome to {guild}!", bot_roles=[moderator], autoroles=[member_role]
    )
    joined = await sandbox.member_join(place.guild, username="helperbot", bot=True)
    user = int(joined["user"]["id"])
    await eventually(lambda: roles_of(sandbox, place.guild, user) == {moderator})
    human = await sandbox.member_join(place.guild, username="xena")
    human_id = int(human["user"]["id"])
    await eventually(lambda: roles_of(sandbox, place.guild, human_id) == {member_role})
    channel = await sandbox.open_dm(human_id)
    message = await sandbox.wait_for_message(channel, timeout=5)
    assert message["content"] == f"Welcome to {sandbox.state.guild(place.guild).name}!"


async def test_a_rejoin_gets_its_sticky_roles_back_but_not_roles_above_the_bot(sandbox, bot, welcome, eventually):
    place = welcome
    await configure(bot, place, sticky_roles=True)
    user = place.plain[0]
    moderator, member_role = sandbox.role_id(place.guild, "Moderator"), sandbox.role_id(place.guild, "Member")
    admin = sandbox.role_id(place.guild, "Admin")
    await sandbox.member_update(place.guild, user, roles=[member_role, moderator, admin])

    async def remembered() -> bool:
        from wolaro.modules.welcome import store

        return set(await store.roles_of(bot.services.db, place.guild, user)) == {member_role, moderator, admin}

    await eventually(remembered)
    await sandbox.member_remove(place.guild, user)
    await sandbox.member_join(place.guild, user_id=user)
    await eventually(lambda: roles_of(sandbox, place.guild, user) == {member_role, moderator})

    other = place.plain[1]  # sticky roles off: nothing comes back
    await configure(bot, place, sticky_roles=False)
    await sandbox.member_update(place.guild, other, roles=[member_role, moderator])
    await sandbox.member_remove(place.guild, other)
    await sandbox.member_join(place.guild, user_id=other)
    await say(sandbox, place.channel, place.owner, "!ping")
    assert roles_of(sandbox, place.guild, other) == set()


async def test_delayed_roles_arrive_after_a_restart(sandbox, bot, welcome, tmp_path, master_admin, eventually):
    """The delay is a durable job: the bot that saw the join stops before it is due, the next one gives the roles."""
    from tests.support.harness import bot_settings, running_bot

    place = welcome
    member_role = sandbox.role_id(place.guild, "Member")
    await configure(bot, place, autoroles=[member_role], autorole_delay_seconds=2)
    joined = await sandbox.member_join(place.guild, username="late")
    user = int(joined["user"]["id"])
    await say(sandbox, place.channel, place.owner, "!ping")  # the join has been handled
    await bot.services.jobs.stop()
    await bot.close()
    assert member_role not in roles_of(sandbox, place.guild, user)
    async with running_bot(sandbox, bot_settings(sandbox, tmp_path, master_admin_ids=[master_admin])) as again:
        jobs = again.services.jobs
        jobs.bot = again
        jobs.poll_interval = 0.2
        await jobs.start()
        await eventually(lambda: member_role in roles_of(sandbox, place.guild, user), timeout=15)


async def test_background_from_chat_and_the_test_command(sandbox, bot, welcome):
    import io

    from PIL import Image

    place = welcome
    picture = io.BytesIO()
    Image.new("RGB", (1000, 400), (200, 60, 60)).save(picture, "PNG")
    await sandbox.send_message(
        place.channel, place.owner, "!welcome background", files=[("bg.png", picture.getvalue())]
    )
    assert (await sandbox.wait_for_message(place.channel))["content"] == "The welcome image has its new background."
    await sandbox.send_message(place.channel, place.owner, "!welcome background", files=[("bg.png", b"GIF89a junk")])
    assert (await sandbox.wait_for_message(place.channel))["content"] == "That file is not a picture I can read."

    await configure(bot, place, join_image=True, join_message="Welcome {user} (#{count})!")
    shown = await say(sandbox, place.channel, place.owner, "!welcome")
    owner_name = sandbox.state.users[place.owner].username
    assert shown["content"].startswith(f"Welcome {owner_name} (#")
    (attachment,) = shown["attachments"]
    card = Image.open(io.BytesIO(sandbox.state.attachments[int(attachment["id"])]))
    assert card.size == (900, 300) and card.getpixel((880, 20))[0] > card.getpixel((880, 20))[2]  # the red background
    reply = await say(sandbox, place.channel, place.plain[0], "!welcome")
    assert reply["content"] == "You need the Manage Server permission to do this."  # members may not run it
