"""SIGTERM with commands in flight (issue 16, item 4): they finish, the process exits 0 within a bound, nothing is lost.

Five `!prefix` changes wait on a row lock the test holds on the guild's row in PostgreSQL when SIGTERM arrives;
the lock is let go a second later. Each must be answered and audited, and `wolaro bot` must exit 0 within the
drain bound (10 s) plus its shutdown.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import asyncpg
import pytest

from tests.support.harness import BotProcess, answered, process_env
from wolaro.sandbox import Sandbox

pytestmark = [pytest.mark.timeout(90), pytest.mark.postgres]

IN_FLIGHT = 5
EXIT_BOUND_S = 15.0


def libpq(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def test_sigterm_with_commands_in_flight(
    sandbox: Sandbox, postgres_url: str, tmp_path: Any, fault_figures: Any
) -> None:
    guild = sandbox.guild_ids()[0]
    channel, owner = sandbox.text_channel_ids(guild)[0], sandbox.owner_id(guild)
    env = process_env(
        sandbox, DATABASE_URL=postgres_url, COMMAND_COOLDOWN_RATE="1000/second", USER_GLOBAL_RATE="1000/second"
    )
    process = BotProcess(env, tmp_path / "bot.log").start()
    blocker = None
    try:
        await answered(sandbox, channel, owner)
        before = len(sandbox.bot_messages(channel))
        blocker = await asyncpg.connect(libpq(postgres_url), timeout=10)
        await blocker.execute(
            "INSERT INTO guilds (id, prefix, language, settings, blacklisted) VALUES ($1, '!', 'en', '{}', false) "
            "ON CONFLICT (id) DO NOTHING",
            guild,
        )
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("SELECT id FROM guilds WHERE id = $1 FOR UPDATE", guild)
        for n in range(IN_FLIGHT):
            await sandbox.send_message(channel, owner, f"!prefix p{n}")
        await asyncio.sleep(1.0)  # every change now waits inside its transaction for the row
        assert process.process is not None
        process.process.send_signal(signal.SIGTERM)
        signalled_at = time.monotonic()
        await asyncio.sleep(1.0)
        await transaction.rollback()

        code = await asyncio.to_thread(process.process.wait, 30)
        exited_after = round(time.monotonic() - signalled_at, 1)
        replies = [m["content"] for m in sandbox.bot_messages(channel)[before:]]
        audited = await blocker.fetchval(
            "SELECT count(*) FROM audit_log WHERE guild_id = $1 AND action = 'guild.prefix'", guild
        )
        fault_figures(
            "SIGTERM with commands in flight",
            commands_in_flight=IN_FLIGHT,
            commands_answered=sum("Prefix changed" in r for r in replies),
            commands_failed=IN_FLIGHT - sum("Prefix changed" in r for r in replies),
            changes_written=audited,
            exit_code=code,
            exited_after_s=exited_after,
        )
        assert code == 0, process.log()[-3000:]
        assert exited_after < EXIT_BOUND_S
        assert sum("Prefix changed" in r for r in replies) == IN_FLIGHT, replies
        assert audited == IN_FLIGHT
    finally:
        if blocker is not None:
            await blocker.close()
        process.kill()
    assert "Traceback" not in process.log(), process.log()[-3000:]
