"""Fixtures for the sandbox's own tests: a Sandbox with discord.py pointed at it, and plain discord.py bots.

These bots are bare discord.py (not Wolaro): they check that the emulator speaks Discord to an
unmodified client.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import discord
import discord.asset
import discord.gateway
import discord.http
import pytest
from discord.ext import commands

from wolaro.core.discord_endpoint import point_discord_at
from wolaro.sandbox import Sandbox

#: discord.py fires on_ready this long after the last GUILD_CREATE (default 2 s); locally they arrive at once.
GUILD_READY_TIMEOUT = 0.3


class SandboxBot(commands.Bot):
    """A commands.Bot that does not wait 5 s before re-IDENTIFYing (discord.py's default hook does)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("guild_ready_timeout", GUILD_READY_TIMEOUT)
        super().__init__(*args, **kwargs)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


class ShardedSandboxBot(commands.AutoShardedBot):
    """AutoShardedBot without the 5 s pause between shard IDENTIFYs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("guild_ready_timeout", GUILD_READY_TIMEOUT)
        super().__init__(*args, **kwargs)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def full_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True
    return intents


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(guilds=2, members_per_guild=6, heartbeat_interval_ms=60_000) as sb:
        point_discord_at(sb.api_base)
        yield sb


StartBot = Callable[..., Awaitable[commands.Bot]]


@pytest.fixture
async def start_bot(sandbox: Sandbox) -> AsyncIterator[StartBot]:
    """``await start_bot(bot)`` logs ``bot`` in to the sandbox and returns once on_ready has fired."""
    running: list[tuple[commands.Bot, asyncio.Task[None]]] = []

    async def start(bot: commands.Bot | None = None, *, sb: Sandbox | None = None, **kwargs: Any) -> commands.Bot:
        target = sb or sandbox
        if bot is None:
            bot = SandboxBot(command_prefix="!", intents=kwargs.pop("intents", full_intents()), **kwargs)
        await bot.login(target.token)
        task = asyncio.create_task(bot.connect())
        running.append((bot, task))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait([ready, task], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            task.result()
            raise RuntimeError("bot stopped before READY")
        if ready not in done:
            ready.cancel()
            raise TimeoutError("bot not ready after 10 s")
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


@pytest.fixture
def expect() -> Callable[..., asyncio.Task[Any]]:
    """``expect(bot, "member_join")``: start waiting for a discord.py event now, before triggering it."""

    def waiter(bot: commands.Bot, event: str, check: Callable[..., bool] | None = None) -> asyncio.Task[Any]:
        return asyncio.ensure_future(bot.wait_for(event, check=check, timeout=5))

    return waiter


class RawGateway:
    """A hand-rolled gateway client (no discord.py) that records every dispatch it receives."""

    def __init__(self, sb: Sandbox, *, intents: int = (1 << 16) - 1, compress: bool = False) -> None:
        self.sb = sb
        self.intents = intents
        self.compress = compress
        self.events: list[dict[str, Any]] = []
        self.frames: list[aiohttp.WSMessage] = []
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._inflate = zlib.decompressobj()
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, *, identify: bool = True, token: str | None = None) -> dict[str, Any]:
        """Open the socket; return HELLO; IDENTIFY unless told not to."""
        self.session = aiohttp.ClientSession()
        query = "?v=10&encoding=json" + ("&compress=zlib-stream" if self.compress else "")
        self.ws = await self.session.ws_connect(self.sb.gateway_url() + query)
        hello = await self.receive()
        self._reader = asyncio.create_task(self._read())
        if identify:
            await self.send(
                2, {"token": token or self.sb.token, "intents": self.intents, "properties": {}, "large_threshold": 250}
            )
        return hello

    async def send(self, op: int, d: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str(json.dumps({"op": op, "d": d}))

    async def receive(self) -> dict[str, Any]:
        assert self.ws is not None
        msg = await self.ws.receive(timeout=5)
        self.frames.append(msg)
        if msg.type is aiohttp.WSMsgType.BINARY:
            return json.loads(self._inflate.decompress(msg.data))
        if msg.type is aiohttp.WSMsgType.TEXT:
            return json.loads(msg.data)
        return {"op": None, "closed": self.ws.close_code}

    async def _read(self) -> None:
        while True:
            payload = await self.receive()
            self.events.append(payload)
            self._changed.set()
            if payload.get("op") is None:
                return

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first received payload (any op) matching ``predicate`` (5 s at most)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while True:
            for payload in self.events:
                if predicate(payload):
                    return payload
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), max(0.01, deadline - loop.time()))

    async def wait_event(self, name: str) -> dict[str, Any]:
        return (await self.wait_for(lambda p: p.get("t") == name))["d"]

    def dispatched(self, name: str) -> list[dict[str, Any]]:
        return [p["d"] for p in self.events if p.get("t") == name]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self.session is not None:
            await self.session.close()


@pytest.fixture
async def raw_gateway(sandbox: Sandbox) -> AsyncIterator[Callable[..., Awaitable[RawGateway]]]:
    """``await raw_gateway(intents=..., compress=...)``: a connected, identified RawGateway."""
    opened: list[RawGateway] = []

    async def open_(**kwargs: Any) -> RawGateway:
        gw = RawGateway(sandbox, **kwargs)
        opened.append(gw)
        await gw.connect()
        await gw.wait_event("READY")
        return gw

    yield open_
    for gw in opened:
        await gw.close()


@pytest.fixture
async def rest(sandbox: Sandbox) -> AsyncIterator[Callable[..., Awaitable[tuple[int, Any]]]]:
    """``await rest("GET", "/channels/1", json=..., auth=True)`` -> (status, parsed body)."""
    session = aiohttp.ClientSession()

    async def call(method: str, path: str, *, auth: bool = True, raw: bool = False, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if auth:
            headers["Authorization"] = f"Bot {sandbox.token}"
        async with session.request(method, sandbox.api_base + path, headers=headers, **kwargs) as resp:
            body = await resp.read()
            if raw:
                return resp, body
            return resp.status, (json.loads(body) if body else None)

    yield call
    await session.close()
