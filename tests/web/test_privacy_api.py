"""`GET /api/me/data` and `DELETE /api/me/data`: a logged-in user downloads, then erases, their own data."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from wolaro.data.guilds import add_audit
from wolaro.data.models import AuditLog
from wolaro.web.models import DashboardSession
from wolaro.web.security import SESSION_COOKIE


async def _seed(env, user_id: int, guild_id: int, other: int) -> None:
    async with env.services.db.transaction() as session:
        add_audit(session, guild_id=guild_id, actor_id=user_id, action="core.prefix", target=str(guild_id))
        add_audit(session, guild_id=guild_id, actor_id=other, action="moderation.warn", target=str(user_id))
        add_audit(session, guild_id=guild_id, actor_id=other, action="core.prefix", target=str(guild_id))


async def test_a_user_downloads_then_erases_their_data_and_is_logged_out(env, world) -> None:
    me, other = world.owner_a, world.owner_b
    await _seed(env, me, world.guild_a, other)
    client = await env.as_user(me)
    second_login = await env.as_user(me)

    response = await client.get("/api/me/data")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == f'attachment; filename="wolaro-data-{me}.json"'
    export = orjson.loads(response.content)
    assert export["user_id"] == str(me) and export["scope"] == "everywhere"
    audit = export["data"]["platform"]["audit_log"]
    assert sorted((row["action"], row["you_did_it"]) for row in audit) == [
        ("core.prefix", True),
        ("moderation.warn", False),
    ]
    assert len(export["data"]["platform"]["dashboard_logins"]) == 2
    assert "discord_tokens" not in response.text

    refused = await env.client(await env.cookies_for(me), csrf=False).delete("/api/me/data")
    assert refused.status_code == 403  # a write without the CSRF header

    response = await client.delete("/api/me/data")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["erased"] == sum(body["by_module"].values()) and body["by_module"]["platform"] >= 4
    assert SESSION_COOKIE in response.headers.get("set-cookie", "")

    async with env.services.db.session() as session:
        logins = (await session.execute(select(DashboardSession).where(DashboardSession.user_id == me))).all()
        rows = (await session.execute(select(AuditLog).order_by(AuditLog.id))).scalars().all()
    assert logins == []
    assert [(r.actor_id, r.target) for r in rows] == [
        (None, str(world.guild_a)),
        (other, None),
        (other, str(world.guild_a)),
    ]
    assert (await second_login.get("/api/me/data")).status_code == 401  # every login ended
    assert (await client.get("/api/me/data")).status_code == 401


async def test_my_data_needs_a_login(env) -> None:
    assert (await env.client().get("/api/me/data")).status_code == 401
    assert (await env.client().delete("/api/me/data")).status_code == 401


async def test_the_server_picker_offers_download_and_deletion(env, world) -> None:
    page = await (await env.as_user(world.owner_a)).get("/")
    assert page.status_code == 200
    assert 'href="/api/me/data"' in page.text and "Download my data" in page.text
    assert 'data-action="erase-my-data"' in page.text and "/static/account.js" in page.text
    script = await env.client().get("/static/account.js")
    assert script.status_code == 200 and '"/api/me/data", { method: "DELETE" }' in script.text
