"""Discord access from job handlers: the worker's own REST client (no bot in the process), or the bot's."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import discord
import pytest
import pytest_asyncio

from tests.support.jobs import ago, job_row
from wolaro.data.database import Database
from wolaro.jobs import JobContext, JobRegistry, JobScheduler
from wolaro.sandbox import Sandbox
from wolaro.settings import Settings


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(guilds=1, members_per_guild=4) as sb:
        yield sb


async def lift_ban(ctx: JobContext, payload: dict[str, Any]) -> None:
    """What a module's temp-ban handler looks like: REST through ctx.discord_http(), idempotent."""
    http = await ctx.discord_http()
    with contextlib.suppress(discord.NotFound):  # already unbanned by hand: nothing left to do
        await http.unban(payload["user_id"], ctx.guild_id, reason="temporary ban expired")


@pytest.fixture
def unban_registry(registry: JobRegistry) -> JobRegistry:
    registry.register("test.unban", lift_ban)
    return registry


async def test_worker_without_a_bot_unbans_through_its_own_rest_client(
    sandbox: Sandbox,
    make_settings: Callable[..., Settings],
    make_scheduler: Callable[..., JobScheduler],
    unban_registry: JobRegistry,
    migrated_db: Database,
) -> None:
    settings = make_settings(discord_token="sandbox-token", discord_api_base=sandbox.api_base)
    scheduler = make_scheduler(settings=settings)
    guild_id = sandbox.guild_ids()[0]
    user_id = sandbox.member_ids(guild_id)[-1]
    http = await scheduler.discord.http()
    await http.ban(user_id, guild_id, reason="temp ban")
    assert user_id in sandbox.state.guilds[guild_id].bans

    first = await scheduler.schedule("test.unban", run_at=ago(), guild_id=guild_id, payload={"user_id": user_id})
    again = await scheduler.schedule("test.unban", run_at=ago(), guild_id=guild_id, payload={"user_id": user_id})
    assert await scheduler.run_due(limit=1) == 1
    assert user_id not in sandbox.state.guilds[guild_id].bans
    call = await sandbox.wait_for_request("DELETE", rf"/guilds/{guild_id}/bans/{user_id}")
    assert call.reason == "temporary ban expired"
    assert await scheduler.run_due() == 1  # the second run finds no ban: still a success
    assert (await job_row(migrated_db, first)).status == "done"
    assert (await job_row(migrated_db, again)).status == "done"


async def test_without_a_token_discord_jobs_fail_clearly_and_retry(
    make_settings: Callable[..., Settings],
    make_scheduler: Callable[..., JobScheduler],
    unban_registry: JobRegistry,
    migrated_db: Database,
) -> None:
    scheduler = make_scheduler(settings=make_settings())
    job_id = await scheduler.schedule("test.unban", run_at=ago(), guild_id=1, payload={"user_id": 2})
    await scheduler.run_due()
    row = await job_row(migrated_db, job_id)
    assert row.status == "pending"
    assert row.last_error is not None and "DISCORD_TOKEN is not set" in row.last_error


async def test_a_logged_in_bot_in_the_process_lends_its_client(
    make_scheduler: Callable[..., JobScheduler], registry: JobRegistry
) -> None:
    seen: list[tuple[Any, Any]] = []

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        seen.append((ctx.bot, await ctx.discord_http()))

    registry.register("test.bot", handler)
    scheduler = make_scheduler()
    bot = SimpleNamespace(user=object(), http=object())
    scheduler.bot = bot
    await scheduler.schedule("test.bot", run_at=ago(), guild_id=1, payload={})
    await scheduler.run_due()
    assert seen == [(bot, bot.http)]
