"""`JobScheduler`: schedule and cancel durable jobs, list them, and run the ones that are due.

Every process has one (`services.jobs`): bot and API processes only schedule; a process running the worker
component (`wolaro worker`, `wolaro run`) also runs the claim loop. See `wolaro.jobs` for the guarantees.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

import orjson
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.models import utcnow
from wolaro.jobs import store
from wolaro.jobs.backlog import BacklogGauges
from wolaro.jobs.context import DiscordAccess
from wolaro.jobs.registry import JobRegistry, check_kind
from wolaro.jobs.worker import execute
from wolaro.logging import get_logger

if TYPE_CHECKING:
    from wolaro.data.database import Database
    from wolaro.settings import Settings

log = get_logger(__name__)

MAX_DEDUPE_KEY_LENGTH = 200
PURGE_EVERY = 3600.0
LOOP_ERROR_MAX_DELAY = 30.0


class _AllGuilds(Enum):
    ALL_GUILDS = "all guilds"


ALL_GUILDS: Final = _AllGuilds.ALL_GUILDS
"""`pending()` / `cancel()` without a guild filter (platform administration only; commands pass a guild id)."""

GuildFilter = int | None | _AllGuilds


def _worker_id() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


class JobScheduler:
    """Durable scheduled actions on the shared database, run exactly once by whichever worker claims them."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings | None = None,
        services: Any = None,
        registry: JobRegistry | None = None,
        worker_id: str | None = None,
        poll_interval: float = 1.0,
        lease: float = 60.0,
        concurrency: int = 50,
        retry_base: float = 5.0,
        retry_max: float = 3600.0,
        job_timeout: float = 600.0,
        shutdown_grace: float = 10.0,
        retention: timedelta = timedelta(days=7),
        failed_retention: timedelta = timedelta(days=30),
    ) -> None:
        if poll_interval <= 0 or lease <= 0 or concurrency < 1 or retry_base < 0 or job_timeout <= 0:
            raise ValueError("poll_interval, lease, job_timeout must be > 0, concurrency >= 1, retry_base >= 0")
        self.db = db
        self.services = services
        self.registry = registry if registry is not None else JobRegistry()
        self.worker_id = worker_id or _worker_id()
        self.poll_interval = poll_interval
        self.lease = lease
        self.concurrency = concurrency
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.job_timeout = job_timeout
        self.shutdown_grace = shutdown_grace
        self.retention = retention
        self.failed_retention = failed_retention
        self.discord = DiscordAccess(settings if settings is not None else getattr(services, "settings", None))
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()
        self._soonest: datetime | None = None
        self._sleeping_until: datetime | None = None
        self._inflight: set[asyncio.Task[str]] = set()
        self._backlog = False
        self._last_purge = float("-inf")
        self._backlog_gauges = BacklogGauges(db)  # wolaro_jobs_due and wolaro_jobs_oldest_due_seconds

    @classmethod
    def from_settings(cls, db: Database, settings: Settings, **kwargs: Any) -> JobScheduler:
        """A scheduler tuned by `JOBS_POLL_INTERVAL`, `JOBS_LEASE` and `JOBS_CONCURRENCY`."""
        kwargs.setdefault("poll_interval", settings.jobs_poll_interval)
        kwargs.setdefault("lease", settings.jobs_lease)
        kwargs.setdefault("concurrency", settings.jobs_concurrency)
        return cls(db, settings=settings, **kwargs)

    @property
    def bot(self) -> Any | None:
        """The discord.py client handlers see as `ctx.bot` (set when the bot runs in this process)."""
        return self.discord.bot

    @bot.setter
    def bot(self, bot: Any | None) -> None:
        self.discord.bot = bot

    @property
    def running(self) -> bool:
        """Whether the claim loop runs in this process."""
        return self._task is not None and not self._task.done()

    # ------------------------------------------------------------------ scheduling
    async def schedule(
        self,
        kind: str,
        *,
        run_at: datetime,
        guild_id: int | None,
        payload: dict[str, Any],
        dedupe_key: str | None = None,
        max_attempts: int = 8,
        session: AsyncSession | None = None,
    ) -> int:
        """Record a job of `kind` due at `run_at` (timezone-aware); return its id.

        With `session` (a transaction of this database), the job is part of the caller's transaction: it exists
        only if that commits ("ban + schedule the unban" together). With a `dedupe_key` that already has a
        pending job, that job is updated instead (new `run_at`, payload, kind, max_attempts; attempts reset)
        and its id returned: a second temp ban of the same member replaces the first one's unban. Include the
        guild in the key (`f"moderation.unban:{guild_id}:{user_id}"`); a key held by another guild's pending
        job raises `ValueError`.
        """
        check_kind(kind)
        if run_at.tzinfo is None or run_at.utcoffset() is None:
            raise ValueError("run_at must be timezone-aware (use datetime.now(UTC) + timedelta(...))")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if dedupe_key is not None and not 0 < len(dedupe_key) <= MAX_DEDUPE_KEY_LENGTH:
            raise ValueError(f"dedupe_key must be 1 to {MAX_DEDUPE_KEY_LENGTH} characters")
        if not isinstance(payload, dict):
            raise ValueError("payload must be a dict of JSON values")
        try:
            payload = orjson.loads(orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS))
        except TypeError as exc:
            raise ValueError(f"payload is not JSON-serialisable: {exc}") from None
        values: dict[str, Any] = {
            "kind": kind,
            "run_at": run_at,
            "guild_id": guild_id,
            "payload": payload,
            "dedupe_key": dedupe_key,
            "max_attempts": max_attempts,
        }
        if session is None:
            async with self.db.transaction() as own:
                job_id = await store.insert_or_replace(own, self.db.dialect, **values)
            self._scheduled_here(run_at)
        else:
            job_id = await store.insert_or_replace(session, self.db.dialect, **values)
            event.listen(session.sync_session, "after_commit", lambda _s: self._scheduled_here(run_at), once=True)
        log.debug("job scheduled", job_id=job_id, kind=kind, guild_id=guild_id, run_at=run_at.isoformat())
        return job_id

    async def cancel(
        self,
        *,
        dedupe_key: str | None = None,
        job_id: int | None = None,
        guild_id: GuildFilter = ALL_GUILDS,
        session: AsyncSession | None = None,
    ) -> bool:
        """Cancel the *pending* job with this dedupe key or id; True if one was cancelled.

        A job already running is not interrupted (its handler decides what a late run means). With `guild_id`,
        only that guild's job is cancelled (pass it from commands and the dashboard: tenant isolation).
        """
        if dedupe_key is None and job_id is None:
            raise ValueError("cancel() needs a dedupe_key or a job_id")
        arguments: dict[str, Any] = {
            "job_id": job_id,
            "dedupe_key": dedupe_key,
            "guild_id": None if guild_id is ALL_GUILDS else guild_id,
            "any_guild": guild_id is ALL_GUILDS,
        }
        if session is not None:
            cancelled = await store.cancel(session, self.db.dialect, **arguments)
        else:
            async with self.db.transaction() as own:
                cancelled = await store.cancel(own, self.db.dialect, **arguments)
        if cancelled:
            log.debug("job cancelled", job_id=job_id, dedupe_key=dedupe_key)
        return cancelled

    async def pending(
        self, *, guild_id: GuildFilter = ALL_GUILDS, kind: str | None = None, limit: int = 100
    ) -> list[store.JobInfo]:
        """Jobs not finished yet (pending, or running now), soonest first, at most `limit`.

        Only one guild's with `guild_id` (None: platform jobs); every guild's when `guild_id` is left out.
        """
        async with self.db.session() as session:
            return await store.list_active(
                session,
                guild_id=None if guild_id is ALL_GUILDS else guild_id,
                any_guild=guild_id is ALL_GUILDS,
                kind=kind,
                limit=limit,
            )

    # ------------------------------------------------------------------ running
    async def run_due(self, *, limit: int = 50) -> int:
        """Claim up to `limit` due jobs and run them (concurrently) to an outcome; return how many were claimed."""
        claims = await self._claim(limit)
        if claims:
            await asyncio.gather(*(self._run(claim) for claim in claims))
        return len(claims)

    async def start(self) -> None:
        """Start the claim loop in the background (polls every `poll_interval` s, sooner for local schedules)."""
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name=f"wolaro-jobs-{self.worker_id}")
        log.debug(
            "job worker started",
            worker=self.worker_id,
            kinds=self.registry.kinds(),
            poll_interval=self.poll_interval,
            lease=self.lease,
            concurrency=self.concurrency,
        )

    async def stop(self) -> None:
        """Stop claiming; give running jobs `shutdown_grace` s, then cancel them (they go back to pending)."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._inflight:
            _, unfinished = await asyncio.wait(set(self._inflight), timeout=self.shutdown_grace)
            for job in unfinished:
                job.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        await self.discord.close()
        if task is not None:
            log.info("job worker stopped", worker=self.worker_id)

    # ------------------------------------------------------------------ internals
    async def _claim(self, limit: int) -> list[store.Claim]:
        kinds = self.registry.kinds()
        if not kinds or limit <= 0:
            return []
        async with self.db.transaction() as session:
            claims = await store.claim(
                session, self.db.dialect, worker=self.worker_id, kinds=kinds, limit=limit, lease=self.lease
            )
        if claims:
            log.debug("jobs claimed", count=len(claims), worker=self.worker_id)
        return claims

    async def _run(self, claim: store.Claim) -> str:
        try:
            return await execute(self, claim)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job runner error", job_id=claim.id, kind=claim.kind)
            return "error"

    def _scheduled_here(self, run_at: datetime) -> None:
        """A job was committed in this process: wake the loop if it is due before the loop's next look."""
        if self._soonest is None or run_at < self._soonest:
            self._soonest = run_at
        if self._sleeping_until is not None and run_at < self._sleeping_until:
            self._wake.set()

    async def _loop(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            free = self.concurrency - len(self._inflight)
            try:
                claims = await self._claim(free)
            except Exception:
                failures += 1
                delay = min(LOOP_ERROR_MAX_DELAY, self.poll_interval * 2**failures)
                log.exception("job claim failed", retry_in=delay, worker=self.worker_id)
                await self._sleep(utcnow() + timedelta(seconds=delay))
                continue
            failures = 0
            for claim in claims:
                task = asyncio.create_task(self._run(claim), name=f"job-{claim.id}")
                self._inflight.add(task)
                task.add_done_callback(self._job_finished)
            if free > 0 and len(claims) == free:
                # A backlog: more are due. Claim again once half the slots are free (in batches, not one by
                # one as each job ends), or at the next poll, whichever comes first.
                self._backlog = True
            await self._maybe_purge()
            await self._backlog_gauges.maybe_refresh()
            await self._sleep(self._next_look())

    def _next_look(self) -> datetime:
        now = utcnow()
        until = now + timedelta(seconds=self.poll_interval)
        soonest = self._soonest
        if soonest is not None:
            if soonest <= now:  # came due since the last claim: look again at once
                self._soonest = None
                return now
            until = min(until, soonest)
        return until

    async def _sleep(self, until: datetime) -> None:
        timeout = (until - utcnow()).total_seconds()
        if timeout <= 0 or self._stopping:
            return
        self._sleeping_until = until
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass
        finally:
            self._sleeping_until = None

    def _job_finished(self, task: asyncio.Task[str]) -> None:
        self._inflight.discard(task)
        if self._backlog and len(self._inflight) <= self.concurrency // 2:
            self._backlog = False
            self._wake.set()

    async def _maybe_purge(self) -> None:
        if time.monotonic() - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = time.monotonic()
        now = utcnow()
        try:
            async with self.db.transaction() as session:
                deleted = await store.purge(
                    session, finished_before=now - self.retention, failed_before=now - self.failed_retention
                )
        except Exception:
            log.exception("finished jobs could not be purged", worker=self.worker_id)
            return
        if deleted:
            log.info("finished jobs purged", count=deleted)

    def __repr__(self) -> str:
        return f"JobScheduler(worker_id={self.worker_id!r}, running={self.running})"
