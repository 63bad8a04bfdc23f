"""Automod on the message fast path, through the real bot: clean chat builds no `discord.Message`, and every rule
still catches its message end to end (deleted over REST, sanctioned, exemptions kept)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from wolaro.modules.moderation.models import ModCase

pytestmark = [pytest.mark.timeout(60), pytest.mark.serial]  # timed: run alone (scripts/test.sh)

OFF = {"enabled": False}
ZALGO = "he\u0301\u0302\u0303\u0304\u0305llo"


async def enable(bot, guild: int, **automod) -> None:
    await bot.config.set_module_enabled(guild, "automod", True, actor_id=None)
    await bot.config.update_module_config(guild, "automod", automod, actor_id=None)


async def settle(sandbox, channel: int, author: int) -> None:
    """Wait until the bot has handled everything sent to this guild so far (a later command is answered)."""
    await sandbox.send_message(channel, author, "!prefix")
    await sandbox.wait_for_message(channel, predicate=lambda m: "prefix" in m["content"], timeout=5)


async def cases_of(bot, guild: int) -> list[ModCase]:
    async with bot.services.db.session() as session:
        return list(await session.scalars(select(ModCase).where(ModCase.guild_id == guild).order_by(ModCase.number)))


async def test_clean_chat_in_an_automod_guild_builds_no_message(sandbox, bot):
    guild = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild)[0]
    await enable(bot, guild, words={"enabled": True, "words": ["frobnicate"]}, caps={"enabled": True})
    await settle(sandbox, channel, sandbox.owner_id(guild))  # the guild's config is in the bot's local cache
    counted, built = bot.chat.counted, bot.chat.built
    authors = sandbox.member_ids(guild)[2:6]
    for n in range(12):
        await sandbox.send_message(channel, authors[n % len(authors)], f"a perfectly normal message, number {n}")
    await settle(sandbox, channel, sandbox.owner_id(guild))
    assert bot.chat.counted - counted == 12
    assert bot.chat.built - built == 1  # the command only
    assert len(sandbox.state.history(channel)) >= 12
    assert bot.get_cog("automod").caught == 0


async def test_every_rule_still_catches_from_the_payload(sandbox, bot, eventually):
    guild = sandbox.guild_ids()[0]
    channel, other, _ = sandbox.text_channel_ids(guild)
    owner, mod = sandbox.owner_id(guild), sandbox.member_ids(guild)[1]
    plain, second, third = sandbox.member_ids(guild)[2:5]
    member_role = sandbox.role_id(guild, "Member")
    await enable(
        bot,
        guild,
        spam=OFF,
        duplicates={"enabled": True, "max_repeats": 2},
        mentions={"enabled": True, "max_mentions": 2, "action": "warn"},
        invites={"enabled": True},
        links={"enabled": True, "domains": ["evil.example"], "exempt_channels": [other]},
        words={"enabled": True, "words": ["frobnicate"]},
        regex={"enabled": True, "patterns": [r"free\s+nitro"]},
        caps={"enabled": True, "exempt_roles": [member_role]},
        zalgo={"enabled": True},
    )
    await settle(sandbox, channel, owner)
    counted = bot.chat.counted

    caught = [
        f"hey <@{second}> <@{third}> <@&{member_role}> look",
        "join discord.gg/spamcode",
        "see https://evil.example/x",
        "do not frobnicate",
        "get your free   nitro here",
        ZALGO,
    ]
    for text in caught:
        sent = await sandbox.send_message(channel, plain, text)
        await sandbox.wait_for_request("DELETE", rf"/channels/{channel}/messages/{sent['id']}$")
    for _ in range(3):
        await sandbox.send_message(channel, second, "same old text")
    bulk = await sandbox.wait_for_request("POST", rf"/channels/{channel}/messages/bulk-delete$")
    assert len(bulk.json["messages"]) == 3
    assert "Automod: duplicates" in (bulk.reason or "")

    kept = [
        (channel, mod, "a moderator may frobnicate"),  # Manage Messages: left alone
        (channel, plain, "THIS IS ALL IN CAPITALS, BUT MEMBERS MAY"),  # the caps rule exempts the Member role
        (other, plain, "https://evil.example/ is fine in this channel"),  # the links rule exempts this channel
        (channel, third, "just a normal message"),
    ]
    for where, author, text in kept:
        await sandbox.send_message(where, author, text)
    await settle(sandbox, channel, owner)
    await settle(sandbox, other, owner)
    left = {m["content"] for c in (channel, other) for m in sandbox.state.history(c).values()}
    assert {text for _, _, text in kept} <= left
    assert not set(caught) & left and "same old text" not in left
    # every judged message stayed on the fast path (built: the commands, and the warning's DM to the member)
    assert bot.chat.counted - counted == len(caught) + 3 + len(kept)

    await eventually(lambda: cases_of(bot, guild))
    found = await cases_of(bot, guild)
    assert [(c.action, c.target_id, c.automated) for c in found] == [("warn", plain, True)]
    assert "mentions" in (found[0].reason or "")


async def test_a_spammer_is_timed_out_once_from_the_payload(sandbox, bot, eventually):
    guild = sandbox.guild_ids()[1]
    channel = sandbox.text_channel_ids(guild)[0]
    spammer = sandbox.member_ids(guild)[3]
    await enable(bot, guild, spam={"enabled": True, "max_messages": 3, "per_seconds": 10}, duplicates=OFF)
    await settle(sandbox, channel, sandbox.owner_id(guild))
    counted = bot.chat.counted
    for n in range(4):
        await sandbox.send_message(channel, spammer, f"message {n}")
    call = await sandbox.wait_for_request("PATCH", rf"/guilds/{guild}/members/{spammer}$", timeout=5)
    assert call.json["communication_disabled_until"] is not None
    await settle(sandbox, channel, sandbox.owner_id(guild))
    assert not [m for m in sandbox.state.history(channel).values() if int(m["author"]["id"]) == spammer]
    assert bot.chat.counted - counted == 4  # judged from the payload, none built
    await eventually(lambda: cases_of(bot, guild))
    assert [(c.action, c.target_id) for c in await cases_of(bot, guild)] == [("timeout", spammer)]
