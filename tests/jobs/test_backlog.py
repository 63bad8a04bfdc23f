"""The job backlog gauges: due unclaimed jobs (pending and come due, or running with an expired lease)."""

from __future__ import annotations

from datetime import timedelta

from wolaro.data.models import utcnow
from wolaro.jobs.backlog import DUE, OLDEST_DUE, BacklogGauges
from wolaro.jobs.models import JobStatus, ScheduledJob


async def test_due_and_stale_jobs_count_future_and_leased_ones_do_not(migrated_db) -> None:
    now = utcnow()
    rows = [
        (JobStatus.PENDING, now - timedelta(seconds=90), None),  # due for 90 s
        (JobStatus.PENDING, now - timedelta(seconds=5), None),
        (JobStatus.PENDING, now + timedelta(hours=1), None),  # not yet
        (JobStatus.RUNNING, now - timedelta(seconds=30), now - timedelta(seconds=1)),  # its worker died
        (JobStatus.RUNNING, now - timedelta(seconds=30), now + timedelta(seconds=60)),  # being run
    ]
    async with migrated_db.transaction() as session:
        for n, (status, run_at, locked_until) in enumerate(rows):
            session.add(
                ScheduledJob(
                    kind="test.kind",
                    dedupe_key=f"backlog-{n}",
                    payload={},
                    run_at=run_at,
                    status=status.value,
                    locked_until=locked_until,
                )
            )
    gauges = BacklogGauges(migrated_db, every=0)
    count, oldest = await gauges.read()
    assert count == 3
    assert oldest is not None and abs((oldest - (now - timedelta(seconds=90))).total_seconds()) < 1
    await gauges.maybe_refresh()
    assert DUE._value.get() == 3
    assert 89 <= OLDEST_DUE._value.get() < 120
