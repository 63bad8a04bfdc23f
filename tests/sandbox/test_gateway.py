"""The gateway at the wire level: HELLO, heartbeats, IDENTIFY errors, zlib-stream, intents, op 8, RESUME."""

from __future__ import annotations

import aiohttp

from wolaro.sandbox import Sandbox

from .conftest import RawGateway

GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, MESSAGE_CONTENT = 1, 1 << 1, 1 << 9, 1 << 15


async def test_hello_heartbeat_and_sequence(sandbox: Sandbox):
    gw = RawGateway(sandbox)
    hello = await gw.connect(identify=False)
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 60_000
    await gw.send(1, None)
    ack = await gw.wait_for(lambda p: p.get("op") == 11)
    assert ack["d"] is None
    await gw.send(2, {"token": sandbox.token, "intents": 513, "properties": {}})
    ready = await gw.wait_event("READY")
    assert ready["v"] == 10 and ready["shard"] == [0, 1]
    assert ready["resume_gateway_url"] == sandbox.gateway_url()
    assert {g["id"] for g in ready["guilds"]} == {str(g) for g in sandbox.guild_ids()}
    await gw.wait_for(lambda p: len([e for e in gw.events if e.get("t") == "GUILD_CREATE"]) == 2)
    seqs = [p["s"] for p in gw.events if p.get("op") == 0]
    assert seqs == list(range(1, len(seqs) + 1))
    await gw.close()


async def test_bad_token_closes_4004(sandbox: Sandbox):
    gw = RawGateway(sandbox)
    await gw.connect(token="wrong")
    closed = await gw.wait_for(lambda p: p.get("op") is None)
    assert closed["closed"] == 4004
    await gw.close()


async def test_zlib_stream_uses_binary_frames_and_one_compressor(sandbox: Sandbox, raw_gateway):
    gw = await raw_gateway(compress=True)
    await gw.wait_for(lambda p: len(gw.dispatched("GUILD_CREATE")) == 2)
    assert all(f.type is aiohttp.WSMsgType.BINARY and f.data.endswith(b"\x00\x00\xff\xff") for f in gw.frames)
    guild_id = sandbox.guild_ids()[0]
    await sandbox.send_message(sandbox.text_channel_ids(guild_id)[0], sandbox.member_ids(guild_id)[2], "zipped")
    assert (await gw.wait_event("MESSAGE_CREATE"))["content"] == "zipped"


async def test_text_mode_uses_text_frames(raw_gateway):
    gw = await raw_gateway()
    assert gw.frames and all(f.type is aiohttp.WSMsgType.TEXT for f in gw.frames)


async def test_intents_filter_events_and_message_content(sandbox: Sandbox, raw_gateway):
    gw = await raw_gateway(intents=GUILDS | GUILD_MESSAGES)
    guild_id = sandbox.guild_ids()[0]
    create = await gw.wait_event("GUILD_CREATE")
    assert [m["user"]["id"] for m in create["members"]] == [str(sandbox.application_id)]
    await sandbox.member_join(guild_id, username="quiet")
    await sandbox.send_message(sandbox.text_channel_ids(guild_id)[0], sandbox.member_ids(guild_id)[2], "hidden")
    message = await gw.wait_event("MESSAGE_CREATE")
    assert message["content"] == "" and message["author"]["id"] == str(sandbox.member_ids(guild_id)[2])
    assert not gw.dispatched("GUILD_MEMBER_ADD")


async def test_request_guild_members_op8(sandbox: Sandbox, raw_gateway):
    gw = await raw_gateway()
    guild_id = sandbox.guild_ids()[1]
    name = sandbox.state.users[sandbox.member_ids(guild_id)[3]].username
    await gw.send(8, {"guild_id": str(guild_id), "query": name, "limit": 5, "nonce": "n1"})
    chunk = await gw.wait_event("GUILD_MEMBERS_CHUNK")
    assert chunk["nonce"] == "n1" and chunk["chunk_count"] == 1
    assert [m["user"]["username"] for m in chunk["members"]] == [name]
    await gw.send(8, {"guild_id": str(guild_id), "user_ids": [str(sandbox.owner_id(guild_id)), "1"], "nonce": "n2"})
    chunk = await gw.wait_for(lambda p: p.get("t") == "GUILD_MEMBERS_CHUNK" and p["d"]["nonce"] == "n2")
    assert chunk["d"]["not_found"] == ["1"] and len(chunk["d"]["members"]) == 1


async def test_resume_unknown_session_is_invalid(sandbox: Sandbox):
    gw = RawGateway(sandbox)
    await gw.connect(identify=False)
    await gw.send(6, {"token": sandbox.token, "session_id": "nope", "seq": 3})
    invalid = await gw.wait_for(lambda p: p.get("op") == 9)
    assert invalid["d"] is False
    await gw.close()


async def test_raw_resume_replays_from_seq(sandbox: Sandbox, raw_gateway):
    first = await raw_gateway()
    ready = await first.wait_event("READY")
    await first.wait_for(lambda p: len(first.dispatched("GUILD_CREATE")) == 2)
    seq = max(p["s"] for p in first.events if p.get("op") == 0)
    await sandbox.drop_connection(0)
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    await sandbox.send_message(channel, sandbox.member_ids(guild_id)[2], "missed")
    second = RawGateway(sandbox)
    await second.connect(identify=False)
    await second.send(6, {"token": sandbox.token, "session_id": ready["session_id"], "seq": seq})
    await second.wait_event("RESUMED")
    kinds = [(p["t"], p["s"]) for p in second.events if p.get("op") == 0]
    assert kinds == [("MESSAGE_CREATE", seq + 1), ("RESUMED", seq + 2)]
    await second.close()


async def test_wait_until_ready_needs_every_guild(sandbox: Sandbox, raw_gateway):
    async with Sandbox(guilds=4, members_per_guild=2, shards=2) as sb:
        gw = RawGateway(sb)
        await gw.connect(identify=False)
        await gw.send(2, {"token": sb.token, "intents": 513, "properties": {}, "shard": [0, 2]})
        await gw.wait_event("READY")
        assert not sb.gateway.is_ready()
        other = RawGateway(sb)
        await other.connect(identify=False)
        await other.send(2, {"token": sb.token, "intents": 513, "properties": {}, "shard": [1, 2]})
        await sb.wait_until_ready(timeout=5)
        await gw.close()
        await other.close()
