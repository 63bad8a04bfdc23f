"""REST at the HTTP level: Discord's error JSON, validation, uploads, history, channels, roles, interactions."""

from __future__ import annotations

import datetime as dt

import aiohttp
import pytest

from wolaro.sandbox import Sandbox
from wolaro.sandbox.errors import SandboxError
from wolaro.sandbox.snowflake import snowflake_from_ms
from wolaro.sandbox.state import Overwrite


async def test_json_content_type_auth_and_unknowns(sandbox: Sandbox, rest):
    resp, body = await rest("GET", "/users/@me", raw=True)
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/json"
    status, body = await rest("GET", "/users/@me", auth=False)
    assert (status, body["code"]) == (401, 0)
    status, body = await rest("GET", "/channels/123")
    assert (status, body) == (404, {"message": "Unknown Channel", "code": 10003})
    status, body = await rest("GET", "/no/such/route")
    assert (status, body["code"]) == (404, 0)
    assert sandbox.rest_log[-1].path == "/no/such/route" and sandbox.rest_log[-1].status == 404
    status, gateway = await rest("GET", "/gateway/bot")
    assert gateway["url"] == sandbox.gateway_url() and gateway["shards"] == 1
    assert gateway["session_start_limit"]["max_concurrency"] == 1


async def test_message_validation(sandbox: Sandbox, rest):
    channel = sandbox.text_channel_ids(sandbox.guild_ids()[0])[0]
    status, body = await rest("POST", f"/channels/{channel}/messages", json={"content": ""})
    assert (status, body["code"]) == (400, 50006)
    status, body = await rest("POST", f"/channels/{channel}/messages", json={"content": "x" * 2001})
    assert (status, body["code"]) == (400, 50035) and "content" in body["errors"]
    embed = {"title": "t", "fields": [{"name": "n", "value": "v"}] * 26}
    status, body = await rest("POST", f"/channels/{channel}/messages", json={"embeds": [embed]})
    assert (status, body["code"]) == (400, 50035)
    status, body = await rest("POST", f"/channels/{channel}/messages", json={"content": "ok", "flags": 64})
    assert (status, body["code"]) == (400, 50035)


async def test_enforce_nonce_returns_the_first_message_instead_of_a_second(sandbox: Sandbox, rest):
    channel = sandbox.text_channel_ids(sandbox.guild_ids()[0])[0]
    body = {"content": "once", "nonce": "reminder-7", "enforce_nonce": True}
    status, first = await rest("POST", f"/channels/{channel}/messages", json=body)
    status, again = await rest("POST", f"/channels/{channel}/messages", json=body)
    assert status == 200 and again["id"] == first["id"]
    status, other = await rest("POST", f"/channels/{channel}/messages", json={**body, "nonce": "reminder-8"})
    status, unenforced = await rest("POST", f"/channels/{channel}/messages", json={**body, "enforce_nonce": False})
    assert len({first["id"], other["id"], unenforced["id"]}) == 3
    assert [m["content"] for m in sandbox.bot_messages(channel)] == ["once"] * 3


async def test_multipart_upload_is_served_back(sandbox: Sandbox, rest):
    channel = sandbox.text_channel_ids(sandbox.guild_ids()[0])[1]
    form = aiohttp.FormData(quote_fields=False)
    form.add_field(
        "payload_json",
        '{"content": "transcript", "attachments": [{"id": 0, "filename": "log.txt"}]}',
        content_type="application/json",
    )
    form.add_field("files[0]", b"line one\nline two\n", filename="log.txt", content_type="application/octet-stream")
    status, message = await rest("POST", f"/channels/{channel}/messages", data=form)
    assert status == 200 and message["content"] == "transcript"
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "log.txt" and attachment["size"] == 18
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as resp:
        assert await resp.read() == b"line one\nline two\n"
    assert sandbox.rest_log[-1].files == [("log.txt", 18)]
    assert (await sandbox.wait_for_message(channel))["attachments"][0]["id"] == attachment["id"]


async def test_history_and_bulk_delete(sandbox: Sandbox, rest, raw_gateway):
    gw = await raw_gateway()
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    author = sandbox.member_ids(guild_id)[2]
    sent = [await sandbox.send_message(channel, author, f"m{i}") for i in range(5)]
    status, latest = await rest("GET", f"/channels/{channel}/messages", params={"limit": "2"})
    assert [m["content"] for m in latest] == ["m4", "m3"]
    status, older = await rest("GET", f"/channels/{channel}/messages", params={"before": sent[2]["id"]})
    assert [m["content"] for m in older] == ["m1", "m0"]
    status, newer = await rest("GET", f"/channels/{channel}/messages", params={"after": sent[2]["id"]})
    assert [m["content"] for m in newer] == ["m4", "m3"]
    status, body = await rest("POST", f"/channels/{channel}/messages/bulk-delete", json={"messages": [sent[0]["id"]]})
    assert (status, body["code"]) == (400, 50016)
    old = snowflake_from_ms(int((dt.datetime.now(dt.UTC) - dt.timedelta(days=15)).timestamp() * 1000))
    status, body = await rest(
        "POST", f"/channels/{channel}/messages/bulk-delete", json={"messages": [sent[0]["id"], str(old)]}
    )
    assert (status, body["code"]) == (400, 50034)
    ids = [sent[0]["id"], sent[1]["id"]]
    status, _ = await rest("POST", f"/channels/{channel}/messages/bulk-delete", json={"messages": ids})
    assert status == 204
    assert (await gw.wait_event("MESSAGE_DELETE_BULK"))["ids"] == ids
    assert [m["content"] for m in sandbox.state.messages[channel].values()] == ["m2", "m3", "m4"]
    # someone else's message: deleting needs Manage Messages, editing is refused
    status, body = await rest("PATCH", f"/channels/{channel}/messages/{sent[2]['id']}", json={"content": "x"})
    assert (status, body["code"]) == (403, 50005)
    status, _ = await rest("DELETE", f"/channels/{channel}/messages/{sent[2]['id']}")
    assert status == 204 and (await gw.wait_event("MESSAGE_DELETE"))["id"] == sent[2]["id"]


async def test_slowmode_and_overwrites(sandbox: Sandbox, rest, raw_gateway):
    gw = await raw_gateway()
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[2]
    status, data = await rest(
        "PATCH", f"/channels/{channel}", json={"rate_limit_per_user": 30}, headers={"X-Audit-Log-Reason": "raid"}
    )
    assert status == 200 and data["rate_limit_per_user"] == 30
    assert (await gw.wait_event("CHANNEL_UPDATE"))["rate_limit_per_user"] == 30
    assert sandbox.rest_log[-1].reason == "raid"
    user = sandbox.member_ids(guild_id)[3]
    await sandbox.send_message(channel, user, "first")
    with pytest.raises(SandboxError, match="slowmode"):
        await sandbox.send_message(channel, user, "second")
    await sandbox.send_message(channel, sandbox.member_ids(guild_id)[1], "mods bypass")  # Manage Messages
    await sandbox.send_message(channel, sandbox.member_ids(guild_id)[1], "mods bypass again")
    everyone = guild_id
    status, _ = await rest(
        "PUT", f"/channels/{channel}/permissions/{everyone}", json={"type": 0, "allow": "0", "deny": str(1 << 11)}
    )
    assert status == 204
    with pytest.raises(SandboxError, match="may not send"):
        await sandbox.send_message(channel, sandbox.member_ids(guild_id)[4], "locked")
    status, _ = await rest("DELETE", f"/channels/{channel}/permissions/{everyone}")
    assert status == 204 and not sandbox.state.channels[channel].overwrites
    # the bot cannot grant what it lacks (Administrator)
    status, body = await rest(
        "PUT", f"/channels/{channel}/permissions/{everyone}", json={"type": 0, "allow": str(1 << 3), "deny": "0"}
    )
    assert (status, body["code"]) == (403, 50013)


async def test_guild_roles_and_channels(sandbox: Sandbox, rest, raw_gateway):
    gw = await raw_gateway()
    guild_id = sandbox.guild_ids()[1]
    status, guild = await rest("PATCH", f"/guilds/{guild_id}", json={"verification_level": 3})
    assert status == 200 and guild["verification_level"] == 3
    assert (await gw.wait_event("GUILD_UPDATE"))["verification_level"] == 3
    status, role = await rest("POST", f"/guilds/{guild_id}/roles", json={"name": "Muted", "permissions": "0"})
    assert status == 200 and role["position"] == 1
    assert (await gw.wait_event("GUILD_ROLE_CREATE"))["role"]["name"] == "Muted"
    status, body = await rest("POST", f"/guilds/{guild_id}/roles", json={"name": "Boss", "permissions": str(1 << 3)})
    assert (status, body["code"]) == (403, 50013)
    admin = sandbox.role_id(guild_id, "Admin")
    status, body = await rest("PATCH", f"/guilds/{guild_id}/roles/{admin}", json={"name": "mine"})
    assert (status, body["code"]) == (403, 50013)
    status, created = await rest(
        "POST",
        f"/guilds/{guild_id}/channels",
        json={
            "name": "Ticket 1",
            "type": 0,
            "permission_overwrites": [
                {"id": str(guild_id), "type": 0, "allow": "0", "deny": str(1 << 10)},
            ],
        },
    )
    assert status == 200 and created["name"] == "ticket-1"
    assert (await gw.wait_event("CHANNEL_CREATE"))["id"] == created["id"]
    # @everyone cannot view it, the bot included: as on Discord, it needs its own overwrite
    status, body = await rest("DELETE", f"/channels/{created['id']}")
    assert (status, body["code"]) == (403, 50001)
    bot_role = sandbox.role_id(guild_id, "Wolaro")
    sandbox.state.channels[int(created["id"])].overwrites[bot_role] = Overwrite(bot_role, 0, allow=1 << 10)
    status, _ = await rest("DELETE", f"/channels/{created['id']}")
    assert status == 200 and int(created["id"]) not in sandbox.state.channels
    assert (await gw.wait_event("CHANNEL_DELETE"))["id"] == created["id"]


async def test_dm_channels(sandbox: Sandbox, rest):
    user = sandbox.member_ids(sandbox.guild_ids()[0])[2]
    status, dm = await rest("POST", "/users/@me/channels", json={"recipient_id": str(user)})
    assert status == 200 and dm["type"] == 1 and dm["recipients"][0]["id"] == str(user)
    status, _ = await rest("POST", f"/channels/{dm['id']}/messages", json={"content": "psst"})
    assert status == 200 and (await sandbox.wait_for_message(int(dm["id"])))["content"] == "psst"
    sandbox.state.users[user].dms_open = False
    status, body = await rest("POST", f"/channels/{dm['id']}/messages", json={"content": "psst"})
    assert (status, body["code"]) == (403, 50007)


async def _register(sandbox: Sandbox, rest) -> None:
    status, _ = await rest(
        "PUT",
        f"/applications/{sandbox.application_id}/commands",
        json=[
            {"name": "ping", "description": "Ping", "options": []},
            {
                "name": "roll",
                "description": "Roll",
                "options": [
                    {
                        "name": "sides",
                        "description": "Sides",
                        "type": 4,
                        "required": True,
                        "min_value": 2,
                        "choices": [{"name": "six", "value": 6}, {"name": "twenty", "value": 20}],
                    },
                ],
            },
        ],
    )
    assert status == 200


async def test_interaction_callback_rules(sandbox: Sandbox, rest):
    await _register(sandbox, rest)
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    user = sandbox.member_ids(guild_id)[2]
    with pytest.raises(SandboxError, match="choices"):
        await sandbox.invoke_slash(guild_id, channel, user, "roll", {"sides": 7})
    with pytest.raises(SandboxError, match="required"):
        await sandbox.invoke_slash(guild_id, channel, user, "roll")
    record = await sandbox.invoke_slash(guild_id, channel, user, "roll", {"sides": 20})
    assert record.payload["data"]["options"] == [{"name": "sides", "type": 4, "value": 20}]
    url = f"/interactions/{record.id}/{record.token}/callback"
    status, answer = await rest(
        "POST", url, auth=False, params={"with_response": "1"}, json={"type": 4, "data": {"content": "17"}}
    )
    assert status == 200
    assert answer["interaction"]["id"] == str(record.id) and answer["resource"]["type"] == 4
    assert answer["resource"]["message"]["content"] == "17"
    status, body = await rest("POST", url, auth=False, json={"type": 4, "data": {"content": "again"}})
    assert (status, body["code"]) == (400, 40060)
    hook = f"/webhooks/{sandbox.application_id}/{record.token}"
    status, followup = await rest(
        "POST", hook, auth=False, params={"wait": "true"}, json={"content": "secret", "flags": 64}
    )
    assert status == 200 and followup["flags"] & 64
    status, edited = await rest("PATCH", hook + "/messages/@original", auth=False, json={"content": "18"})
    assert status == 200 and edited["content"] == "18" and edited["edited_timestamp"]
    answer = await sandbox.wait_for_interaction_response(record)
    assert answer["content"] == "18" and [f["content"] for f in answer["followups"]] == ["secret"]

    late = await sandbox.invoke_slash(guild_id, channel, user, "ping")
    sandbox.interaction_timeout = 0
    status, body = await rest(
        "POST",
        f"/interactions/{late.id}/{late.token}/callback",
        auth=False,
        json={"type": 4, "data": {"content": "too late"}},
    )
    assert (status, body["code"]) == (404, 10062)


async def test_control_api(sandbox: Sandbox, rest):
    await _register(sandbox, rest)
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    user = sandbox.member_ids(guild_id)[2]
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        async with http.get("/_sandbox/state") as resp:
            state = await resp.json()
        assert [g["id"] for g in state["guilds"]] == [str(g) for g in sandbox.guild_ids()]
        assert state["global_commands"] == ["ping", "roll"]
        async with http.post(
            "/_sandbox/messages", json={"channel_id": channel, "author_id": user, "content": "hi"}
        ) as resp:
            assert resp.status == 200 and (await resp.json())["content"] == "hi"
        async with http.post("/_sandbox/messages", json={"channel_id": 1, "author_id": user, "content": "hi"}) as resp:
            assert resp.status == 400
        async with http.post(f"/_sandbox/members/{guild_id}", json={"username": "web"}) as resp:
            joined = await resp.json()
        async with http.post(
            f"/_sandbox/members/{guild_id}/{joined['user']['id']}",
            json={"roles": [sandbox.role_id(guild_id, "Member")]},
        ) as resp:
            assert (await resp.json())["roles"] == [str(sandbox.role_id(guild_id, "Member"))]
        async with http.post(
            "/_sandbox/interactions",
            json={"guild_id": guild_id, "channel_id": channel, "user_id": user, "name": "ping"},
        ) as resp:
            record = await resp.json()
        await rest(
            "POST",
            f"/interactions/{record['id']}/{record['token']}/callback",
            auth=False,
            json={"type": 4, "data": {"content": "pong"}},
        )
        async with http.get(f"/_sandbox/interactions/{record['id']}/response") as resp:
            assert (await resp.json())["content"] == "pong"
        async with http.get("/_sandbox/bot-messages", params={"channel_id": str(channel)}) as resp:
            assert [m["content"] for m in await resp.json()] == ["pong"]


async def test_pins_and_reactions(sandbox: Sandbox, rest, raw_gateway):
    gw = await raw_gateway()
    guild_id = sandbox.guild_ids()[0]
    channel = sandbox.text_channel_ids(guild_id)[0]
    message = await sandbox.send_message(channel, sandbox.member_ids(guild_id)[2], "pin me")
    status, _ = await rest("PUT", f"/channels/{channel}/messages/pins/{message['id']}")
    assert status == 204 and (await gw.wait_event("CHANNEL_PINS_UPDATE"))["last_pin_timestamp"]
    status, pins = await rest("GET", f"/channels/{channel}/messages/pins")
    assert [p["message"]["id"] for p in pins["items"]] == [message["id"]] and pins["items"][0]["message"]["pinned"]
    status, _ = await rest("PUT", f"/channels/{channel}/messages/{message['id']}/reactions/%F0%9F%91%8D/@me")
    assert status == 204
    reaction = await gw.wait_event("MESSAGE_REACTION_ADD")
    assert reaction["emoji"]["name"] == "👍" and reaction["user_id"] == str(sandbox.application_id)
    await sandbox.add_reaction(channel, int(message["id"]), sandbox.owner_id(guild_id), "👍")
    stored = sandbox.state.messages[channel][int(message["id"])]
    assert stored["reactions"][0]["count"] == 2 and stored["reactions"][0]["me"]
    status, users = await rest("GET", f"/channels/{channel}/messages/{message['id']}/reactions/%F0%9F%91%8D")
    assert {u["id"] for u in users} == {str(sandbox.application_id), str(sandbox.owner_id(guild_id))}
