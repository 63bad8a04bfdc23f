"""Exactly once under concurrency: several schedulers (own connection pools) and several processes share a database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.support.jobs import FAST, ago, all_rows, later
from wolaro.core.services import upgrade_schema_async as upgrade_async
from wolaro.data.database import Database
from wolaro.jobs import JobContext, JobRegistry, JobScheduler

Eventually = Callable[..., Awaitable[None]]
ROOT = Path(__file__).resolve().parents[2]
WORKER_SCRIPT = ROOT / "tests" / "support" / "worker_process.py"
JOBS = 200
WORKERS = 4


def _recording_registry(runs: list[tuple[int, str]]) -> JobRegistry:
    registry = JobRegistry()

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        await asyncio.sleep(0)  # let the other schedulers interleave
        runs.append((ctx.job_id, ctx.scheduler.worker_id))

    registry.register("test.concurrent", handler)
    return registry


async def _schedule_many(db: Database, count: int, *, spread: float = 0.0) -> set[int]:
    scheduler = JobScheduler(db)
    async with db.transaction() as session:
        return {
            await scheduler.schedule(
                "test.concurrent",
                run_at=ago() if not spread else later(spread * i / count),
                guild_id=i % 7,
                payload={"i": i},
                session=session,
            )
            for i in range(count)
        }


async def test_concurrent_schedulers_run_each_job_once(migrated_db: Database) -> None:
    job_ids = await _schedule_many(migrated_db, JOBS)
    runs: list[tuple[int, str]] = []
    registry = _recording_registry(runs)
    dbs = [Database(migrated_db.url, pool_size=4, max_overflow=0) for _ in range(WORKERS)]  # one pool per "process"
    schedulers = [JobScheduler(db, registry=registry, worker_id=f"w{n}", **FAST) for n, db in enumerate(dbs)]

    async def drain(scheduler: JobScheduler) -> None:
        idle = 0
        while idle < 3:
            idle = 0 if await scheduler.run_due(limit=10) else idle + 1

    try:
        await asyncio.wait_for(asyncio.gather(*(drain(s) for s in schedulers)), 60)
    finally:
        for db in dbs:
            await db.dispose()
    counts = Counter(job_id for job_id, _ in runs)
    assert set(counts) == job_ids
    assert max(counts.values()) == 1, {job: n for job, n in counts.items() if n > 1}
    rows = await all_rows(migrated_db)
    assert {row.status for row in rows} == {"done"}
    assert {row.attempts for row in rows} == {1}
    if migrated_db.dialect == "postgresql":
        assert len({worker for _, worker in runs}) > 1, "the claims never interleaved"


async def test_concurrent_worker_loops_run_each_job_once(migrated_db: Database, eventually: Eventually) -> None:
    runs: list[tuple[int, str]] = []
    registry = _recording_registry(runs)
    dbs = [Database(migrated_db.url, pool_size=4, max_overflow=0) for _ in range(WORKERS)]
    schedulers = [
        JobScheduler(db, registry=registry, worker_id=f"w{n}", **{**FAST, "poll_interval": 0.02, "concurrency": 8})
        for n, db in enumerate(dbs)
    ]
    try:
        for scheduler in schedulers:
            await scheduler.start()
        job_ids = await _schedule_many(migrated_db, JOBS // 2) | await _schedule_many(
            migrated_db, JOBS // 2, spread=0.5
        )
        await eventually(lambda: len(runs) >= JOBS, timeout=30)
        await asyncio.sleep(0.2)  # a duplicate would show up now
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
        for db in dbs:
            await db.dispose()
    counts = Counter(job_id for job_id, _ in runs)
    assert set(counts) == job_ids
    assert max(counts.values()) == 1
    assert {row.status for row in await all_rows(migrated_db)} == {"done"}


@pytest.mark.postgres
async def test_worker_processes_run_each_job_once(postgres_url: str, eventually: Eventually) -> None:
    await upgrade_async(postgres_url)
    db = Database(postgres_url)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with db.transaction() as session:
            await session.execute(text("CREATE TABLE job_runs (job_id BIGINT NOT NULL, worker TEXT NOT NULL)"))
        for name in ("proc-a", "proc-b"):
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, str(WORKER_SCRIPT), postgres_url, name, stdout=subprocess.PIPE, env=env, cwd=ROOT
                )
            )
        for process in processes:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            assert line.strip() == b"ready", f"worker process did not start: {line!r}"
        job_ids = set()
        scheduler = JobScheduler(db)
        async with db.transaction() as session:
            for i in range(300):
                run_at = ago() if i < 200 else later((i - 200) / 100)  # 200 due now, 100 over the next second
                job_ids.add(
                    await scheduler.schedule(
                        "test.multiprocess", run_at=run_at, guild_id=1, payload={"i": i}, session=session
                    )
                )

        async def all_done() -> bool:
            async with db.session() as session:
                return (
                    await session.execute(text("SELECT count(*) FROM scheduled_jobs WHERE status = 'done'"))
                ).scalar() == len(job_ids)

        await eventually(all_done, timeout=30, interval=0.05)
        await asyncio.sleep(0.2)  # a duplicate would show up now
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            assert await asyncio.wait_for(process.wait(), 30) == 0
        async with db.session() as session:
            rows = (await session.execute(text("SELECT job_id, worker FROM job_runs"))).all()
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await db.dispose()
    counts = Counter(job_id for job_id, _ in rows)
    assert set(counts) == job_ids
    assert max(counts.values()) == 1, {job: n for job, n in counts.items() if n > 1}
    per_worker = Counter(worker for _, worker in rows)
    assert set(per_worker) == {"proc-a", "proc-b"}, per_worker
