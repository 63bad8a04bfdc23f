"""A config change made through a process cut off from Redis reaches the other processes (issue 16, item 2).

Two `wolaro bot` processes share one PostgreSQL and a private Redis; A reaches Redis through a proxy the test cuts.
A master admin blacklists a guild through A while A has no Redis. The change is stored with an outbox row in the
same transaction; B (which still has Redis) publishes it within a second, and A replays whatever is left when its
link returns. Before the outbox, B kept serving the blacklisted guild for up to GUILD_CONFIG_TTL (an hour).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from tests.support.harness import BotProcess, process_env
from tests.support.tcp_proxy import TcpProxy
from wolaro.sandbox import Sandbox

pytestmark = [pytest.mark.timeout(120), pytest.mark.postgres, pytest.mark.redis]


async def answers(sandbox: Sandbox, channel: int, author: int, content: str, *, within: float = 0.6) -> int:
    """Send `content`; how many bot messages arrived in `channel` within `within` seconds."""
    await sandbox.send_message(channel, author, content)
    got = 0
    deadline = time.monotonic() + within
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            await sandbox.wait_for_message(channel, timeout=remaining)
        except TimeoutError:
            break
        got += 1
    return got


async def until(predicate: Callable[[], Any], *, attempts: int = 60) -> None:
    for _ in range(attempts):
        if await predicate():
            return
    pytest.fail("condition never held")


@pytest_asyncio.fixture
async def proxy(redis_server_process: Any) -> AsyncIterator[TcpProxy]:
    proxied = await TcpProxy("127.0.0.1", redis_server_process.port).start()
    try:
        yield proxied
    finally:
        await proxied.close()


async def test_blacklist_written_without_redis_reaches_the_other_process(
    sandbox: Sandbox, postgres_url: str, redis_server_process: Any, proxy: TcpProxy, tmp_path: Any, fault_figures: Any
) -> None:
    home, target = sandbox.guild_ids()[:2]
    home_channel, channel = sandbox.text_channel_ids(home)[0], sandbox.text_channel_ids(target)[0]
    admin, owner = sandbox.member_ids(home)[5], sandbox.owner_id(target)
    shared = {"DATABASE_URL": postgres_url, "REDIS_HEALTH_INTERVAL": "0.5", "COMMAND_COOLDOWN_RATE": "1000/second"}
    a = BotProcess(
        process_env(sandbox, REDIS_URL=proxy.url(), MASTER_ADMIN_IDS=str(admin), **shared), tmp_path / "a.log"
    ).start()
    b = BotProcess(process_env(sandbox, REDIS_URL=redis_server_process.url, **shared), tmp_path / "b.log").start()
    try:
        # both serve the guild and have its config in their caches
        await until(lambda: _answered_by_both(sandbox, channel, owner))
        proxy.cut()
        assert await answers(sandbox, home_channel, admin, f"!admin blacklist {target} partition test", within=1) >= 1
        written_at = time.monotonic()
        sent_at, served_during_cut = [], []
        while time.monotonic() - written_at < 6:
            sent_at.append(time.monotonic() - written_at)
            served_during_cut.append(await answers(sandbox, channel, owner, "!ping", within=0.3))
        # the moment of the last ping still answered (0 if none was): B stopped serving the guild by then
        last_served = max((t for t, n in zip(sent_at, served_during_cut, strict=True) if n), default=0.0)
        converged_after = round(last_served + 0.3, 1) if not served_during_cut[-1] else None
        proxy.heal()
        healed_at = time.monotonic()
        served_after_heal = []
        while time.monotonic() - healed_at < 8:
            served_after_heal.append(await answers(sandbox, channel, owner, "!ping", within=0.5))
        fault_figures(
            "config change through a process cut from Redis",
            pings_answered_during_cut=served_during_cut,
            other_process_stopped_serving_within_s=converged_after,
            pings_sent_after_heal=len(served_after_heal),
            pings_answered_after_heal=sum(served_after_heal),
            config_lost=int(sum(served_after_heal) > 0),
        )
        assert converged_after is not None, served_during_cut  # B learned it through the outbox, link still cut
        assert sum(served_after_heal) == 0, served_after_heal
    finally:
        for proc in (a, b):
            proc.stop()
    for proc in (a, b):
        assert "Traceback" not in proc.log(), proc.log()[-3000:]


async def _answered_by_both(sandbox: Sandbox, channel: int, owner: int) -> bool:
    with contextlib.suppress(TimeoutError):
        return await answers(sandbox, channel, owner, "!ping", within=1.0) >= 2
    return False
