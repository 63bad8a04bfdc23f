"""Two bot processes on one PostgreSQL and Redis both receive every reaction: 50 stars in one burst still make
exactly one starboard post, with the right count."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.support.harness import BotProcess, answered, process_env
from tests.support.moderation import say
from wolaro.sandbox import Sandbox

pytestmark = pytest.mark.timeout(150)


def on_board(sandbox: Sandbox, channel: int) -> list[dict]:
    bot = str(sandbox.state.bot_user_id)
    return [m for m in sandbox.state.history(channel).values() if m["author"]["id"] == bot]


async def both_answer(sandbox: Sandbox, channel: int, author: int) -> None:
    """Wait until two processes answer one `!ping` (both serve the guild)."""
    for _ in range(40):
        await sandbox.send_message(channel, author, "!ping")
        got = 0
        with contextlib.suppress(TimeoutError):
            for _ in range(2):
                await sandbox.wait_for_message(channel, timeout=1.5)
                got += 1
        if got == 2:
            return
    raise AssertionError("the second process never answered")


@pytest.mark.postgres
@pytest.mark.redis
async def test_fifty_stars_seen_by_two_processes_make_one_post(postgres_url, redis_url, redis_prefix, tmp_path):
    async with Sandbox(guilds=1, members_per_guild=56, text_channels_per_guild=3) as sandbox:
        guild = sandbox.guild_ids()[0]
        general, board, _ = sandbox.text_channel_ids(guild)
        owner, members = sandbox.owner_id(guild), sandbox.member_ids(guild)
        shared = {
            "DATABASE_URL": postgres_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": redis_prefix,
            "COMMAND_COOLDOWN_RATE": "1000/second",  # both processes count every command against shared limits
            "USER_GLOBAL_RATE": "1000/second",
            "LOG_LEVEL": "WARNING",
        }
        first = BotProcess(process_env(sandbox, **shared), tmp_path / "a.log").start()
        second: BotProcess | None = None
        try:
            await answered(sandbox, general, owner)
            for command in (
                "!modules enable starboard",
                f"!config set starboard channel_id {board}",
                "!config set starboard threshold 5",
            ):
                reply = await say(sandbox, general, owner, command)
                assert "enabled" in reply["content"] or "is now" in reply["content"], reply["content"]
            second = BotProcess(process_env(sandbox, **shared), tmp_path / "b.log").start()
            await both_answer(sandbox, general, owner)

            message = await sandbox.send_message(general, members[55], "a message worth fifty stars")
            await asyncio.gather(
                *(sandbox.add_reaction(general, int(message["id"]), user, "⭐") for user in members[2:52])
            )
            for _ in range(300):
                posts = on_board(sandbox, board)
                if len(posts) == 1 and posts[0]["content"].startswith("⭐ **50**"):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)  # a late duplicate or a stale count would show by now
            posts = on_board(sandbox, board)
            assert [p["content"] for p in posts] == [f"⭐ **50** · <#{general}>"]
            created = [
                c for c in sandbox.rest_log if c.method == "POST" and c.path.endswith(f"/channels/{board}/messages")
            ]
            assert len(created) == 1
        finally:
            for process in (first, second):
                if process is not None:
                    process.stop()
        for process in (first, second):
            assert process is not None and "Traceback" not in process.log(), process.log()[-3000:]
