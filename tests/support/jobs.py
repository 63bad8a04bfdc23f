"""Helpers shared by the job tests (timings, clock, a recording handler, row readers)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from wolaro.data.database import Database
from wolaro.jobs import JobContext, ScheduledJob

FAST = {"poll_interval": 0.05, "lease": 5.0, "retry_base": 0.01, "retry_max": 0.05, "shutdown_grace": 1.0}


def now() -> datetime:
    return datetime.now(UTC)


def ago(seconds: float = 1.0) -> datetime:
    return now() - timedelta(seconds=seconds)


def later(seconds: float) -> datetime:
    return now() + timedelta(seconds=seconds)


@dataclass
class Recorder:
    """A handler that records every run: (job id, worker id, attempt, payload)."""

    runs: list[tuple[int, str, int, dict[str, Any]]] = field(default_factory=list)
    fail_times: int = 0
    delay: float = 0.0

    async def __call__(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.runs.append((ctx.job_id, ctx.scheduler.worker_id, ctx.attempt, payload))
        if ctx.attempt <= self.fail_times:
            raise RuntimeError(f"boom {ctx.attempt}")

    def counts(self) -> Counter[int]:
        return Counter(job_id for job_id, *_ in self.runs)

    def ran(self, job_id: int) -> bool:
        return job_id in self.counts()


async def job_row(db: Database, job_id: int) -> ScheduledJob:
    async with db.session() as session:
        row = (await session.execute(select(ScheduledJob).where(ScheduledJob.id == job_id))).scalar_one()
        return row


async def all_rows(db: Database) -> list[ScheduledJob]:
    async with db.session() as session:
        return list((await session.execute(select(ScheduledJob).order_by(ScheduledJob.id))).scalars())
