"""The economy's dashboard API: the shop editor's routes and the leaderboard with names and pictures.

On the real app with real services (SQLite, and PostgreSQL + Redis); Discord is the sandbox.
"""

from __future__ import annotations

import pytest

from tests.support.web import env, sandbox, web_backend, web_settings, world  # noqa: F401 (fixtures)
from wolaro.modules.economy import bank, people

pytestmark = pytest.mark.timeout(60)


async def test_the_shop_editor_routes(env):  # noqa: F811
    guild, sb = env.world.guild_a, env.world.sandbox
    owner = await env.as_user(env.world.owner_a)
    base = f"/api/guilds/{guild}/modules/economy"
    empty = (await owner.get(f"{base}/shop")).json()
    assert empty["items"] == [] and "Moderator" in [r["name"] for r in empty["roles"]]
    assert "@everyone" not in [r["name"] for r in empty["roles"]]

    vip_role = str(sb.role_id(guild, "Moderator"))
    made = await owner.post(f"{base}/shop", json={"name": "VIP", "price": 5000, "role_id": vip_role})
    assert made.status_code == 201, made.text
    vip = made.json()
    assert (vip["name"], vip["price"], vip["role_id"], vip["available"]) == ("VIP", 5000, vip_role, True)
    clash = await owner.post(f"{base}/shop", json={"name": "vip", "price": 1})
    assert clash.status_code == 422
    assert clash.json()["detail"] == [
        {"loc": ["body", "name"], "msg": "The shop already has an item called VIP.", "type": "value_error"}
    ]
    for bad in (
        {"name": "", "price": 1},
        {"name": "X", "price": -1},
        {"name": "X" * 65, "price": 1},
        {"name": "X", "price": 10**16},
        {"name": "X", "price": 1, "role_id": "0"},
    ):
        assert (await owner.post(f"{base}/shop", json=bad)).status_code == 422, bad

    edited = await owner.put(
        f"{base}/shop/{vip['id']}",
        json={"name": "VIP pass", "price": 4000, "role_id": vip_role, "description": "Shiny", "available": False},
    )
    assert edited.status_code == 200 and edited.json()["name"] == "VIP pass" and not edited.json()["available"]
    assert (await owner.put(f"{base}/shop/999", json={"name": "Nope", "price": 1})).status_code == 422
    for bad_id in ("0", "9223372036854775807", "x"):
        assert (await owner.put(f"{base}/shop/{bad_id}", json={"name": "N", "price": 1})).status_code == 422
        assert (await owner.delete(f"{base}/shop/{bad_id}")).status_code == 422
    listed = (await owner.get(f"{base}/shop")).json()["items"]
    assert [(i["name"], i["price"], i["description"]) for i in listed] == [("VIP pass", 4000, "Shiny")]

    plain = await env.as_user(env.world.plain_a)
    assert (await plain.get(f"{base}/shop")).status_code == 403
    assert (await env.client().get(f"{base}/shop")).status_code == 401
    no_csrf = await env.as_user(env.world.owner_a, csrf=False)
    assert (await no_csrf.delete(f"{base}/shop/{vip['id']}")).status_code == 403
    other = await env.as_user(env.world.owner_b)
    assert (await other.delete(f"{base}/shop/{vip['id']}")).status_code == 403
    assert (await owner.delete(f"{base}/shop/{vip['id']}")).status_code == 204
    assert (await owner.get(f"{base}/shop")).json()["items"] == []

    bad = await owner.patch(base, json={"work_min": 500, "work_max": 100})
    assert bad.status_code == 422 and bad.json()["field"] == "work_max", bad.text
    assert "The highest work pay must be at least the lowest." in bad.text

    script = await owner.get(f"{base}/assets/shop.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert (await owner.get(f"{base}/assets/secrets.py")).status_code == 404


async def test_the_leaderboard_has_names_pictures_and_pages(env):  # noqa: F811
    guild, sb = env.world.guild_a, env.world.sandbox
    owner = await env.as_user(env.world.owner_a)
    members = sb.member_ids(guild)
    for rank, user in enumerate(members):
        await bank.give(env.services.db, guild, env.world.owner_a, user, 100 * (rank + 1), max_total=10**9)
    board = (await owner.get(f"/api/guilds/{guild}/modules/economy/leaderboard")).json()
    assert (board["page"], board["pages"]) == (1, 1)
    top = board["rows"][0]
    assert top["rank"] == 1 and top["user_id"] == str(members[-1]) and top["total"] == 100 * len(members)
    assert top["name"] == sb.display_name(guild, members[-1])
    assert top["avatar_url"].startswith("https://cdn.discordapp.com/")
    assert [r["total"] for r in board["rows"]] == sorted((r["total"] for r in board["rows"]), reverse=True)
    far = (await owner.get(f"/api/guilds/{guild}/modules/economy/leaderboard?page=9")).json()
    assert far["page"] == 1
    assert (await owner.get(f"/api/guilds/{guild}/modules/economy/leaderboard?page=0")).status_code == 422


async def test_the_public_leaderboard_is_off_until_the_server_turns_it_on(env):  # noqa: F811
    guild, sb = env.world.guild_a, env.world.sandbox
    owner = await env.as_user(env.world.owner_a)
    rich, poor = sb.member_ids(guild)[2:4]
    await bank.give(env.services.db, guild, env.world.owner_a, rich, 900, max_total=10**9)
    await bank.give(env.services.db, guild, env.world.owner_a, poor, 40, max_total=10**9)
    await people.remember(
        env.services.db, guild, [people.Person(rich, "Rich Rita", "abc123"), people.Person(poor, "Pat", None)]
    )
    public = f"/public/guilds/{guild}/economy/leaderboard"
    assert (await env.client().get(public)).status_code == 404  # module off
    assert (await owner.put(f"/api/guilds/{guild}/modules/economy/enabled", json={"enabled": True})).status_code == 200
    assert (await env.client().get(public)).status_code == 404  # on, but not public
    managed = await owner.get(f"/guilds/{guild}/modules/economy/leaderboard")
    assert managed.status_code == 200 and "turn on “Public leaderboard”" in managed.text
    made = await owner.patch(f"/api/guilds/{guild}/modules/economy", json={"public_leaderboard": True})
    assert made.status_code == 200, made.text
    page = await env.client().get(public)
    assert page.status_code == 200
    assert page.text.index("Rich Rita") < page.text.index("Pat") and "🪙 900 coins" in page.text
    assert f"https://cdn.discordapp.com/avatars/{rich}/abc123.png" in page.text
    assert "2 members hold money here." in page.text
    other = env.world.guild_b
    assert (await env.client().get(f"/public/guilds/{other}/economy/leaderboard")).status_code == 404
