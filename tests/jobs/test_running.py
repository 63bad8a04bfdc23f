"""Running due jobs: outcomes, retries with backoff, leases, restarts, the background loop, shutdown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text, update

from tests.support.jobs import Recorder, ago, all_rows, job_row, later, now
from wolaro.data.database import Database
from wolaro.jobs import JobContext, JobRegistry, JobScheduler, PermanentJobError, ScheduledJob
from wolaro.jobs import store as job_store
from wolaro.jobs.worker import backoff_delay

Eventually = Callable[..., Awaitable[None]]


async def test_run_due_runs_what_is_due_once(
    scheduler: JobScheduler, recorder: Recorder, migrated_db: Database
) -> None:
    due = await scheduler.schedule("test.record", run_at=ago(), guild_id=3, payload={"user_id": 9})
    future = await scheduler.schedule("test.record", run_at=later(60), guild_id=3, payload={})
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0
    assert recorder.runs == [(due, scheduler.worker_id, 1, {"user_id": 9})]
    row = await job_row(migrated_db, due)
    assert (row.status, row.attempts, row.locked_until, row.last_error) == ("done", 1, None, None)
    assert row.finished_at is not None
    assert (await job_row(migrated_db, future)).status == "pending"


async def test_handler_context(scheduler: JobScheduler, registry: JobRegistry) -> None:
    seen: list[JobContext] = []

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        seen.append(ctx)

    registry.register("test.context", handler)
    run_at = ago(2)
    job_id = await scheduler.schedule("test.context", run_at=run_at, guild_id=77, payload={}, max_attempts=4)
    await scheduler.run_due()
    (ctx,) = seen
    assert (ctx.job_id, ctx.kind, ctx.guild_id, ctx.attempt, ctx.max_attempts) == (job_id, "test.context", 77, 1, 4)
    assert ctx.run_at == run_at
    assert ctx.bot is None
    assert ctx.db is scheduler.db
    assert not ctx.is_last_attempt
    with pytest.raises(RuntimeError, match="without Services"):
        _ = ctx.services


async def test_job_due_while_no_worker_ran_runs_when_one_starts(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, migrated_db: Database, eventually: Eventually
) -> None:
    producer = make_scheduler()  # e.g. the bot: schedules, runs no loop
    job_id = await producer.schedule("test.record", run_at=later(0.2), guild_id=1, payload={})
    await asyncio.sleep(0.3)  # the job comes due while no worker runs
    assert not recorder.runs
    # A worker starts later, in another process (its own engine), polling rarely: it runs the job at once.
    worker_db = Database(migrated_db.url)
    try:
        worker = make_scheduler(worker_db, poll_interval=30)
        started = time.monotonic()
        await worker.start()
        await eventually(lambda: recorder.ran(job_id), timeout=5)
        assert time.monotonic() - started < 3  # not the 30 s poll
        await eventually(lambda: _status(migrated_db, job_id, "done"))
        await worker.stop()
    finally:
        await worker_db.dispose()


async def test_loop_wakes_early_for_a_job_scheduled_in_this_process(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, eventually: Eventually
) -> None:
    scheduler = make_scheduler(poll_interval=30)
    await scheduler.start()
    await asyncio.sleep(0.05)  # the loop is asleep for 30 s now
    first = await scheduler.schedule("test.record", run_at=now(), guild_id=1, payload={})
    await eventually(lambda: recorder.ran(first), timeout=5)
    scheduled = time.monotonic()
    second = await scheduler.schedule("test.record", run_at=later(0.3), guild_id=1, payload={})
    await eventually(lambda: recorder.ran(second), timeout=5)
    assert 0.25 <= time.monotonic() - scheduled < 5  # not the 30 s poll
    # Scheduled inside a caller's transaction: the loop wakes when it commits.
    async with scheduler.db.transaction() as session:
        third = await scheduler.schedule("test.record", run_at=now(), guild_id=1, payload={}, session=session)
    await eventually(lambda: recorder.ran(third), timeout=5)


async def test_loop_picks_up_jobs_other_processes_schedule(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, migrated_db: Database, eventually: Eventually
) -> None:
    worker = make_scheduler(poll_interval=0.05)
    await worker.start()
    other_db = Database(migrated_db.url)
    try:
        job_ids = [
            await JobScheduler(other_db).schedule("test.record", run_at=later(i * 0.05), guild_id=1, payload={})
            for i in range(5)
        ]
        await eventually(lambda: all(recorder.ran(j) for j in job_ids), timeout=3)
    finally:
        await other_db.dispose()


async def test_failure_retries_with_backoff_then_succeeds(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, migrated_db: Database, eventually: Eventually
) -> None:
    scheduler = make_scheduler(retry_base=0.2, retry_max=10)
    recorder.fail_times = 2
    job_id = await scheduler.schedule("test.record", run_at=ago(), guild_id=1, payload={}, max_attempts=5)
    before = now()
    assert await scheduler.run_due() == 1
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.attempts, row.last_error, row.locked_until) == ("pending", 1, "RuntimeError: boom 1", None)
    delay = (row.run_at - before).total_seconds()
    assert 0.2 * 0.8 - 0.05 <= delay <= 0.2 + 2  # base * 2**0, jittered down by at most 20 % (slack: slow CI)
    assert await scheduler.run_due() == 0  # not due again yet
    await eventually(lambda: scheduler.run_due(), timeout=3)
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.attempts) == ("pending", 2)
    assert (row.run_at - before).total_seconds() >= 0.2 * 0.8 + 0.4 * 0.8 - 0.05  # second wait doubled
    await eventually(lambda: scheduler.run_due(), timeout=3)
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.attempts, row.last_error) == ("done", 3, None)
    assert [attempt for _, _, attempt, _ in recorder.runs] == [1, 2, 3]


async def test_job_fails_after_max_attempts(
    scheduler: JobScheduler, recorder: Recorder, migrated_db: Database, eventually: Eventually
) -> None:
    recorder.fail_times = 99
    job_id = await scheduler.schedule("test.record", run_at=ago(), guild_id=1, payload={}, max_attempts=3)

    async def settled() -> bool:
        await scheduler.run_due()
        return (await job_row(migrated_db, job_id)).status == "failed"

    await eventually(settled, timeout=5)
    row = await job_row(migrated_db, job_id)
    assert (row.attempts, row.last_error, row.locked_until) == (3, "RuntimeError: boom 3", None)
    assert row.finished_at is not None
    assert len(recorder.runs) == 3
    assert await scheduler.run_due() == 0
    assert await scheduler.pending() == []


async def test_permanent_error_fails_at_once(
    scheduler: JobScheduler, registry: JobRegistry, migrated_db: Database
) -> None:
    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        raise PermanentJobError("guild is gone")

    registry.register("test.permanent", handler)
    job_id = await scheduler.schedule("test.permanent", run_at=ago(), guild_id=1, payload={})
    await scheduler.run_due()
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "PermanentJobError: guild is gone")


async def test_a_hung_handler_times_out(
    make_scheduler: Callable[..., JobScheduler], registry: JobRegistry, migrated_db: Database
) -> None:
    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        await asyncio.sleep(30)

    registry.register("test.hang", handler)
    scheduler = make_scheduler(job_timeout=0.1)
    job_id = await scheduler.schedule("test.hang", run_at=ago(), guild_id=1, payload={}, max_attempts=1)
    await scheduler.run_due()
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.last_error) == ("failed", "TimeoutError")


def test_backoff_is_exponential_capped_and_jittered() -> None:
    for attempt in range(1, 30):
        expected = min(3600.0, 5.0 * 2 ** (attempt - 1))
        for _ in range(20):
            assert 0.8 * expected <= backoff_delay(attempt, 5.0, 3600.0) <= expected
    assert backoff_delay(1, 5.0, 3600.0, jitter=0) == 5.0
    assert backoff_delay(4, 5.0, 3600.0, jitter=0) == 40.0
    assert backoff_delay(50, 5.0, 3600.0, jitter=0) == 3600.0


async def test_kinds_without_a_handler_here_are_not_claimed(
    scheduler: JobScheduler, recorder: Recorder, migrated_db: Database
) -> None:
    unknown = await scheduler.schedule("test.not_here", run_at=ago(), guild_id=1, payload={})
    assert await scheduler.run_due() == 0
    row = await job_row(migrated_db, unknown)
    assert (row.status, row.attempts) == ("pending", 0)


async def test_a_dead_workers_job_runs_again_after_its_lease(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, migrated_db: Database, eventually: Eventually
) -> None:
    dead = make_scheduler(lease=1.0)
    job_id = await dead.schedule("test.record", run_at=ago(), guild_id=1, payload={})
    (claim,) = await dead._claim(10)  # claimed, then the process "dies": never runs, never heartbeats
    other_db = Database(migrated_db.url)
    try:
        alive = make_scheduler(other_db)
        assert await alive.run_due() == 0  # leased: nobody else may run it yet
        await eventually(alive.run_due, timeout=3)
        assert recorder.runs == [(job_id, alive.worker_id, 2, {})]
        row = await job_row(migrated_db, job_id)
        assert (row.status, row.attempts, row.locked_by) == ("done", 2, alive.worker_id)
        # The dead worker waking up late cannot record anything over the new owner's outcome.
        async with migrated_db.transaction() as session:
            assert await job_store.complete(session, migrated_db.dialect, claim) is False
            assert await job_store.retry(session, migrated_db.dialect, claim, delay=0, error="late") is False
    finally:
        await other_db.dispose()


async def test_dying_during_the_last_attempt_fails_the_job(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, migrated_db: Database, eventually: Eventually
) -> None:
    dead = make_scheduler(lease=0.2)
    job_id = await dead.schedule("test.record", run_at=ago(), guild_id=1, payload={}, max_attempts=1)
    assert len(await dead._claim(10)) == 1
    alive = make_scheduler()
    await eventually(alive.run_due, timeout=3)
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.last_error) == ("failed", "lease expired during the last attempt")
    assert not recorder.runs


async def test_heartbeat_keeps_a_long_job_leased(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, migrated_db: Database
) -> None:
    recorder.delay = 1.5
    slow = make_scheduler(lease=0.6)  # heartbeat every 0.2 s
    job_id = await slow.schedule("test.record", run_at=ago(), guild_id=1, payload={})
    other_db = Database(migrated_db.url)
    try:
        other = make_scheduler(other_db)
        running = asyncio.create_task(slow.run_due())
        for _ in range(25):
            assert await other.run_due() == 0
            await asyncio.sleep(0.05)
        assert await running == 1
    finally:
        await other_db.dispose()
    assert recorder.counts() == {job_id: 1}
    assert (await job_row(migrated_db, job_id)).status == "done"


async def test_losing_the_lease_stops_the_handler(
    make_scheduler: Callable[..., JobScheduler], registry: JobRegistry, migrated_db: Database
) -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise

    registry.register("test.stolen", handler)
    scheduler = make_scheduler(lease=0.3)
    job_id = await scheduler.schedule("test.stolen", run_at=ago(), guild_id=1, payload={})
    running = asyncio.create_task(scheduler.run_due())
    await started.wait()
    async with migrated_db.transaction() as session:  # another worker took it over
        await session.execute(update(ScheduledJob).where(ScheduledJob.id == job_id).values(locked_by="thief"))
    assert await asyncio.wait_for(running, 3) == 1
    assert outcome == ["cancelled"]
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.locked_by) == ("running", "thief")  # the new owner's claim is untouched


async def _make_effects_table(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE effects (job_id BIGINT NOT NULL, note TEXT)"))


async def _effects(db: Database) -> list[tuple[int, str]]:
    async with db.session() as session:
        return [tuple(row) for row in await session.execute(text("SELECT job_id, note FROM effects"))]


async def test_ctx_transaction_commits_the_effect_with_completion(
    scheduler: JobScheduler, registry: JobRegistry, migrated_db: Database
) -> None:
    await _make_effects_table(migrated_db)

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.transaction() as session:
            await session.execute(text("INSERT INTO effects VALUES (:j, :n)"), {"j": ctx.job_id, "n": payload["n"]})

    registry.register("test.db_effect", handler)
    job_id = await scheduler.schedule("test.db_effect", run_at=ago(), guild_id=1, payload={"n": "warn expired"})
    await scheduler.run_due()
    assert await _effects(migrated_db) == [(job_id, "warn expired")]
    assert (await job_row(migrated_db, job_id)).status == "done"


async def test_ctx_transaction_rolls_back_if_the_job_was_taken_over(
    scheduler: JobScheduler, registry: JobRegistry, migrated_db: Database
) -> None:
    await _make_effects_table(migrated_db)

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.db.transaction() as session:  # meanwhile, another worker took the job over
            await session.execute(update(ScheduledJob).where(ScheduledJob.id == ctx.job_id).values(locked_by="x"))
        async with ctx.transaction() as session:
            await session.execute(text("INSERT INTO effects VALUES (:j, 'twice!')"), {"j": ctx.job_id})

    registry.register("test.db_effect", handler)
    job_id = await scheduler.schedule("test.db_effect", run_at=ago(), guild_id=1, payload={})
    await scheduler.run_due()
    assert await _effects(migrated_db) == []
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.locked_by) == ("running", "x")


async def test_stop_gives_running_jobs_back(
    make_scheduler: Callable[..., JobScheduler], registry: JobRegistry, migrated_db: Database, eventually: Eventually
) -> None:
    started = asyncio.Event()

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(30)

    registry.register("test.slow", handler)
    scheduler = make_scheduler(shutdown_grace=0.1)
    job_id = await scheduler.schedule("test.slow", run_at=ago(), guild_id=1, payload={})
    await scheduler.start()
    await asyncio.wait_for(started.wait(), 3)
    await asyncio.wait_for(scheduler.stop(), 3)
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.attempts, row.locked_until) == ("pending", 0, None)  # the attempt does not count
    assert abs((row.run_at - now()).total_seconds()) < 2  # due again at once, for the next worker
    assert not scheduler.running


async def test_stop_while_a_finished_job_is_being_recorded_leaves_it_done(
    make_scheduler: Callable[..., JobScheduler],
    registry: JobRegistry,
    migrated_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The handler's work is done when the worker is told to stop: its completion is still written, so the job
    never runs a second time after its lease."""
    runs: list[int] = []
    recording = asyncio.Event()
    complete = job_store.complete

    async def slow_complete(*args: Any, **kwargs: Any) -> bool:
        recording.set()
        await asyncio.sleep(0.5)  # a slow database while the worker stops (shutdown grace is 0.05 s)
        return await complete(*args, **kwargs)

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        runs.append(ctx.job_id)

    monkeypatch.setattr(job_store, "complete", slow_complete)
    registry.register("test.quick", handler)
    scheduler = make_scheduler(shutdown_grace=0.05)
    job_id = await scheduler.schedule("test.quick", run_at=ago(), guild_id=1, payload={})
    await scheduler.start()
    await asyncio.wait_for(recording.wait(), 3)
    await asyncio.wait_for(scheduler.stop(), 3)
    row = await job_row(migrated_db, job_id)
    assert runs == [job_id] and row.status == "done"


async def test_a_retry_superseded_by_a_newer_job_with_its_key(
    scheduler: JobScheduler, registry: JobRegistry, migrated_db: Database
) -> None:
    newer: list[int] = []

    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        if payload["v"] == 1:  # while this unban runs, the member is temp-banned again
            newer.append(
                await ctx.scheduler.schedule(
                    "test.flaky", run_at=later(60), guild_id=1, payload={"v": 2}, dedupe_key="unban:1:5"
                )
            )
            raise RuntimeError("Discord is down")

    registry.register("test.flaky", handler)
    old = await scheduler.schedule("test.flaky", run_at=ago(), guild_id=1, payload={"v": 1}, dedupe_key="unban:1:5")
    await scheduler.run_due()
    assert newer and newer[0] != old
    old_row = await job_row(migrated_db, old)
    assert old_row.status == "cancelled"
    assert old_row.last_error is not None and "superseded" in old_row.last_error
    assert [(j.id, j.payload) for j in await scheduler.pending()] == [(newer[0], {"v": 2})]


async def _status(db: Database, job_id: int, status: str) -> bool:
    return (await job_row(db, job_id)).status == status


async def test_finished_jobs_are_purged_after_their_retention(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, registry: JobRegistry, migrated_db: Database
) -> None:
    async def fail(ctx: JobContext, payload: dict[str, Any]) -> None:
        raise PermanentJobError("no")

    registry.register("test.fail", fail)
    scheduler = make_scheduler(retention=timedelta(0), failed_retention=timedelta(days=30))
    done = await scheduler.schedule("test.record", run_at=ago(), guild_id=1, payload={})
    failed = await scheduler.schedule("test.fail", run_at=ago(), guild_id=1, payload={})
    cancelled = await scheduler.schedule("test.record", run_at=later(60), guild_id=1, payload={})
    waiting = await scheduler.schedule("test.record", run_at=later(60), guild_id=1, payload={})
    await scheduler.cancel(job_id=cancelled)
    await scheduler.run_due()
    await scheduler._maybe_purge()
    assert {row.id for row in await all_rows(migrated_db)} == {failed, waiting}
    assert done not in {row.id for row in await all_rows(migrated_db)}


async def test_an_error_after_ctx_transaction_leaves_the_job_done(
    scheduler: JobScheduler, registry: JobRegistry, migrated_db: Database
) -> None:
    async def handler(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.transaction():
            pass
        raise RuntimeError("after the fact")

    registry.register("test.after", handler)
    job_id = await scheduler.schedule("test.after", run_at=ago(), guild_id=1, payload={})
    await scheduler.run_due()
    row = await job_row(migrated_db, job_id)
    assert (row.status, row.attempts) == ("done", 1)


async def test_the_loop_survives_database_errors(
    make_scheduler: Callable[..., JobScheduler], recorder: Recorder, migrated_db: Database, eventually: Eventually
) -> None:
    scheduler = make_scheduler(poll_interval=0.02)
    async with migrated_db.transaction() as session:  # the table is gone: every claim fails
        await session.execute(text("ALTER TABLE scheduled_jobs RENAME TO scheduled_jobs_away"))
    await scheduler.start()
    await asyncio.sleep(0.2)
    assert scheduler.running
    async with migrated_db.transaction() as session:
        await session.execute(text("ALTER TABLE scheduled_jobs_away RENAME TO scheduled_jobs"))
    job_id = await JobScheduler(migrated_db).schedule("test.record", run_at=ago(), guild_id=1, payload={})
    await eventually(lambda: recorder.ran(job_id), timeout=5)
