"""Fixtures for the dashboard API: the sandbox as Discord, real Services, the app, logged-in clients.

`web_backend` runs a test twice: on the embedded defaults (SQLite, in-process cache and pub/sub) and on
PostgreSQL + Redis. The bot is not running in most of these tests: its presence is recorded in `bot_guilds` as the
bot would (`mark_present`), and Discord (OAuth and REST) is the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import SecretStr

from wolaro.core.services import Services
from wolaro.data.database import Database
from wolaro.data.models import BotGuild, utcnow
from wolaro.sandbox import Sandbox, payloads
from wolaro.sandbox.oauth import emulator
from wolaro.settings import Settings
from wolaro.web import create_app
from wolaro.web.context import Web
from wolaro.web.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """Two guilds (A, B) of six members: member 0 owns the guild (Admin), member 1 Moderator, the rest plain."""
    async with Sandbox(guilds=2, members_per_guild=6) as sb:
        yield sb


@dataclass
class World:
    """Who is who in the sandbox for these tests."""

    sandbox: Sandbox
    guild_a: int
    guild_b: int
    owner_a: int
    owner_b: int
    plain_a: int
    master: int


@pytest.fixture
def world(sandbox: Sandbox) -> World:
    a, b = sandbox.guild_ids()
    return World(
        sandbox=sandbox,
        guild_a=a,
        guild_b=b,
        owner_a=sandbox.owner_id(a),
        owner_b=sandbox.owner_id(b),
        plain_a=sandbox.member_ids(a)[2],
        master=sandbox.member_ids(a)[5],
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres-redis", marks=[pytest.mark.postgres, pytest.mark.redis])])
def web_backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Storage settings: SQLite + memory, or PostgreSQL + Redis."""
    if request.param == "sqlite":
        return {"database_url": request.getfixturevalue("sqlite_url")}
    return {
        "database_url": request.getfixturevalue("postgres_url"),
        "redis_url": request.getfixturevalue("redis_url"),
        "redis_prefix": request.getfixturevalue("redis_prefix"),
    }


@pytest.fixture
def web_settings(make_settings: Callable[..., Settings], world: World, web_backend: dict[str, Any]):
    """`web_settings(**overrides)`: settings pointing at the sandbox, rate limits off unless asked for."""

    def build(**overrides: Any) -> Settings:
        sb = world.sandbox
        values: dict[str, Any] = {
            "discord_token": SecretStr(sb.token),
            "discord_api_base": sb.api_base,
            "discord_client_id": sb.application_id,
            "discord_client_secret": SecretStr(emulator(sb).client_secret),
            "master_admin_ids": [world.master],
            "api_rate_limits": False,
            "secret_key": SecretStr("test-secret-key-0123456789abcdef0123456789"),
            "metrics_allow_ips": ["127.0.0.1", "10.0.0.1"],  # the test clients read detailed health and metrics
            "allowed_hosts": ["testserver", "127.0.0.1"],  # the login redirect may be built from these Host headers
            "log_level": "WARNING",
            "log_format": "console",
            **web_backend,
        }
        values.update(overrides)
        return make_settings(**values)

    return build


async def mark_present(db: Database, guild_ids: list[int], *, shard_id: int = 0) -> None:
    """Record that the bot is in these guilds, as its presence recorder does."""
    async with db.transaction() as session:
        for guild_id in guild_ids:
            session.add(BotGuild(id=guild_id, shard_id=shard_id, name=f"guild {guild_id}", seen_at=utcnow()))


@dataclass
class Env:
    """A running dashboard app on real services, and ways to call it as someone."""

    world: World
    services: Services
    app: FastAPI
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def web(self) -> Web:
        return self.app.state.web

    async def cookies_for(self, user_id: int) -> dict[str, str]:
        """Log `user_id` in (a session with a real sandbox OAuth token), as the callback would."""
        sb = self.world.sandbox
        token = emulator(sb).issue_token(user_id)
        record = await self.web.sessions.create(user_id, token, max_age=self.services.settings.session_max_age)
        jwt_value, claims = self.web.tokens.issue(payloads.user(sb.state.users[user_id]), record.id)
        return {SESSION_COOKIE: jwt_value, CSRF_COOKIE: claims.csrf}

    def client(self, cookies: dict[str, str] | None = None, *, csrf: bool = True) -> httpx.AsyncClient:
        """An httpx client on the app (ASGI, no network), with these cookies and the CSRF header."""
        headers = {CSRF_HEADER: cookies[CSRF_COOKIE]} if cookies and csrf else {}
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, client=("10.0.0.1", 1234)),
            base_url="http://testserver",
            cookies=cookies or {},
            headers=headers,
        )
        self.clients.append(client)
        return client

    async def as_user(self, user_id: int, *, csrf: bool = True) -> httpx.AsyncClient:
        """A logged-in client."""
        return self.client(await self.cookies_for(user_id), csrf=csrf)


@contextlib.asynccontextmanager
async def running_env(world: World, settings: Settings, *, present: list[int] | None = None) -> AsyncIterator[Env]:
    """Services + app on `settings`, the bot marked present in `present` (default: every sandbox guild)."""
    services = await Services.start(settings)
    env = Env(world, services, create_app(services))
    try:
        await mark_present(services.db, world.sandbox.guild_ids() if present is None else present)
        yield env
    finally:
        for client in env.clients:
            await client.aclose()
        await env.web.close()
        await services.close()


@pytest_asyncio.fixture
async def env(world: World, web_settings: Callable[..., Settings]) -> AsyncIterator[Env]:
    """The dashboard on the embedded defaults and on PostgreSQL + Redis, the bot present in guilds A and B."""
    async with running_env(world, web_settings()) as running:
        yield running


class LiveClient:
    """A dashboard WebSocket client (the real protocol over a real socket)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        return orjson.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def expect(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The next message of type `kind` (earlier ones of other types are skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            message = await self.recv(max(0.01, deadline - asyncio.get_running_loop().time()))
            if message["type"] == kind:
                return message

    async def silent(self, within: float = 0.3) -> bool:
        """True if nothing arrives within `within` seconds."""
        try:
            message = await self.recv(within)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message {message}")

    async def join(self, guild_id: int) -> dict[str, Any]:
        await self.send({"type": "join", "guild_id": str(guild_id)})
        while True:
            message = await self.recv()
            if message["type"] in ("joined", "error"):
                return message


@contextlib.asynccontextmanager
async def live(base_url: str, cookies: dict[str, str] | None, **headers: str) -> AsyncIterator[LiveClient]:
    """Open `/ws` with these cookies; the hello message is consumed."""
    from websockets.asyncio.client import connect

    cookie = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    extra = {"Cookie": cookie, **headers} if cookie else headers
    async with connect(base_url.replace("http", "ws", 1) + "/ws", additional_headers=extra, proxy=None) as ws:
        client = LiveClient(ws)
        hello = await client.recv()
        assert hello["type"] == "hello", hello
        yield client


@contextlib.asynccontextmanager
async def served(env: Env) -> AsyncIterator[str]:
    """The app on a real port (for WebSocket clients); yields its base URL."""
    from wolaro.web.server import serving

    async with serving(env.app, env.services.settings, host="127.0.0.1", port=0, lifespan="off") as server:
        yield f"http://127.0.0.1:{server.port}"


async def log_in_over_http(base: str, user_id: int) -> dict[str, str]:
    """Log `user_id` in to a live dashboard at `base` through the sandbox's Discord OAuth, as a browser would.

    Returns the session and CSRF cookies, after checking `/api/me` answers as that user.
    """
    from wolaro.web.security import CSRF_COOKIE, SESSION_COOKIE

    async with httpx.AsyncClient(base_url=base, timeout=10) as browser:
        start = await browser.get("/auth/login", params={"next": "/api/me"})
        consent = await browser.get(start.headers["location"] + f"&user_id={user_id}")
        done = await browser.get(consent.headers["location"])
        assert done.status_code == 302, done.text
        cookies = {name: browser.cookies[name] for name in (SESSION_COOKIE, CSRF_COOKIE)}
        me = await browser.get("/api/me")
        assert me.status_code == 200 and me.json()["id"] == str(user_id), me.text
    return cookies
