"""The foundation end to end: real discord.py bot, real gateway and REST through the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from wolaro.data.models import AuditLog

pytestmark = pytest.mark.timeout(60)


def place(sandbox, index=0):
    guild = sandbox.guild_ids()[index]
    return guild, sandbox.text_channel_ids(guild)[0], sandbox.owner_id(guild)


async def say(sandbox, channel, author, content):
    """Post as a user and return the bot's next message in that channel."""
    await sandbox.send_message(channel, author, content)
    return await sandbox.wait_for_message(channel, timeout=5)


async def slash(sandbox, guild, channel, user, name, options=None, subcommand=None):
    record = await sandbox.invoke_slash(guild, channel, user, name, options, subcommand=subcommand)
    return await sandbox.wait_for_interaction_response(record, timeout=5)


async def assert_silent_before(sandbox, guild, channel, author, content):
    """`content` gets no answer: a later command that does answer arrives first (events run in order)."""
    await sandbox.send_message(channel, author, content)
    config = await sandbox_bot_prefix(sandbox, channel, author)
    assert config.startswith("The prefix here is")


async def sandbox_bot_prefix(sandbox, channel, author):
    await sandbox.send_message(channel, author, "!prefix")
    reply = await sandbox.wait_for_message(channel, timeout=5)
    return reply["content"]


async def test_prefix_and_slash_ping_answer(sandbox, bot):
    guild, channel, owner = place(sandbox)
    reply = await say(sandbox, channel, owner, "!ping")
    assert reply["content"].startswith("Pong!")
    response = await slash(sandbox, guild, channel, owner, "ping")
    assert response["content"].startswith("Pong!")


async def test_disabled_module_is_silent_in_that_guild_only(sandbox, bot):
    guild_a, channel_a, owner_a = place(sandbox, 0)
    _, channel_b, owner_b = place(sandbox, 1)
    reply = await say(sandbox, channel_a, owner_a, "!modules disable utility")
    assert "disabled" in reply["content"]

    await assert_silent_before(sandbox, guild_a, channel_a, owner_a, "!ping")
    response = await slash(sandbox, guild_a, channel_a, owner_a, "ping")
    assert response["ephemeral"] and "disabled" in response["content"]

    reply = await say(sandbox, channel_b, owner_b, "!ping")
    assert reply["content"].startswith("Pong!")

    help_reply = await say(sandbox, channel_a, owner_a, "!help")
    fields = [field["name"] for field in help_reply["embeds"][0]["fields"]]
    assert "utility" not in fields and "core" in fields


async def test_invalid_config_value_is_refused_and_nothing_changes(sandbox, bot):
    guild, channel, owner = place(sandbox)
    response = await slash(
        sandbox, guild, channel, owner, "config", {"module": "utility", "key": "embed_colour", "value": "blue"}, "set"
    )
    assert response["ephemeral"]
    assert "Colour of info cards" in response["content"] and "Invalid value" in response["content"]
    response = await slash(
        sandbox, guild, channel, owner, "config", {"module": "utility", "key": "no_such_key", "value": "1"}, "set"
    )
    assert response["ephemeral"] and "no_such_key" in response["content"]
    config = await bot.config.get(guild)
    assert config.module_configs["utility"]["embed_colour"] == 0x5865F2
    async with bot.services.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog)) == 0

    response = await slash(
        sandbox, guild, channel, owner, "config", {"module": "utility", "key": "embed_colour", "value": "255"}, "set"
    )
    assert not response["content"].startswith("Invalid")
    assert (await bot.config.get(guild)).module_configs["utility"]["embed_colour"] == 255


async def test_settings_commands_need_manage_server(sandbox, bot):
    guild, channel, _ = place(sandbox)
    plain = sandbox.member_ids(guild)[3]
    response = await slash(sandbox, guild, channel, plain, "prefix", {"new_prefix": "?"})
    assert response["ephemeral"] and "Manage Server" in response["content"]
    response = await slash(sandbox, guild, channel, plain, "modules", {"module": "utility"}, "disable")
    assert response["ephemeral"] and "Manage Server" in response["content"]
    assert (await bot.config.get(guild)).prefix == "!"


async def test_prefix_change_applies_at_once_and_only_there(sandbox, bot):
    _, channel_a, owner_a = place(sandbox, 0)
    _, channel_b, owner_b = place(sandbox, 1)
    reply = await say(sandbox, channel_a, owner_a, "!prefix ?")
    assert "`?`" in reply["content"]
    assert (await say(sandbox, channel_a, owner_a, "?ping"))["content"].startswith("Pong!")
    assert (await say(sandbox, channel_b, owner_b, "!ping"))["content"].startswith("Pong!")
    await sandbox.send_message(channel_a, owner_a, "!ping")
    await sandbox.send_message(channel_a, owner_a, "?prefix")
    reply = await sandbox.wait_for_message(channel_a, timeout=5)
    assert reply["content"] == "The prefix here is `?`."


async def test_language_switches_replies_to_french(sandbox, bot):
    _, channel, owner = place(sandbox)
    await say(sandbox, channel, owner, "!language fr")
    reply = await say(sandbox, channel, owner, "!prefix")
    assert reply["content"] == "Le préfixe ici est `!`."


async def test_rate_limit_gives_a_clear_ephemeral_refusal(sandbox, bot):
    guild, channel, _ = place(sandbox)
    user = sandbox.member_ids(guild)[2]
    answers = [await slash(sandbox, guild, channel, user, "avatar") for _ in range(6)]
    assert all(not a["ephemeral"] for a in answers[:5])
    assert answers[5]["ephemeral"] and "try again" in answers[5]["content"]


async def test_master_admin_blacklists_and_reloads(sandbox, bot, master_admin):
    guild_a, channel_a, owner_a = place(sandbox, 0)
    guild_b, channel_b, owner_b = place(sandbox, 1)
    response = await slash(sandbox, guild_a, channel_a, owner_a, "admin", {"guild_id": str(guild_b)}, "blacklist")
    assert response["ephemeral"] and "master admins" in response["content"]

    response = await slash(sandbox, guild_a, channel_a, master_admin, "admin", {"guild_id": str(guild_b)}, "blacklist")
    assert "blacklisted" in response["content"]
    await sandbox.send_message(channel_b, owner_b, "!ping")
    reply = await say(sandbox, channel_a, owner_a, "!ping")  # guild A answers; B's ping got nothing
    assert reply["channel_id"] == str(channel_a)
    assert not [m for m in sandbox.bot_messages(channel_b) if m["content"].startswith("Pong")]

    response = await slash(sandbox, guild_a, channel_a, master_admin, "admin", {"module": "utility"}, "reload")
    assert "reloaded" in response["content"]
    assert (await say(sandbox, channel_a, owner_a, "!ping"))["content"].startswith("Pong!")

    response = await slash(sandbox, guild_a, channel_a, master_admin, "admin", None, "stats")
    assert response["embeds"][0]["title"] == "Bot statistics"
    response = await slash(
        sandbox, guild_a, channel_a, master_admin, "admin", {"guild_id": str(guild_b)}, "unblacklist"
    )
    assert (await say(sandbox, channel_b, owner_b, "!ping"))["content"].startswith("Pong!")


async def test_help_is_grouped_by_module_from_docstrings(sandbox, bot):
    guild, channel, owner = place(sandbox)
    response = await slash(sandbox, guild, channel, owner, "help")
    fields = {field["name"]: field["value"] for field in response["embeds"][0]["fields"]}
    assert set(fields) >= {"core", "utility"} and "admin" not in fields
    assert "help" in fields["core"]
    assert "gateway latency" in fields["utility"]
    response = await slash(sandbox, guild, channel, owner, "help", {"command": "prefix"})
    assert "Example" in response["content"]
