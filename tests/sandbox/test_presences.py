"""Presences at the wire level, as Discord sends them: only to a session with the privileged GUILD_PRESENCES intent
(1 << 8), in GUILD_CREATE (members not offline), PRESENCE_UPDATE and requested member chunks; plus the guild's own
events (GUILD_UPDATE for the AFK channel, GUILD_DELETE without `unavailable` when the bot is removed)."""

from __future__ import annotations

from wolaro.sandbox import Sandbox

GUILDS, GUILD_MEMBERS, GUILD_PRESENCES, GUILD_MESSAGES = 1, 1 << 1, 1 << 8, 1 << 9


async def test_presences_reach_only_sessions_with_the_intent(sandbox: Sandbox, raw_gateway):
    guild_id = sandbox.guild_ids()[0]
    owner, _, ada = sandbox.member_ids(guild_id)[:3]
    sandbox.state.guild(guild_id).presences[owner] = "online"
    without = await raw_gateway(intents=GUILDS | GUILD_MEMBERS | GUILD_MESSAGES)
    with_intent = await raw_gateway(intents=GUILDS | GUILD_MEMBERS | GUILD_PRESENCES)

    created = await with_intent.wait_for(lambda p: p.get("t") == "GUILD_CREATE" and p["d"]["id"] == str(guild_id))
    assert created["d"]["presences"] == [
        {"user": {"id": str(owner)}, "status": "online", "activities": [], "client_status": {"desktop": "online"}}
    ]
    plain = await without.wait_for(lambda p: p.get("t") == "GUILD_CREATE" and p["d"]["id"] == str(guild_id))
    assert plain["d"]["presences"] == []

    await sandbox.set_presence(guild_id, ada, "dnd")
    await sandbox.set_presence(guild_id, owner, "offline")
    first = await with_intent.wait_event("PRESENCE_UPDATE")
    assert first == {
        "user": {"id": str(ada)},
        "status": "dnd",
        "activities": [],
        "client_status": {"desktop": "dnd"},
        "guild_id": str(guild_id),
    }
    second = await with_intent.wait_for(lambda p: p.get("t") == "PRESENCE_UPDATE" and p["d"]["status"] == "offline")
    assert second["d"]["client_status"] == {} and second["d"]["user"] == {"id": str(owner)}
    await sandbox.send_message(sandbox.text_channel_ids(guild_id)[0], ada, "after the presences")
    await without.wait_event("MESSAGE_CREATE")  # everything before it was delivered: no presence among it
    assert not without.dispatched("PRESENCE_UPDATE")

    await with_intent.send(8, {"guild_id": str(guild_id), "query": "", "limit": 0, "presences": True, "nonce": "p"})
    chunk = await with_intent.wait_for(lambda p: p.get("t") == "GUILD_MEMBERS_CHUNK" and p["d"]["nonce"] == "p")
    assert [p["user"]["id"] for p in chunk["d"]["presences"]] == [str(ada)]


async def test_afk_channel_and_bot_removed(sandbox: Sandbox, raw_gateway):
    guild_id = sandbox.guild_ids()[0]
    voice = sandbox.voice_channel_ids(guild_id)[0]
    gw = await raw_gateway(intents=GUILDS)
    await sandbox.set_afk_channel(guild_id, voice)
    update = await gw.wait_event("GUILD_UPDATE")
    assert update["id"] == str(guild_id) and update["afk_channel_id"] == str(voice)
    await sandbox.remove_bot(guild_id)
    assert await gw.wait_event("GUILD_DELETE") == {"id": str(guild_id)}
