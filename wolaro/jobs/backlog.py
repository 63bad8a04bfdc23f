"""The job backlog as Prometheus gauges: due jobs no worker has claimed yet, and how long the oldest has waited.

Each worker loop refreshes them at most every `BACKLOG_EVERY` seconds with one small query (pending jobs whose time
has come, plus running jobs whose lease expired: what a worker would claim next). A backlog that stays above zero
means the workers are too few or stuck (deploy/prometheus/alerts.yml, WolaroJobBacklog).
"""

from __future__ import annotations

import time
from datetime import datetime

from prometheus_client import Gauge
from sqlalchemy import func, or_, select

from wolaro.data.database import Database
from wolaro.data.models import utcnow
from wolaro.jobs.models import JobStatus
from wolaro.jobs.models import ScheduledJob as J
from wolaro.logging import get_logger

log = get_logger(__name__)

BACKLOG_EVERY = 15.0
DUE = Gauge("wolaro_jobs_due", "Scheduled jobs due that no worker has claimed yet")
OLDEST_DUE = Gauge("wolaro_jobs_oldest_due_seconds", "Seconds the oldest due, unclaimed job has waited")


class BacklogGauges:
    """Refreshes DUE and OLDEST_DUE from the database, at most every `every` seconds."""

    def __init__(self, db: Database, *, every: float = BACKLOG_EVERY) -> None:
        self.db = db
        self.every = every
        self._last = -every

    async def maybe_refresh(self) -> None:
        """Query and set the gauges if `every` seconds passed; a failure only logs (the claim loop goes on)."""
        if time.monotonic() - self._last < self.every:
            return
        self._last = time.monotonic()
        try:
            count, oldest = await self.read()
        except Exception as exc:
            log.debug("job backlog not measured", error=repr(exc))
            return
        DUE.set(count)
        OLDEST_DUE.set(max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0)

    async def read(self) -> tuple[int, datetime | None]:
        """(due unclaimed jobs, when the oldest of them came due)."""
        now = utcnow()
        due = or_(
            (J.status == JobStatus.PENDING.value) & (J.run_at <= now),
            (J.status == JobStatus.RUNNING.value) & (J.locked_until < now),
        )
        async with self.db.session() as session:
            row = (await session.execute(select(func.count(), func.min(J.run_at)).where(due))).one()
        return int(row[0]), row[1]
