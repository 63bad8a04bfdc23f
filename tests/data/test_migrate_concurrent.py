"""Migrations take a lock: processes migrating the same empty database at once take turns instead of failing.

Before the lock, two `wolaro migrate` on an empty PostgreSQL failed 3 times out of 3 (`duplicate key value violates
unique constraint "pg_type_typname_nsp_index"` while both created `alembic_version`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from wolaro.core.registry import discover_specs, migration_folders
from wolaro.core.services import upgrade_schema as upgrade
from wolaro.data.database import MIGRATION_LOCK_KEY, Database
from wolaro.data.migrate import head_revisions


def head_revision() -> set[str]:
    """Every head the installed modules give: the core's and each module branch's."""
    return head_revisions(migration_folders(discover_specs()))


pytestmark = pytest.mark.timeout(180)


def _upgrade_together(url: str, count: int = 2) -> list[BaseException]:
    """Run `upgrade(url)` in `count` threads of this process released at once; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def one() -> None:
        barrier.wait()
        try:
            upgrade(url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _migrate_in_processes(url: str, workdir: Path, count: int = 2) -> list[tuple[int, str]]:
    """Start `count` `wolaro migrate` processes on `url` at once; their exit codes and output."""
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "DATA_DIR": str(workdir)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "wolaro.cli", "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(count)
    ]
    outputs = [process.communicate(timeout=120)[0].decode(errors="replace") for process in processes]
    return [(process.returncode, output) for process, output in zip(processes, outputs, strict=True)]


async def _version(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.session() as session:
            return set((await session.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    finally:
        await db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_two_wolaro_migrate_processes_on_an_empty_postgres_both_succeed(postgres_url, tmp_path, attempt):
    results = _migrate_in_processes(postgres_url, tmp_path)
    assert [code for code, _ in results] == [0, 0], results
    assert all("database at head" in output for _, output in results), results
    assert asyncio.run(_version(postgres_url)) == head_revision()


def test_two_wolaro_migrate_processes_on_an_empty_sqlite_file_both_succeed(sqlite_url, tmp_path):
    results = _migrate_in_processes(sqlite_url, tmp_path)
    assert [code for code, _ in results] == [0, 0], results
    assert asyncio.run(_version(sqlite_url)) == head_revision()


@pytest.mark.postgres
async def test_two_upgrades_in_one_process_at_once_both_succeed(postgres_url):
    """Alembic's environment is process-global: two threads migrating at once take turns too."""
    errors = await asyncio.to_thread(_upgrade_together, postgres_url)
    assert errors == []
    assert await _version(postgres_url) == head_revision()


@pytest.mark.postgres
async def test_a_second_migrator_waits_while_the_lock_is_held(postgres_url):
    """While another session holds the migration lock, `upgrade` waits; it goes on once the lock is released."""
    holder = await asyncpg.connect(make_url(postgres_url).set(drivername="postgresql").render_as_string(False))
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        migration = asyncio.create_task(asyncio.to_thread(upgrade, postgres_url))
        await asyncio.sleep(1.5)
        assert not migration.done()  # waiting for the lock
        waiting = await holder.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert waiting == 1
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        await asyncio.wait_for(migration, timeout=60)
    finally:
        await holder.close()
    assert await _version(postgres_url) == head_revision()
