"""Issue 9 (dashboard security), in process: forged sessions, no default key, secrets at rest and in flight,
operator endpoints, audit flooding, and access lost by blacklist, failed re-checks or too many sockets.

The replays against a real `wolaro run` process are in `test_security_live.py`.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import select, text

from tests.support.web import Env, World, live, running_env, served
from tests.web.test_auth import oauth_login
from wolaro.cli_sandbox import sandbox_secret_key
from wolaro.data.models import AuditLog
from wolaro.sandbox import payloads
from wolaro.sandbox.oauth import emulator
from wolaro.settings import Settings
from wolaro.web import create_app
from wolaro.web.hub import MAX_CONNECTIONS_PER_USER
from wolaro.web.models import DashboardSession
from wolaro.web.security import CSRF_COOKIE, SESSION_COOKIE, MissingSecretKey, TokenCipher


# ----------------------------------------------------------------------------------------- 1. forged sessions
async def test_a_token_resigned_with_another_sub_is_401(env: Env) -> None:
    """The attack of the issue: one's own open session, `sub` changed to the master admin, signed with the key."""
    world = env.world
    cookies = await env.cookies_for(world.plain_a)
    claims = jwt.decode(cookies[SESSION_COOKIE], options={"verify_signature": False})
    claims["sub"] = str(world.master)
    secret = env.services.settings.secret_key
    assert secret is not None
    forged = env.client({**cookies, SESSION_COOKIE: jwt.encode(claims, secret.get_secret_value(), algorithm="HS256")})
    assert (await forged.get("/api/me")).status_code == 401
    assert (await forged.get(f"/api/guilds/{world.guild_b}/settings")).status_code == 401
    assert (await forged.patch(f"/api/guilds/{world.guild_b}/settings", json={"prefix": "x"})).status_code == 401
    assert (await env.client(cookies).get("/api/me")).json()["master_admin"] is False  # theirs still works


async def test_a_session_row_of_another_user_is_refused(env: Env) -> None:
    """The row binds the user: a sid naming user A whose row belongs to user B opens nothing."""
    world = env.world
    record = await env.web.sessions.create(
        world.plain_a, emulator(world.sandbox).issue_token(world.plain_a), max_age=60
    )
    async with env.services.db.transaction() as session:
        await session.execute(
            text("UPDATE dashboard_sessions SET user_id = :other WHERE id = :sid"),
            {"other": world.master, "sid": record.id},
        )
    env.web.sessions.forget(record.id)
    assert await env.web.sessions.get(record.id) is None
    # and a token naming the master on a sid that names someone else is refused before any lookup
    user = payloads.user(world.sandbox.state.users[world.master])
    token, _ = env.web.tokens.issue(user, record.id)
    assert env.web.tokens.read(token) is None


def test_there_is_no_default_secret_key(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.secret_key is None
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(_env_file=None, secret_key=SecretStr("short"))  # type: ignore[call-arg]


async def test_the_app_refuses_to_start_without_a_key(make_settings) -> None:
    from wolaro.core.services import Services

    services = await Services.start(make_settings())
    try:
        with pytest.raises(MissingSecretKey, match="SECRET_KEY"):
            create_app(services)
    finally:
        await services.close()


@pytest.mark.parametrize("command", ["api", "run"])
def test_wolaro_run_and_api_refuse_to_start_without_secret_key(command: str, tmp_path: Path) -> None:
    skip = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "API_ENABLED"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(DATA_DIR=str(tmp_path), DISCORD_TOKEN="x" * 30)
    result = subprocess.run(
        [sys.executable, "-m", "wolaro.cli", command], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr and "secrets.token_urlsafe" in result.stderr


def test_the_sandbox_makes_a_private_key_per_data_folder(tmp_path: Path) -> None:
    first = sandbox_secret_key(tmp_path / "one")
    again = sandbox_secret_key(tmp_path / "one")
    other = sandbox_secret_key(tmp_path / "two")
    assert first.get_secret_value() == again.get_secret_value() != other.get_secret_value()
    assert len(first.get_secret_value().encode()) >= 32
    mode = stat.S_IMODE((tmp_path / "one" / "secret_key").stat().st_mode)
    assert mode == 0o600


# ----------------------------------------------------------------------------------------- 5. secrets
async def test_discord_tokens_are_stored_encrypted(env: Env) -> None:
    browser = await oauth_login(env, env.world.owner_a)
    assert (await browser.get("/api/guilds")).status_code == 200
    issued = list(emulator(env.world.sandbox).tokens)  # the access token Discord gave the dashboard
    async with env.services.db.session() as session:
        row = (await session.scalars(select(DashboardSession))).one()
        columns = set((await session.execute(text("SELECT * FROM dashboard_sessions"))).keys())
    assert "access_token" not in columns and "refresh_token" not in columns
    assert not any(token in row.discord_tokens for token in issued)
    secret = env.services.settings.secret_key
    assert secret is not None
    opened = TokenCipher(secret.get_secret_value()).decrypt(row.discord_tokens)
    assert opened is not None and opened["access"] in issued and opened["refresh"]
    assert TokenCipher("another-key-another-key-another-key!").decrypt(row.discord_tokens) is None


async def test_an_expired_discord_token_is_refreshed(world: World, web_settings) -> None:
    async with running_env(world, web_settings(dashboard_guilds_ttl=0)) as env:
        oauth = emulator(world.sandbox)
        browser = await oauth_login(env, world.owner_a)
        assert (await browser.get("/api/guilds")).status_code == 200
        (first,) = list(oauth.tokens)
        oauth.expire(first)  # a week later
        guilds = await browser.get("/api/guilds")
        assert guilds.status_code == 200 and [g["id"] for g in guilds.json()] == [str(world.guild_a)]
        assert oauth.calls["refresh"] == 1 and env.web.sessions.refreshed == 1
        assert (await browser.get(f"/api/guilds/{world.guild_a}/settings")).status_code == 200
        assert oauth.calls["refresh"] == 1  # the new token is kept (encrypted) and reused
        # a refresh token Discord no longer honours ends the session: log in again
        oauth.revoke_user(world.owner_a)
        assert (await browser.get("/api/guilds")).status_code == 401


async def test_logout_revokes_the_tokens_at_discord(env: Env) -> None:
    oauth = emulator(env.world.sandbox)
    browser = await oauth_login(env, env.world.owner_a)
    access = next(iter(oauth.tokens))
    refresh = next(iter(oauth.refresh_tokens))
    assert (await browser.post("/auth/logout")).status_code == 204
    assert oauth.calls["revoke"] == 2 and refresh in oauth.revoked  # both asked; the refresh token took its pair
    assert access not in oauth.tokens and refresh not in oauth.refresh_tokens


async def test_the_login_redirect_never_follows_a_foreign_host(world: World, web_settings) -> None:
    async with running_env(world, web_settings()) as env:
        forged = await env.client().get("/auth/login", headers={"Host": "evil.test"})
        assert forged.status_code == 400 and "PUBLIC_URL" in forged.json()["detail"]
        allowed = await env.client().get("/auth/login", headers={"Host": "127.0.0.1:8080"})
        assert (
            allowed.status_code == 302
            and "redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2F" in allowed.headers["location"]
        )
    async with running_env(world, web_settings(public_url="https://dash.example"), present=[]) as env:
        resp = await env.client().get("/auth/login", headers={"Host": "evil.test"})
        assert (
            resp.status_code == 302
            and "redirect_uri=https%3A%2F%2Fdash.example%2Fauth%2Fcallback" in resp.headers["location"]
        )


async def test_metrics_docs_and_detailed_health_are_for_operators(world: World, web_settings) -> None:
    async with running_env(world, web_settings(metrics_allow_ips=[], metrics_token=SecretStr("ops-token"))) as env:
        anyone = env.client()
        for path in ("/metrics", "/docs", "/redoc", "/openapi.json"):
            refused = await anyone.get(path)
            assert refused.status_code == 403 and "METRICS_TOKEN" in refused.json()["detail"], path
        health = await anyone.get("/api/health")
        assert health.status_code == 200 and health.json() == {"status": "healthy"}
        operator = env.client()
        operator.headers["Authorization"] = "Bearer ops-token"
        assert (await operator.get("/metrics")).status_code == 200
        assert "/api/guilds/{guild_id}/settings" in (await operator.get("/openapi.json")).json()["paths"]
        assert (await operator.get("/api/health")).json()["database"] == "connected"
        operator.headers["Authorization"] = "Bearer wrong"
        assert (await operator.get("/metrics")).status_code == 403
    async with running_env(world, web_settings(metrics_allow_ips=["10.0.0.0/24"]), present=[]) as env:
        assert (await env.client().get("/metrics")).status_code == 200  # the client is 10.0.0.1
    async with running_env(world, web_settings(metrics_allow_ips=[], api_docs_public=True), present=[]) as env:
        assert (await env.client().get("/openapi.json")).status_code == 200
        assert (await env.client().get("/docs")).status_code == 200
        assert (await env.client().get("/metrics")).status_code == 403


async def test_a_master_admin_access_is_audited_once_per_session_and_guild(env: Env) -> None:
    world = env.world
    master = await env.as_user(world.master)
    for _ in range(5):  # a cross-site page can make a browser send as many GETs as it likes
        assert (await master.get(f"/api/guilds/{world.guild_b}/settings")).status_code == 200
    assert (await master.get(f"/api/guilds/{world.guild_b}/modules")).status_code == 200

    async def rows() -> int:
        async with env.services.db.session() as session:
            found = await session.scalars(
                select(AuditLog).where(AuditLog.guild_id == world.guild_b, AuditLog.action == "admin.guild_access")
            )
            return len(list(found))

    assert await rows() == 1
    again = await env.as_user(world.master)  # a new login is a new session
    await again.get(f"/api/guilds/{world.guild_b}/settings")
    assert await rows() == 2


# ----------------------------------------------------------------------------------------- 2. losing access
async def test_blacklisting_closes_the_guild_to_its_managers_at_once(env: Env) -> None:
    world = env.world
    owner_cookies = await env.cookies_for(world.owner_b)
    owner = env.client(owner_cookies)
    master = await env.as_user(world.master)
    async with served(env) as base, live(base, owner_cookies) as dashboard:
        assert (await dashboard.join(world.guild_b))["type"] == "joined"
        resp = await master.put(f"/api/guilds/{world.guild_b}/blacklist", json={"blacklisted": True})
        assert resp.status_code == 200
        revoked = await dashboard.expect("permission:revoked", timeout=1.0)
        assert revoked["guild_id"] == str(world.guild_b) and "blacklisted" in revoked["data"]["reason"]
        assert (await owner.get(f"/api/guilds/{world.guild_b}/settings")).status_code == 403
        assert str(world.guild_b) not in [g["id"] for g in (await owner.get("/api/guilds")).json()]
        # master admins keep it (to lift the blacklist)
        lifted = await master.put(f"/api/guilds/{world.guild_b}/blacklist", json={"blacklisted": False})
        assert lifted.status_code == 200
        assert (await owner.get(f"/api/guilds/{world.guild_b}/settings")).status_code == 200


async def test_a_socket_whose_recheck_fails_leaves_the_room(env: Env) -> None:
    """What the bot cannot see (here: the user deauthorised the app on Discord) is caught by the periodic check."""
    world = env.world
    env.web.hub.recheck_interval = 0.2
    env.web.access.ttl = 0.0  # every check reads Discord
    cookies = await env.cookies_for(world.owner_a)
    async with served(env) as base, live(base, cookies) as dashboard:
        assert (await dashboard.join(world.guild_a))["type"] == "joined"
        emulator(world.sandbox).revoke_user(world.owner_a)
        with pytest.raises(Exception):  # noqa: B017 - the server closes the socket (4401: log in again)
            for _ in range(20):
                await dashboard.recv(timeout=1.0)
        assert env.web.hub.rooms.get(world.guild_a) is None
    assert env.web.hub.rechecks >= 1


async def test_a_failed_recheck_fails_closed(env: Env) -> None:
    """Discord unreachable during a re-check: the socket leaves rather than stay on trust."""
    world = env.world
    cookies = await env.cookies_for(world.owner_a)
    async with served(env) as base, live(base, cookies) as dashboard:
        assert (await dashboard.join(world.guild_a))["type"] == "joined"
        env.web.access.ttl = 0.0
        env.web.access.forget_user(world.owner_a)
        original = env.web.discord.user_guilds

        async def unreachable(token: str) -> list[dict[str, Any]]:
            from wolaro.web.discord_api import DiscordError

            raise DiscordError(0, "Discord is unreachable")

        env.web.discord.user_guilds = unreachable  # type: ignore[method-assign,assignment]
        try:
            await env.web.hub.recheck_all()
        finally:
            env.web.discord.user_guilds = original  # type: ignore[method-assign]
        revoked = await dashboard.expect("permission:revoked", timeout=1.0)
        assert revoked["guild_id"] == str(world.guild_a)
        assert env.web.hub.rooms.get(world.guild_a) is None


async def test_sockets_per_user_are_capped(env: Env) -> None:
    cookies = await env.cookies_for(env.world.owner_a)
    from websockets.asyncio.client import connect

    async with served(env) as base:
        url = base.replace("http", "ws", 1) + "/ws"
        header = {"Cookie": f"{SESSION_COOKIE}={cookies[SESSION_COOKIE]}; {CSRF_COOKIE}={cookies[CSRF_COOKIE]}"}
        sockets = [await connect(url, additional_headers=header, proxy=None) for _ in range(MAX_CONNECTIONS_PER_USER)]
        try:
            for ws in sockets:
                assert '"hello"' in str(await asyncio.wait_for(ws.recv(), 5))
            extra = await connect(url, additional_headers=header, proxy=None)
            assert "too_many_connections" in str(await asyncio.wait_for(extra.recv(), 5))
            await asyncio.wait_for(extra.wait_closed(), 5)
            assert extra.close_code == 4429
            other = await env.cookies_for(env.world.owner_b)  # someone else is not affected
            async with live(base, other):
                pass
        finally:
            for ws in sockets:
                await ws.close()
