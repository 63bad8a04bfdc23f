"""Running one claimed job (heartbeat, timeout, outcome, retry with backoff), and the worker component.

Outcomes of an attempt:

* the handler returns: `done` (unless it already recorded completion in `ctx.transaction()`);
* it raises `PermanentJobError`, or raises on its last attempt: `failed`, with `last_error`;
* it raises anything else (or exceeds the job timeout): back to `pending`, due after an exponential backoff
  (`retry_base * 2 ** (attempt - 1)`, capped at `retry_max`, minus up to 20 % jitter);
* the worker is stopping and cancels it: back to `pending` at once, the attempt refunded;
* the heartbeat finds the claim taken over (the lease expired, e.g. the event loop was blocked): the handler
  is cancelled and nothing is recorded, since the job now belongs to another worker.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from wolaro.jobs import store
from wolaro.jobs.context import JobContext, LeaseLost, PermanentJobError
from wolaro.jobs.models import JobStatus
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from structlog.stdlib import BoundLogger

    from wolaro.jobs.scheduler import JobScheduler

log = get_logger(__name__)

JITTER = 0.2


def backoff_delay(attempt: int, base: float, cap: float, *, jitter: float = JITTER) -> float:
    """Seconds before retrying after failed attempt number `attempt` (1-based): exponential, capped, jittered."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * (1.0 - jitter * random.random())


async def execute(scheduler: JobScheduler, claim: store.Claim) -> str:
    """Run one claimed job to an outcome; return it (`done`, `retry`, `failed`, `lost`, `released`...)."""
    bound = log.bind(job_id=claim.id, kind=claim.kind, guild_id=claim.guild_id, attempt=claim.attempt)
    if claim.attempt > claim.max_attempts:
        # Its worker died during the last attempt: nothing left to try.
        await _record_final(scheduler, claim, JobStatus.FAILED, "lease expired during the last attempt", bound)
        return JobStatus.FAILED.value
    handler = scheduler.registry.get(claim.kind)
    if handler is None:  # unregistered after the claim (a module reload): let a worker that knows it take it
        return await _record_retry(scheduler, claim, scheduler.poll_interval, None, bound, refund=True)
    ctx = _job_context(scheduler, claim)
    if claim.attempt > 1:
        bound.info("job retrying")
    task = asyncio.current_task()
    assert task is not None
    lost = asyncio.Event()
    heartbeat = asyncio.create_task(_heartbeat(scheduler, claim, task, lost, bound), name=f"job-{claim.id}-lease")
    try:
        try:
            async with asyncio.timeout(scheduler.job_timeout):
                await handler(ctx, dict(claim.payload))
        finally:
            heartbeat.cancel()
    except asyncio.CancelledError:
        if lost.is_set() and task.uncancel() == 0:
            bound.warning("job lease lost: handler stopped, another worker owns the job now")
            return "lost"
        await asyncio.shield(_record_retry(scheduler, claim, 0.0, "interrupted: worker stopping", bound, refund=True))
        raise
    except LeaseLost:
        bound.warning("job lease lost before its transaction committed: rolled back")
        return "lost"
    except PermanentJobError as exc:
        bound.error("job failed permanently", error=store.error_text(exc))
        await _record_final(scheduler, claim, JobStatus.FAILED, store.error_text(exc), bound)
        return JobStatus.FAILED.value
    except Exception as exc:
        return await _attempt_failed(scheduler, claim, ctx, exc, bound)
    return await _finish(scheduler, claim, ctx, bound)


def _job_context(scheduler: JobScheduler, claim: store.Claim) -> JobContext:
    """What the handler of the claimed job is given: the job, the scheduler and the bot."""
    return JobContext(
        job_id=claim.id,
        kind=claim.kind,
        guild_id=claim.guild_id,
        attempt=claim.attempt,
        max_attempts=claim.max_attempts,
        run_at=claim.run_at,
        scheduler=scheduler,
        bot=scheduler.discord.bot,
        _claim=claim,
    )


async def _attempt_failed(
    scheduler: JobScheduler, claim: store.Claim, ctx: JobContext, exc: Exception, bound: BoundLogger
) -> str:
    """The handler raised (called while handling it, so the logs carry its traceback): retry, fail, or leave done."""
    if ctx.completed:
        bound.exception("job raised after its transaction recorded it done: left done")
        return JobStatus.DONE.value
    error = store.error_text(exc)
    if claim.attempt >= claim.max_attempts:
        bound.error("job failed after its last attempt", error=error, exc_info=True)
        await _record_final(scheduler, claim, JobStatus.FAILED, error, bound)
        return JobStatus.FAILED.value
    delay = backoff_delay(claim.attempt, scheduler.retry_base, scheduler.retry_max)
    bound.warning("job attempt failed, will retry", error=error, retry_in=round(delay, 3), exc_info=True)
    return await _record_retry(scheduler, claim, delay, error, bound)


async def _finish(scheduler: JobScheduler, claim: store.Claim, ctx: JobContext, bound: BoundLogger) -> str:
    """The handler returned: record the job done unless its own transaction already did."""
    if ctx.completed:
        bound.debug("job done")
        return JobStatus.DONE.value
    # The handler's work is done: its completion is written even if the worker is told to stop meanwhile, or the
    # job would run a second time once its lease expires.
    completion = asyncio.ensure_future(_record_done(scheduler, claim))
    try:
        recorded = await asyncio.shield(completion)
    except asyncio.CancelledError:
        await completion
        raise
    if recorded is None:
        bound.error("job ran but its completion could not be recorded: it will run again after its lease")
        return "unrecorded"
    if not recorded:
        bound.warning("job ran but another worker took it over meanwhile (lease expired): not recorded")
        return "lost"
    bound.debug("job done")
    return JobStatus.DONE.value


async def _record_done(scheduler: JobScheduler, claim: store.Claim) -> bool | None:
    """Mark the claimed job done; False when another worker owns it now, None when the write failed."""
    try:
        async with scheduler.db.transaction() as session:
            return await store.complete(session, scheduler.db.dialect, claim)
    except Exception:
        log.exception("job completion write failed", job_id=claim.id, kind=claim.kind)
        return None


async def _heartbeat(
    scheduler: JobScheduler, claim: store.Claim, task: asyncio.Task[object], lost: asyncio.Event, bound: BoundLogger
) -> None:
    """Extend the lease every third of it; cancel `task` if the claim was taken over."""
    while True:
        await asyncio.sleep(scheduler.lease / 3)
        try:
            async with scheduler.db.transaction() as session:
                owned = await store.extend(session, scheduler.db.dialect, claim, scheduler.lease)
        except Exception as exc:
            bound.warning("job heartbeat failed", error=repr(exc))
            continue
        if not owned:
            lost.set()
            task.cancel()
            return


async def _record_final(
    scheduler: JobScheduler, claim: store.Claim, status: JobStatus, error: str, bound: BoundLogger
) -> None:
    try:
        async with scheduler.db.transaction() as session:
            recorded = await store.finish(session, scheduler.db.dialect, claim, status, error)
    except Exception:
        bound.exception("job outcome could not be recorded", status=status.value)
        return
    if not recorded:
        bound.warning("job outcome dropped: another worker owns the job now", status=status.value)


async def _record_retry(
    scheduler: JobScheduler,
    claim: store.Claim,
    delay: float,
    error: str | None,
    bound: BoundLogger,
    *,
    refund: bool = False,
) -> str:
    dialect = scheduler.db.dialect
    try:
        try:
            async with scheduler.db.transaction() as session:
                recorded = await store.retry(session, dialect, claim, delay=delay, error=error, refund=refund)
        except IntegrityError:
            # A newer pending job took this dedupe key while we ran: it replaces this one.
            async with scheduler.db.transaction() as session:
                note = f"superseded by a newer job with the same dedupe key (last error: {error})"
                recorded = await store.finish(session, dialect, claim, JobStatus.CANCELLED, note)
            if recorded:
                bound.info("job superseded by a newer one with its dedupe key")
                return JobStatus.CANCELLED.value
    except Exception:
        bound.exception("job retry could not be recorded: it will run again after its lease")
        return "unrecorded"
    if not recorded:
        bound.warning("job retry dropped: another worker owns the job now")
        return "lost"
    return "released" if refund else "retry"


async def run_worker(services: Any, stop: asyncio.Event) -> None:
    """The worker component: run the scheduler of `services` (its registry holds every installed module's job kinds).

    Until `stop` is set.
    """
    scheduler = services.jobs
    await scheduler.start()
    log.info("job worker running", kinds=scheduler.registry.kinds(), worker=scheduler.worker_id)
    try:
        await stop.wait()
    finally:
        await scheduler.stop()
