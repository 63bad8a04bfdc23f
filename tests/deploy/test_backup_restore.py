"""deploy/backup/backup.sh and restore.sh on a real PostgreSQL: migrate, write, pg_dump -Fc, pg_restore, compare."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.deploy._tools import DEPLOY, need_tool

HOW = "apt-get install postgresql-client"


def libpq(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def psql(url: str, sql: str) -> str:
    result = subprocess.run(
        [need_tool("psql", HOW), "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-qAt", "-d", url, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def databases(postgres_server_url: str) -> Iterator[tuple[str, str]]:
    """Two fresh databases, `wolaro_backup_<random>` (the source) and `..._restored`; dropped after."""
    for tool in ("psql", "pg_dump", "pg_restore"):
        need_tool(tool, HOW)
    admin = libpq(postgres_server_url, make_url(postgres_server_url).database or "postgres")
    name = f"wolaro_backup_{secrets.token_hex(5)}"
    names = [name, f"{name}_restored"]
    for db in names:
        psql(admin, f'CREATE DATABASE "{db}"')
    try:
        yield libpq(postgres_server_url, names[0]), libpq(postgres_server_url, names[1])
    finally:
        for db in names:
            psql(admin, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def table_contents(url: str) -> dict[str, list[str]]:
    tables = psql(
        url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
    ).split()
    return {table: sorted(psql(url, f'SELECT t::text FROM "{table}" t').splitlines()) for table in tables}


def test_a_backup_restores_every_table_and_row(databases: tuple[str, str], tmp_path: Path) -> None:
    source, target = databases
    asyncpg_url = source.replace("postgresql://", "postgresql+asyncpg://", 1)
    migrate = subprocess.run(
        [sys.executable, "-m", "wolaro.cli", "migrate"],
        env={**os.environ, "DATABASE_URL": asyncpg_url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    psql(
        source,
        "INSERT INTO guilds (id, prefix, language, settings, blacklisted) VALUES "
        "(111111111111111111, '?', 'fr', '{\"a\": 1}', false), (222222222222222222, '!', 'en', '{}', true);"
        "INSERT INTO guild_modules (guild_id, module, enabled, config) VALUES "
        "(111111111111111111, 'economy', true, '{\"currency\": \"\u00e9cus\"}');",
    )
    before = table_contents(source)
    assert before["guilds"] and before["guild_modules"] and before["alembic_version"]

    archive = tmp_path / "wolaro.dump"
    backup = subprocess.run(
        ["bash", str(DEPLOY / "backup" / "backup.sh"), source, str(archive)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert backup.returncode == 0, backup.stderr
    assert archive.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert not Path(f"{archive}.partial").exists()

    restore = subprocess.run(
        ["bash", str(DEPLOY / "backup" / "restore.sh"), str(archive), target],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert restore.returncode == 0, restore.stderr
    assert table_contents(target) == before

    again = subprocess.run(
        ["bash", str(DEPLOY / "backup" / "restore.sh"), str(archive), target],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert again.returncode == 1
    assert "restore into a new, empty database" in again.stderr
