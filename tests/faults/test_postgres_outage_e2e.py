"""PostgreSQL stopped for 10 s and started again under a running `wolaro bot` (issue 16, item 4).

A private PostgreSQL (never the machine's shared one). While it is down, `!ping` (served from the cached config)
keeps answering, `!warn` (a case must be written) refuses with the clear "data store is unavailable" answer and
nothing else fails; once it is back, `!warn` works again, and everything written before the outage is still there.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import pytest

from tests.support.harness import BotProcess, answered, process_env
from tests.support.private_postgres import postgres_bin, private_postgres
from wolaro.sandbox import Sandbox

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.skipif(postgres_bin() is None, reason="needs PostgreSQL's server binaries (initdb, pg_ctl)"),
]

OUTAGE_S = 10.0
REFUSAL = "data store is unavailable"


async def reply_to(sandbox: Sandbox, channel: int, author: int, content: str, *, within: float = 8.0) -> str | None:
    await sandbox.send_message(channel, author, content)
    try:
        return str((await sandbox.wait_for_message(channel, timeout=within)).get("content", ""))
    except TimeoutError:
        return None


async def stored(url: str) -> tuple[str, int]:
    """(the guild's prefix, how many cases) read straight from the database."""
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"), timeout=10)
    try:
        prefix = await connection.fetchval("SELECT prefix FROM guilds ORDER BY id LIMIT 1")
        cases = await connection.fetchval("SELECT count(*) FROM mod_cases")
    finally:
        await connection.close()
    return str(prefix), int(cases)


async def test_postgres_stopped_for_ten_seconds(sandbox: Sandbox, tmp_path: Any, fault_figures: Any) -> None:
    guild = sandbox.guild_ids()[0]
    channel, owner = sandbox.text_channel_ids(guild)[0], sandbox.owner_id(guild)
    target = sandbox.member_ids(guild)[3]
    with private_postgres() as database:
        env = process_env(
            sandbox, DATABASE_URL=database.url, COMMAND_COOLDOWN_RATE="1000/second", USER_GLOBAL_RATE="1000/second"
        )
        process = BotProcess(env, tmp_path / "bot.log").start()
        try:
            await answered(sandbox, channel, owner)
            assert "`?`" in (await reply_to(sandbox, channel, owner, "!prefix ?") or "")
            for n in range(2):
                assert "#" in (await reply_to(sandbox, channel, owner, f"?warn <@{target}> before {n}") or "")
            before = await stored(database.url)

            await asyncio.to_thread(database.stop)
            down_at = time.monotonic()
            pings = pongs = warns = refused = other = 0
            while time.monotonic() - down_at < OUTAGE_S:
                pings += 1
                pongs += (await reply_to(sandbox, channel, owner, "?ping", within=5) or "").startswith("Pong!")
                warns += 1
                answer = await reply_to(sandbox, channel, owner, f"?warn <@{target}> during", within=8) or ""
                refused += REFUSAL in answer
                other += REFUSAL not in answer
                await asyncio.sleep(0.2)
            await asyncio.to_thread(database.start)

            recovered_after = None
            up_at = time.monotonic()
            while time.monotonic() - up_at < 20:
                if "#" in (await reply_to(sandbox, channel, owner, f"?warn <@{target}> after") or ""):
                    recovered_after = round(time.monotonic() - up_at, 1)
                    break
                await asyncio.sleep(0.5)
            after = await stored(database.url)
            fault_figures(
                "postgresql stopped 10 s and started",
                pings_during=pings,
                pings_failed=pings - pongs,
                db_commands_during=warns,
                db_commands_refused_clearly=refused,
                db_commands_failed_otherwise=other,
                rows_lost=before[1] + 1 - after[1] if recovered_after is not None else None,
                config_lost=int(after[0] != before[0]),
                writes_work_again_after_s=recovered_after,
            )
            assert pongs == pings
            assert refused == warns and other == 0
            assert recovered_after is not None
            assert after == (before[0], before[1] + 1)  # the cases from before, plus the one after; none during
        finally:
            process.stop()
        log = process.log()
        assert "Traceback" not in log, log[-3000:]
