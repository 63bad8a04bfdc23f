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


async def test_the_gateway_says_nothing_of_a_removed_guild_and_leaves_it_out_of_ready(sandbox: Sandbox, raw_gateway):
    gw = await raw_gateway()
    removed, kept = sandbox.guild_ids()
    author = sandbox.member_ids(removed)[2]
    await sandbox.remove_bot(removed)
    await gw.wait_event("GUILD_DELETE")
    await sandbox.send_message(sandbox.text_channel_ids(removed)[0], author, "not for the bot")
    await sandbox.send_message(sandbox.text_channel_ids(kept)[0], sandbox.member_ids(kept)[2], "for the bot")
    message = await gw.wait_event("MESSAGE_CREATE")
    assert message["guild_id"] == str(kept)  # the removed guild's message never came

    again = await raw_gateway()  # a new session: READY and its GUILD_CREATEs hold only the guilds the bot is in
    (ready,) = again.dispatched("READY")
    assert [g["id"] for g in ready["guilds"]] == [str(kept)]
    await again.wait_event("GUILD_CREATE")
    assert [g["id"] for g in again.dispatched("GUILD_CREATE")] == [str(kept)]
    assert sandbox.gateway.is_ready()  # every guild the bot is in was delivered

    await sandbox.add_bot(removed)  # added back: the guild comes with a GUILD_CREATE, its events flow again
    created = await again.wait_for(lambda p: p.get("t") == "GUILD_CREATE" and p["d"]["id"] == str(removed))
    assert created["d"]["name"] == sandbox.state.guild(removed).name
    await sandbox.send_message(sandbox.text_channel_ids(removed)[0], author, "for the bot again")
    back = await again.wait_for(lambda p: p.get("t") == "MESSAGE_CREATE" and p["d"]["guild_id"] == str(removed))
    assert back["d"]["content"] == "for the bot again"
