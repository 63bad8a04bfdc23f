"""A guild the bot was removed from (``remove_bot``): its REST routes answer as Discord's do for a guild the bot is
not in, with Discord's documented error payloads, until the bot is added back."""

from __future__ import annotations

import discord
import pytest

from wolaro.sandbox import Sandbox

UNKNOWN_GUILD = {"message": "Unknown Guild", "code": 10004}
MISSING_ACCESS = {"message": "Missing Access", "code": 50001}


async def test_guild_and_channel_routes_refuse_a_removed_guild(sandbox: Sandbox, rest, raw_gateway):
    gw = await raw_gateway()
    removed, kept = sandbox.guild_ids()
    member = sandbox.member_ids(removed)[2]
    channel = sandbox.text_channel_ids(removed)[0]
    application = sandbox.state.application_id
    await sandbox.remove_bot(removed)
    await gw.wait_event("GUILD_DELETE")

    for method, path in (
        ("GET", f"/guilds/{removed}?with_counts=true"),
        ("GET", f"/guilds/{removed}/members/{member}"),
        ("GET", f"/guilds/{removed}/members?limit=1000"),
        ("GET", f"/guilds/{removed}/channels"),
        ("GET", f"/guilds/{removed}/roles"),
    ):
        assert await rest(method, path) == (404, UNKNOWN_GUILD), path
    for method, path, body in (
        ("GET", f"/channels/{channel}", None),
        ("PATCH", f"/channels/{channel}", {"name": "renamed"}),
        ("POST", f"/channels/{channel}/messages", {"content": "still here?"}),
        ("PUT", f"/applications/{application}/guilds/{removed}/commands", []),
    ):
        assert await rest(method, path, json=body) == (403, MISSING_ACCESS), path
    assert sandbox.state.channels[channel].name != "renamed" and sandbox.bot_messages(channel) == []
    assert sandbox.rest_log[-1].status == 403

    # the other guild is untouched, and the bot's guild list no longer holds the removed one
    status, guild = await rest("GET", f"/guilds/{kept}")
    assert status == 200 and guild["id"] == str(kept)
    status, guilds = await rest("GET", "/users/@me/guilds")
    assert status == 200 and [g["id"] for g in guilds] == [str(kept)]

    # added back: the routes answer again
    await sandbox.add_bot(removed)
    status, guild = await rest("GET", f"/guilds/{removed}")
    assert status == 200 and guild["id"] == str(removed)
    status, _ = await rest("PATCH", f"/channels/{channel}", json={"name": "renamed"})
    assert status == 200 and sandbox.state.channels[channel].name == "renamed"


async def test_discord_py_reads_the_refusals_as_not_found_and_forbidden(sandbox: Sandbox, start_bot):
    bot = await start_bot()
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    await sandbox.remove_bot(guild_id)
    with pytest.raises(discord.NotFound) as unknown:
        await bot.fetch_guild(guild_id)
    assert unknown.value.code == 10004 and unknown.value.text == "Unknown Guild"
    with pytest.raises(discord.NotFound):
        await bot.http.get_member(guild_id, sandbox.member_ids(guild_id)[1])
    with pytest.raises(discord.Forbidden) as forbidden:
        await bot.http.send_message(channel, params=discord.http.handle_message_parameters(content="hi"))
    assert forbidden.value.code == 50001
