"""Telling a database outage from a bug, and saying in one line what is wrong when the database cannot be used."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys

import asyncpg.exceptions
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from structlog.testing import capture_logs

from wolaro.core.services import Services, redis_down_message
from wolaro.data.database import describe_unreachable, is_unavailable, make_engine

REFUSING = "postgresql+asyncpg://nobody@127.0.0.1:1/db"


async def _connect_error(url: str) -> BaseException:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError(f"{url} answered")


async def test_a_refused_connection_is_an_outage_and_named_in_one_line() -> None:
    error = await _connect_error(REFUSING)
    assert is_unavailable(error)
    message = describe_unreachable(REFUSING, error)
    assert message is not None and "\n" not in message
    assert "DATABASE_URL" in message and "127.0.0.1:1" in message and "connection refused" in message


def test_a_socket_error_outside_the_database_driver_is_not_a_database_outage() -> None:
    try:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 443)")  # e.g. Discord's HTTP client
    except ConnectionRefusedError as exc:
        assert not is_unavailable(exc)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sa_exc.TimeoutError("QueuePool limit reached"), True),
        (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"), True),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), True),
        (asyncpg.exceptions.UniqueViolationError("duplicate key"), False),
        (sa_exc.IntegrityError("INSERT", {}, Exception("duplicate")), False),
        (ValueError("a bug"), False),
    ],
)
def test_outages_are_told_from_bugs(error: BaseException, expected: bool) -> None:
    assert is_unavailable(error) is expected


def test_an_invalidated_connection_is_an_outage() -> None:
    error = sa_exc.DBAPIError("SELECT 1", {}, Exception("connection was closed"), connection_invalidated=True)
    assert is_unavailable(error)


@pytest.mark.parametrize(
    ("message", "expected"),
    [("unable to open database file", True), ("database is locked", True), ("no such table: guilds", False)],
)
def test_sqlite_errors(message: str, expected: bool) -> None:
    wrapped = sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))
    try:
        raise wrapped from wrapped.orig
    except sa_exc.OperationalError as exc:
        assert is_unavailable(exc) is expected


def test_a_refused_login_is_described_but_a_bug_is_not() -> None:
    refused = asyncpg.exceptions.InvalidCatalogNameError('database "shop" does not exist')
    message = describe_unreachable("postgresql+asyncpg://app@db.internal:6543/shop", refused)
    assert message is not None
    assert "db.internal:6543" in message and "DATABASE_URL" in message and "database name (shop)" in message
    assert describe_unreachable("postgresql+asyncpg://app@db/shop", ValueError("a bug")) is None


def _no_traceback_one_message(output: str) -> list[str]:
    """The lines that are not structured log records (JSON): what a person reads."""
    assert "Traceback" not in output, output
    return [line for line in output.splitlines() if line.strip() and not line.startswith("{")]


@pytest.mark.parametrize("command", ["run", "bot", "worker", "migrate"])
def test_an_unreachable_database_url_stops_every_command_with_one_line(command: str, tmp_path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/db",
        "DISCORD_TOKEN": "a-token",
        "API_ENABLED": "false",
        "DATA_DIR": str(tmp_path),
        "LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [sys.executable, "-m", "wolaro.cli", command], env=env, capture_output=True, timeout=120, check=False
    )
    output = done.stdout.decode() + done.stderr.decode()
    assert done.returncode != 0, output
    lines = _no_traceback_one_message(output)
    assert len(lines) == 1, lines
    assert "DATABASE_URL" in lines[0] and "127.0.0.1:1" in lines[0] and "PostgreSQL is running" in lines[0]
    for line in output.splitlines():
        if line.startswith("{"):
            json.loads(line)  # everything else is a structured log record


def _unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_redis_message_names_redis_url_and_the_host() -> None:
    message = redis_down_message("redis://:secret@cache.internal:6380/2")
    assert "REDIS_URL" in message and "cache.internal:6380" in message and "secret" not in message
    assert "\n" not in message


async def test_redis_down_at_start_is_one_warning_and_the_process_starts(make_settings) -> None:
    """By design Redis is optional at start: the cache serves from memory and pub/sub retries until it is back."""
    port = _unused_port()
    settings = make_settings(redis_url=f"redis://127.0.0.1:{port}/0")
    with capture_logs() as logs:
        services = await asyncio.wait_for(Services.start(settings), timeout=30)
    try:
        warnings = [entry for entry in logs if "REDIS_URL" in entry["event"]]
        assert len(warnings) == 1 and warnings[0]["log_level"] == "warning"
        assert f"127.0.0.1:{port}" in warnings[0]["event"]
        config = await services.config.get(1)  # and it serves
        assert config.guild_id == 1
    finally:
        await services.close()
