"""Faults end well (issue 9, item 7): each fault below once stopped a command, a process or a start.

Through the sandbox and the real discord.py client, in this process and as `wolaro bot` / `wolaro run` processes:
an unknown slash command, a malformed INTERACTION_CREATE, two processes migrating an empty PostgreSQL at once,
SIGTERM with a command in flight, and the database going away.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import signal
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.harness import BotProcess, PlatformProcess, answered, process_env, send_interaction
from tests.support.private_postgres import postgres_bin, private_postgres
from wolaro.sandbox import Sandbox
from wolaro.sandbox.interactions import build_interaction, build_unregistered_interaction, without_fields

pytestmark = pytest.mark.timeout(120)
SECRET_KEY = "faults-end-well-test-secret-key-0123456789"


def place(sandbox: Sandbox, index: int = 0) -> tuple[int, int, int]:
    guild = sandbox.guild_ids()[index]
    return guild, sandbox.text_channel_ids(guild)[0], sandbox.owner_id(guild)


def ping_interaction(sandbox: Sandbox, guild: int, channel: int, user: int) -> Any:
    return build_interaction(
        sandbox.state,
        sandbox.ids,
        sandbox.url,
        guild_id=guild,
        channel_id=channel,
        user_id=user,
        name="ping",
        options=None,
        subcommand=None,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_events(process: BotProcess) -> list[dict[str, Any]]:
    """The JSON log lines a process wrote (other lines skipped)."""
    events = []
    for line in process.log().splitlines():
        with contextlib.suppress(ValueError):
            events.append(json.loads(line))
    return events


async def wait_for_log(process: BotProcess, event: str, timeout: float = 15.0) -> dict[str, Any]:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in log_events(process):
            if entry.get("event") == event:
                return entry
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {event!r} in the log:\n{process.log()[-3000:]}")


async def answers(sandbox: Sandbox, channel: int, author: int, content: str, *, expected: int) -> list[dict[str, Any]]:
    """Send `content` until `expected` bot messages answer it at once (processes may still be starting)."""
    for _ in range(40):
        await sandbox.send_message(channel, author, content)
        got: list[dict[str, Any]] = []
        with contextlib.suppress(TimeoutError):
            while len(got) < expected:
                got.append(await sandbox.wait_for_message(channel, timeout=1.5))
        if len(got) >= expected:
            return got
    raise AssertionError(f"{content!r} never got {expected} answers")


async def stop(process: BotProcess) -> None:
    """SIGTERM and wait, off the event loop: the sandbox must keep answering the requests of the draining bot."""
    await asyncio.to_thread(process.stop)


# ----------------------------------------------------------------------------------------------- in this process
async def test_an_unknown_slash_command_gets_a_clear_ephemeral_answer(sandbox, bot):
    guild, channel, owner = place(sandbox)
    failures: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: failures.append(context))
    try:
        # a command the bot no longer has (renamed, or Discord's list is older than the last sync)
        record = build_unregistered_interaction(
            sandbox.state, sandbox.ids, guild_id=guild, channel_id=channel, user_id=owner, name="old-name"
        )
        await send_interaction(sandbox, record)
        answer = await sandbox.wait_for_interaction_response(record, timeout=5)
        assert answer["ephemeral"]
        assert "not available right now" in answer["content"] and "renamed or removed" in answer["content"]

        # a subcommand the bot's /config no longer has
        record = build_unregistered_interaction(
            sandbox.state,
            sandbox.ids,
            guild_id=guild,
            channel_id=channel,
            user_id=owner,
            name="config",
            subcommand="renamed",
        )
        await send_interaction(sandbox, record)
        answer = await sandbox.wait_for_interaction_response(record, timeout=5)
        assert answer["ephemeral"] and "not available right now" in answer["content"]
        gc.collect()  # "Task exception was never retrieved" is reported when the failed task is collected
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert failures == []


async def test_the_unknown_command_answer_is_in_the_guilds_language(sandbox, bot):
    guild, channel, owner = place(sandbox)
    await bot.config.set_language(guild, "fr", actor_id=None)
    record = build_unregistered_interaction(
        sandbox.state, sandbox.ids, guild_id=guild, channel_id=channel, user_id=owner, name="old-name"
    )
    await send_interaction(sandbox, record)
    answer = await sandbox.wait_for_interaction_response(record, timeout=5)
    assert answer["ephemeral"] and "n'est pas disponible" in answer["content"]


async def test_a_malformed_interaction_is_dropped_and_the_bot_keeps_answering(sandbox, bot):
    guild, channel, owner = place(sandbox)
    malformed = without_fields(ping_interaction(sandbox, guild, channel, owner), "attachment_size_limit")
    await send_interaction(sandbox, malformed)

    record = await sandbox.invoke_slash(guild, channel, owner, "ping")
    answer = await sandbox.wait_for_interaction_response(record, timeout=5)
    assert answer["content"].startswith("Pong!")
    await sandbox.send_message(channel, owner, "!ping")
    reply = await sandbox.wait_for_message(channel, timeout=5)
    assert reply["content"].startswith("Pong!")
    assert not bot.is_closed()
    assert malformed.answer() is None  # dropped: discord.py could not read it, so nothing answered it


# ------------------------------------------------------------------------------------- real processes, PostgreSQL
@pytest.mark.postgres
@pytest.mark.redis
async def test_wolaro_run_on_postgres_and_redis_survives_a_malformed_interaction(
    sandbox, postgres_url, redis_url, redis_prefix, tmp_path
):
    """The whole platform (bot, dashboard, worker) in one `wolaro run`: a malformed event once ended it with 1."""
    guild, channel, owner = place(sandbox)
    env = process_env(
        sandbox,
        DATABASE_URL=postgres_url,
        REDIS_URL=redis_url,
        REDIS_PREFIX=redis_prefix,
        API_PORT=str(_free_port()),
        SECRET_KEY=SECRET_KEY,
    )
    process = PlatformProcess(env, tmp_path / "run.log").start()
    try:
        await answered(sandbox, channel, owner)
        await send_interaction(
            sandbox, without_fields(ping_interaction(sandbox, guild, channel, owner), "attachment_size_limit")
        )
        dropped = await wait_for_log(process, "gateway event dropped: it could not be read")
        assert dropped["gateway_event"] == "INTERACTION_CREATE" and "attachment_size_limit" in dropped["error"]
        record = await sandbox.invoke_slash(guild, channel, owner, "ping")
        assert (await sandbox.wait_for_interaction_response(record, timeout=5))["content"].startswith("Pong!")
        await answered(sandbox, channel, owner)
        assert process.process is not None and process.process.poll() is None, process.log()[-3000:]
    finally:
        await stop(process)
    assert process.process is not None and process.process.returncode == 0, process.log()[-3000:]
    assert "commands still running after the grace period" not in process.log()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("command", ["bot", "run"])
async def test_two_processes_start_together_on_an_empty_postgres(
    sandbox, postgres_url, redis_url, redis_prefix, tmp_path, command
):
    """Both migrate the same empty database at once: the second waits for the first's lock, and both serve."""
    _, channel, owner = place(sandbox)
    kind = BotProcess if command == "bot" else PlatformProcess
    shared = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": redis_prefix,
        "COMMAND_COOLDOWN_RATE": "1000/second",
        "USER_GLOBAL_RATE": "1000/second",
        "SECRET_KEY": SECRET_KEY,  # `wolaro run` serves the dashboard, which refuses to start without one
    }
    processes = [
        kind(process_env(sandbox, API_PORT=str(_free_port()), **shared), tmp_path / f"{name}.log")
        for name in ("a", "b")
    ]
    for process in processes:
        process.start()
    try:
        pongs = await answers(sandbox, channel, owner, "!ping", expected=2)
        assert all(message["content"].startswith("Pong!") for message in pongs)
        for process in processes:
            assert process.process is not None and process.process.poll() is None, process.log()[-3000:]
            assert "duplicate key" not in process.log()
    finally:
        for process in processes:
            await stop(process)
    assert all(p.process is not None and p.process.returncode == 0 for p in processes)


# --------------------------------------------------------------------------------------------- graceful shutdown
async def test_sigterm_lets_the_command_in_flight_finish_then_exits_0(sandbox, tmp_path):
    """`!modules disable utility` waits on the database while SIGTERM arrives: it still completes and answers."""
    _, channel, owner = place(sandbox)
    data_dir = tmp_path / "data"
    process = BotProcess(process_env(sandbox, DATA_DIR=str(data_dir)), tmp_path / "bot.log").start()
    try:
        await answered(sandbox, channel, owner)
        # hold SQLite's write lock from outside: the command's transaction waits for it (busy timeout 10 s)
        blocker = sqlite3.connect(data_dir / "wolaro.db", isolation_level=None, check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            await sandbox.send_message(channel, owner, "!modules disable utility")
            await asyncio.sleep(1.0)  # the command is now waiting inside its transaction
            assert process.process is not None
            process.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(1.0)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        reply = await sandbox.wait_for_message(channel, timeout=10)
        assert "disabled" in reply["content"], reply["content"]
        started = time.monotonic()
        code = await asyncio.to_thread(process.process.wait, 15)
        assert code == 0, process.log()[-3000:]
        assert time.monotonic() - started < 15
        log = process.log()
        assert "Session is closed" not in log and "Traceback" not in log, log[-3000:]
    finally:
        process.kill()


async def test_commands_arriving_during_shutdown_are_refused_politely(sandbox, bot):
    guild, channel, owner = place(sandbox)
    bot.draining = True  # what close() sets first
    try:
        record = await sandbox.invoke_slash(guild, channel, owner, "ping")
        answer = await sandbox.wait_for_interaction_response(record, timeout=5)
        assert answer["ephemeral"] and "restarting" in answer["content"]
    finally:
        bot.draining = False


async def test_shutdown_waits_for_work_in_flight_but_no_longer_than_the_bound(sandbox, bot):
    bot.drain_timeout = 0.5
    stuck = bot.in_flight()
    stuck.__enter__()  # a command that never finishes
    try:
        started = time.monotonic()
        await asyncio.wait_for(bot.close(), timeout=10)
        waited = time.monotonic() - started
    finally:
        stuck.__exit__(None, None, None)
    assert bot.is_closed() and bot.draining
    assert 0.5 <= waited < 3.0


async def test_shutdown_closes_at_once_when_nothing_is_running(sandbox, bot):
    started = time.monotonic()
    await bot.close()
    assert bot.is_closed() and time.monotonic() - started < 2.0


# -------------------------------------------------------------------------------------------------- database down
@pytest.mark.skipif(postgres_bin() is None, reason="needs PostgreSQL's server binaries (initdb, pg_ctl)")
async def test_with_the_database_down_commands_say_so_and_shard_ready_logs_one_line(sandbox, tmp_path):
    """A private PostgreSQL, stopped under a running `wolaro bot`."""
    guild, channel, owner = place(sandbox)
    target = sandbox.member_ids(guild)[3]
    with private_postgres() as database:
        env = process_env(sandbox, DATABASE_URL=database.url)
        process = BotProcess(env, tmp_path / "bot.log").start()
        try:
            await answered(sandbox, channel, owner)  # the guild's config is now cached in the process
            await asyncio.to_thread(database.stop)

            await sandbox.send_message(channel, owner, f"!warn <@{target}> spamming")
            reply = await sandbox.wait_for_message(channel, timeout=15)
            assert "data store is unavailable" in reply["content"] and "try again" in reply["content"]
            assert "Something went wrong" not in reply["content"]
            record = await sandbox.invoke_slash(guild, channel, owner, "warn", {"member": target, "reason": "spam"})
            answer = await sandbox.wait_for_interaction_response(record, timeout=15)
            assert answer["ephemeral"] and "data store is unavailable" in answer["content"]

            # the shard reconnects from scratch: READY, then on_shard_ready writes presence rows
            await sandbox.drop_connection(0, resumable=False)
            skipped = await wait_for_log(process, "event skipped: the database is unavailable", timeout=30)
            assert skipped["listener"] == "on_shard_ready"
            warned = [e for e in log_events(process) if e.get("event") == "command failed: the database is unavailable"]
            assert warned and warned[0]["command"] == "warn"
            # neither the command nor the listener is reported as an unexpected failure with a traceback
            events = log_events(process)
            assert not [e for e in events if e.get("level") == "error"], "an outage is not an unexpected error"
            assert not [e for e in events if e.get("event") in ("command failed", "event listener failed")]
            unhandled = [line for line in process.log().splitlines() if not line.startswith("{")]
            assert not any("Traceback" in line or "never retrieved" in line for line in unhandled), unhandled
            assert process.process is not None and process.process.poll() is None
        finally:
            await stop(process)


def test_the_private_server_helper_really_stops():
    """Guard for the test above: the server it stops is its own, and once stopped it refuses connections."""
    if postgres_bin() is None:
        pytest.skip("needs PostgreSQL's server binaries")
    with private_postgres() as database:
        assert database.port != 5432
        with socket.create_connection(("127.0.0.1", database.port), timeout=5):
            pass
        database.stop()
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", database.port), timeout=5):
            pass
    assert not Path(database.root).exists()
