"""`wolaro run`'s components in one process: bot, worker and dashboard, logging in through the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx

from tests.support.web import World
from wolaro.app import api_component, bot_component, run_components, worker_component


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_run_serves_the_dashboard_next_to_the_bot(world: World, web_settings, eventually) -> None:
    port = free_port()
    settings = web_settings(api_port=port, api_host="127.0.0.1")
    stop = asyncio.Event()
    running = asyncio.create_task(run_components(settings, [bot_component, worker_component, api_component], stop=stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as browser:

            async def gateway_up() -> bool:
                assert not running.done(), running
                with contextlib.suppress(httpx.TransportError):
                    health = (await browser.get("/api/health")).json()
                    return health["gateway"] == "connected" and health["shards"][0]["guilds"] == 2
                return False

            await eventually(gateway_up, timeout=20, interval=0.1)
            login = await browser.get("/auth/login", params={"next": "/api/guilds"})
            consent = await browser.get(login.headers["location"] + f"&user_id={world.owner_b}")
            done = await browser.get(consent.headers["location"])
            assert done.status_code == 302 and done.headers["location"] == "/api/guilds"
            guilds = (await browser.get("/api/guilds")).json()
            assert [g["id"] for g in guilds] == [str(world.guild_b)]
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=20)
