"""A `wolaro bot` process killed (SIGKILL) in the middle of a voice session, then started again: the session's
duration is sensible (what was counted before the crash, plus the time after, the restart gap included only
because the member stayed in the channel), never negative or runaway, and no session is left open."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from tests.support.harness import BotProcess, answered, bot_settings, process_env
from wolaro.core.services import Services
from wolaro.data.database import Database
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(120)


async def enable_statistics(sandbox: Sandbox, tmp_path, url: str, guild: int) -> None:
    services = await Services.start(bot_settings(sandbox, tmp_path, database_url=url))
    try:
        await services.config.set_module_enabled(guild, "statistics", True, actor_id=None)
    finally:
        await services.close()


async def voice_seconds(url: str, guild: int, user: int) -> tuple[int, int]:
    db = Database(url)
    try:
        async with db.session() as session:
            seconds = (
                await session.execute(
                    text(
                        "SELECT COALESCE(SUM(voice_seconds), 0) FROM statistics_user_daily "
                        "WHERE guild_id = :g AND user_id = :u"
                    ),
                    {"g": guild, "u": user},
                )
            ).scalar()
            open_rows = (await session.execute(text("SELECT COUNT(*) FROM statistics_voice_sessions"))).scalar()
        return int(seconds or 0), int(open_rows or 0)
    finally:
        await db.dispose()


async def test_a_session_survives_a_sigkill_with_a_sensible_duration(tmp_path):
    async with Sandbox(guilds=1, members_per_guild=4) as sandbox:
        guild = sandbox.guild_ids()[0]
        channel, voice = sandbox.text_channel_ids(guild)[0], sandbox.voice_channel_ids(guild)[0]
        owner, member = sandbox.owner_id(guild), sandbox.member_ids(guild)[2]
        url = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
        await enable_statistics(sandbox, tmp_path, url, guild)
        env = process_env(sandbox, DATABASE_URL=url)

        first = BotProcess(env, tmp_path / "first.log").start()
        try:
            await answered(sandbox, channel, owner)
            joined = time.time()
            await sandbox.voice_state(guild, member, voice)
            await asyncio.sleep(7)  # at least one flush (every 5 s) counts the session so far
        finally:
            first.kill()
        killed = time.time()
        counted_before, open_rows = await voice_seconds(url, guild, member)
        assert 0 < counted_before <= killed - joined + 1 and open_rows == 1

        second = BotProcess(env, tmp_path / "second.log").start()
        try:
            await answered(sandbox, channel, owner)
            await asyncio.sleep(1)
            await sandbox.voice_state(guild, member, None)
            left = time.time()
        finally:
            await asyncio.to_thread(second.stop)  # a graceful stop writes what is buffered
        stopped = time.time()  # the bot saw the leave by then (on a loaded machine, a moment after it was sent)
        assert second.process is not None and second.process.returncode == 0, second.log()[-2000:]

    total, open_rows = await voice_seconds(url, guild, member)
    # Resumed from its last checkpoint: the restart gap counts (the member never left), nothing more.
    assert left - joined - 3 <= total <= stopped - joined + 1, (total, left - joined, stopped - joined)
    assert open_rows == 0
