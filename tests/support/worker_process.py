"""A job worker in its own process, for the multi-process test.

`python tests/support/worker_process.py URL NAME`: runs a `JobScheduler` loop on the database at URL until SIGTERM.
Its handler `test.multiprocess` inserts one `job_runs` row per run in a transaction of its own (not the one that
records completion), so a job run twice would show up as two rows.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from sqlalchemy import text

from wolaro.data.database import Database
from wolaro.jobs import JobContext, JobRegistry, JobScheduler
from wolaro.logging import configure_logging


async def record_run(ctx: JobContext, payload: dict[str, Any]) -> None:
    await asyncio.sleep(0.02)  # one process alone would need >= 0.3 s: the other one gets a share
    async with ctx.db.transaction() as session:
        await session.execute(
            text("INSERT INTO job_runs (job_id, worker) VALUES (:job_id, :worker)"),
            {"job_id": ctx.job_id, "worker": ctx.scheduler.worker_id},
        )


async def main(url: str, name: str) -> None:
    configure_logging("WARNING", "console")  # to stderr: stdout carries only "ready"
    db = Database(url, pool_size=5, max_overflow=5)
    registry = JobRegistry({"test.multiprocess": record_run})
    scheduler = JobScheduler(db, registry=registry, worker_id=name, poll_interval=0.02, concurrency=20, lease=10)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await scheduler.start()
    print("ready", flush=True)
    await stop.wait()
    await scheduler.stop()
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
