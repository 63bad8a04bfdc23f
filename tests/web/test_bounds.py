"""Every input of the API is bounded: request bodies (413), config lists and strings, Discord ids (422 naming the
field, never a 500), and the audit log's pages stay small whatever an old row holds (issue 9, item 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from tests.support.web import Env
from wolaro.core.snowflake import SNOWFLAKE_MAX
from wolaro.data import guilds as repo
from wolaro.web.limits import MAX_BODY_BYTES

TOO_BIG_ID = "9" * 20  # a 20-digit number: beyond 2**63 - 1, SQLite raised OverflowError on it


async def test_a_body_over_the_limit_is_413_declared_or_streamed(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    url = f"/api/guilds/{guild}/modules/antiraid"
    million_ids = {"lock_channel_ids": list(range(10**18, 10**18 + 1_000_000))}  # ~20 MB, accepted before
    resp = await client.patch(url, json=million_ids)
    assert resp.status_code == 413, resp.text[:200]
    assert "too large" in resp.json()["detail"]

    word = "x" * 5_000_000  # a 5 MB single word
    resp = await client.patch(f"/api/guilds/{guild}/settings", json={"prefix": word})
    assert resp.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked, counted as it arrives
        yield b'{"lock_channel_ids": ['
        for _ in range(200):
            yield b"1000000000000000000, " * 200
        yield b"1]}"

    resp = await client.patch(url, content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert "content-length" not in {k.lower() for k in resp.request.headers}

    # nothing was written
    assert (await client.get(url)).json()["config"]["lock_channel_ids"] == []
    # a body under the limit still goes through
    assert MAX_BODY_BYTES > 1000
    resp = await client.patch(url, json={"lock_channel_ids": [str(10**18)]})
    assert resp.status_code == 200 and resp.json()["config"]["lock_channel_ids"] == [str(10**18)]


async def test_config_lists_strings_and_ids_are_bounded_with_the_field_named(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    antiraid = f"/api/guilds/{guild}/modules/antiraid"
    schema = (await client.get(antiraid)).json()["config_schema"]
    assert schema["properties"]["lock_channel_ids"]["maxItems"] == 50  # the form can show the limit

    resp = await client.patch(antiraid, json={"lock_channel_ids": [str(10**18 + i) for i in range(51)]})
    assert resp.status_code == 422 and resp.json()["field"] == "lock_channel_ids"
    for bad in (TOO_BIG_ID, "0", "-4", True):
        resp = await client.patch(antiraid, json={"alert_channel_id": bad})
        assert resp.status_code == 422 and resp.json()["field"] == "alert_channel_id", (bad, resp.text)
        resp = await client.patch(antiraid, json={"lock_channel_ids": [bad]})
        assert resp.status_code == 422 and resp.json()["field"] == "lock_channel_ids.0", (bad, resp.text)
    resp = await client.patch(antiraid, json={"alert_channel_id": str(SNOWFLAKE_MAX)})
    assert resp.status_code == 200 and resp.json()["config"]["alert_channel_id"] == str(SNOWFLAKE_MAX)

    moderation = f"/api/guilds/{guild}/modules/moderation"
    resp = await client.patch(moderation, json={"warn_expiry": "1" * 10_000 + "d"})
    assert resp.status_code == 422 and resp.json()["field"] == "warn_expiry"
    resp = await client.patch(moderation, json={"modlog_channel_id": TOO_BIG_ID})
    assert resp.status_code == 422 and resp.json()["field"] == "modlog_channel_id"
    steps = [{"warns": n, "action": "kick"} for n in range(1, 30)]
    resp = await client.patch(moderation, json={"escalation": steps})
    assert resp.status_code == 422 and resp.json()["field"] == "escalation"

    resp = await client.patch(f"/api/guilds/{guild}/settings", json={"prefix": "p" * 500})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "prefix"]
    resp = await client.patch(f"/api/guilds/{guild}/modules/utility", json={f"k{i}": 1 for i in range(101)})
    assert resp.status_code == 422


async def test_ids_in_paths_and_queries_are_422_not_500(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    resp = await client.get(f"/api/guilds/{guild}/audit", params={"actor_id": TOO_BIG_ID})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["query", "actor_id"]
    for bad in ("0", "-1"):
        assert (await client.get(f"/api/guilds/{guild}/audit", params={"actor_id": bad})).status_code == 422
    resp = await client.get(f"/api/guilds/{guild}/audit", params={"before": TOO_BIG_ID})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["query", "before"]
    resp = await client.get(f"/api/guilds/{TOO_BIG_ID}/settings")
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["path", "guild_id"]
    # the connection is still fine, and a real id filters
    resp = await client.get(f"/api/guilds/{guild}/audit", params={"actor_id": str(SNOWFLAKE_MAX)})
    assert resp.status_code == 200 and resp.json()["entries"] == []


async def test_the_audit_page_stays_small_whatever_an_old_row_holds(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    huge = list(range(10**18, 10**18 + 200_000))  # a change stored before configs were bounded
    async with env.services.db.transaction() as session:
        for _ in range(3):
            repo.add_audit(
                session,
                guild_id=guild,
                actor_id=env.world.owner_a,
                action="module.config",
                target="automod",
                before={"words": ["w" * 5_000_000]},
                after={"exempt_roles": huge},
            )
    resp = await client.get(f"/api/guilds/{guild}/audit", params={"limit": 200})
    assert resp.status_code == 200
    assert len(resp.content) < 30_000, len(resp.content)
    entry = resp.json()["entries"][0]
    assert entry["after"]["exempt_roles"][:2] == [str(10**18), str(10**18 + 1)]
    assert entry["after"]["exempt_roles"][-1] == f"… {200_000 - 50} more"
    assert len(entry["before"]["words"][0]) == 501 and entry["before"]["words"][0].endswith("…")
    assert (await client.get(f"/api/guilds/{guild}/audit", params={"limit": 201})).status_code == 422


async def test_a_full_config_keeps_the_module_get_small(env: Env) -> None:
    guild = env.world.guild_a
    client = await env.as_user(env.world.owner_a)
    url = f"/api/guilds/{guild}/modules/antiraid"
    resp = await client.patch(url, json={"lock_channel_ids": [str(SNOWFLAKE_MAX - i) for i in range(50)]})
    assert resp.status_code == 200
    assert len(orjson.dumps(resp.json()["config"])) < 4_000
