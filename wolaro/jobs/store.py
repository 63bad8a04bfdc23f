"""The SQL of `scheduled_jobs`: insert or replace, cancel, claim, heartbeat, record outcomes, list, purge.

Claiming is one statement per batch:

* PostgreSQL: `WITH picked AS (SELECT id ... ORDER BY run_at LIMIT n FOR UPDATE SKIP LOCKED) UPDATE ... FROM
  picked RETURNING ...`. Concurrent workers skip each other's locked rows instead of waiting or double-claiming.
  Time is the database's (`statement_timestamp()`), so workers on machines with skewed clocks agree on leases.
* SQLite: `UPDATE ... WHERE id IN (SELECT id ... LIMIT n) RETURNING ...` inside `Database.transaction()`,
  which begins with `BEGIN IMMEDIATE`: writers are serialised, so the conditional update is atomic. Time is
  this machine's clock (SQLite is single-machine).

A claim is owned by `(locked_by, attempts)`: every claim increments `attempts`, so an outcome written by a worker
whose claim was taken over after its lease expired matches no row and is dropped (at most one outcome per job).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, and_, delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from wolaro.data.models import UTCDateTime, utcnow
from wolaro.jobs.models import PENDING_ONLY, JobStatus, ScheduledJob

J = ScheduledJob
ERROR_TEXT_LIMIT = 2000
ACTIVE = (JobStatus.PENDING.value, JobStatus.RUNNING.value)


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A scheduled job as plain values (what `JobScheduler.pending()` returns)."""

    id: int
    guild_id: int | None
    kind: str
    payload: dict[str, Any]
    run_at: datetime
    status: str
    attempts: int
    max_attempts: int
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """A job this worker claimed: what the handler needs, and `(worker, attempt)`, the claim's ownership token."""

    id: int
    guild_id: int | None
    kind: str
    payload: dict[str, Any]
    run_at: datetime
    attempt: int
    max_attempts: int
    worker: str


# --------------------------------------------------------------------------- time
def now_sql(dialect: str) -> ColumnElement[datetime]:
    """The current instant as SQL: the database clock on PostgreSQL, this machine's on SQLite."""
    if dialect == "postgresql":
        return func.statement_timestamp(type_=DateTime(timezone=True))
    return literal(utcnow(), UTCDateTime())


def later_sql(dialect: str, seconds: float) -> ColumnElement[datetime]:
    """`now_sql(dialect)` plus `seconds`."""
    if dialect == "postgresql":
        return func.statement_timestamp(type_=DateTime(timezone=True)) + timedelta(seconds=seconds)
    return literal(utcnow() + timedelta(seconds=seconds), UTCDateTime())


def error_text(exc: BaseException) -> str:
    """A short description of `exc` for `last_error`."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:ERROR_TEXT_LIMIT]


def _owned(claim: Claim) -> list[ColumnElement[bool]]:
    """The row is still this claim: running, locked by this worker, at this attempt."""
    return [
        J.id == claim.id,
        J.status == JobStatus.RUNNING.value,
        J.locked_by == claim.worker,
        J.attempts == claim.attempt,
    ]


async def _rowcount(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    return int(result.rowcount)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- scheduling
async def insert_or_replace(
    session: AsyncSession,
    dialect: str,
    *,
    kind: str,
    run_at: datetime,
    guild_id: int | None,
    payload: dict[str, Any],
    dedupe_key: str | None,
    max_attempts: int,
) -> int:
    """Insert a pending job; with a `dedupe_key` that has a pending job, replace that job's schedule instead.

    Returns the job id. Raises `ValueError` if the key's pending job belongs to another guild.
    """
    values = {
        "kind": kind,
        "run_at": run_at,
        "guild_id": guild_id,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "max_attempts": max_attempts,
        "status": JobStatus.PENDING.value,
        "attempts": 0,
        "created_at": utcnow(),
    }
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(J).values(**values)
    if dedupe_key is not None:
        statement = statement.on_conflict_do_update(
            index_elements=[J.dedupe_key],
            index_where=PENDING_ONLY,
            set_={
                "kind": statement.excluded.kind,
                "run_at": statement.excluded.run_at,
                "payload": statement.excluded.payload,
                "max_attempts": statement.excluded.max_attempts,
                "attempts": 0,
                "last_error": None,
            },
            where=J.guild_id.is_not_distinct_from(statement.excluded.guild_id),
        )
    job_id = (await session.execute(statement.returning(J.id))).scalar_one_or_none()
    if job_id is None:
        raise ValueError(f"dedupe_key {dedupe_key!r} is taken by a pending job of another guild")
    return int(job_id)


async def cancel(
    session: AsyncSession,
    dialect: str,
    *,
    job_id: int | None,
    dedupe_key: str | None,
    guild_id: int | None,
    any_guild: bool,
) -> bool:
    """Cancel the pending job with this id or dedupe key (optionally only if it belongs to `guild_id`)."""
    conditions: list[ColumnElement[bool]] = [J.status == JobStatus.PENDING.value]
    if job_id is not None:
        conditions.append(J.id == job_id)
    if dedupe_key is not None:
        conditions.append(J.dedupe_key == dedupe_key)
    if not any_guild:
        conditions.append(J.guild_id.is_not_distinct_from(guild_id))
    statement = update(J).where(*conditions).values(status=JobStatus.CANCELLED.value, finished_at=now_sql(dialect))
    return await _rowcount(session, statement) > 0


# --------------------------------------------------------------------------- claiming and outcomes
async def claim(
    session: AsyncSession, dialect: str, *, worker: str, kinds: list[str], limit: int, lease: float
) -> list[Claim]:
    """Claim up to `limit` due jobs of `kinds` for `worker` (lease `lease` seconds), oldest first.

    First running jobs whose lease expired (their worker died), then pending jobs whose `run_at` has come. Two
    statements rather than one with an OR, so that each is an ordered index range scan that stops after
    `limit` rows however many jobs wait in the future.
    """
    if not kinds or limit <= 0:
        return []
    claims = await _claim_some(session, dialect, worker=worker, kinds=kinds, limit=limit, lease=lease, stale=True)
    if len(claims) < limit:
        claims += await _claim_some(
            session, dialect, worker=worker, kinds=kinds, limit=limit - len(claims), lease=lease, stale=False
        )
    return claims


async def _claim_some(
    session: AsyncSession, dialect: str, *, worker: str, kinds: list[str], limit: int, lease: float, stale: bool
) -> list[Claim]:
    now = now_sql(dialect)
    if stale:
        due = [J.status == JobStatus.RUNNING.value, J.locked_until < now]
        order = J.locked_until
    else:
        due = [J.status == JobStatus.PENDING.value, J.run_at <= now]
        order = J.run_at
    pick = select(J.id).where(*due, J.kind.in_(kinds)).order_by(order).limit(limit)
    if dialect == "postgresql":
        picked = pick.with_for_update(skip_locked=True).cte("picked")
        target: ColumnElement[bool] = J.id == picked.c.id
    else:
        target = J.id.in_(pick.scalar_subquery())
    statement = (
        update(J)
        .where(target)
        .values(
            status=JobStatus.RUNNING.value,
            locked_by=worker,
            locked_until=later_sql(dialect, lease),
            attempts=J.attempts + 1,
        )
        .returning(J.id, J.guild_id, J.kind, J.payload, J.run_at, J.attempts, J.max_attempts)
    )
    result = await session.execute(statement, execution_options={"synchronize_session": False})
    claims = [
        Claim(
            id=row.id,
            guild_id=row.guild_id,
            kind=row.kind,
            payload=row.payload or {},
            run_at=row.run_at,
            attempt=row.attempts,
            max_attempts=row.max_attempts,
            worker=worker,
        )
        for row in result
    ]
    claims.sort(key=lambda c: (c.run_at, c.id))
    return claims


async def extend(session: AsyncSession, dialect: str, claim: Claim, lease: float) -> bool:
    """Heartbeat: push the lease of a claim still owned `lease` seconds ahead. False if the claim was lost."""
    statement = update(J).where(*_owned(claim)).values(locked_until=later_sql(dialect, lease))
    return await _rowcount(session, statement) == 1


async def complete(session: AsyncSession, dialect: str, claim: Claim) -> bool:
    """Record success (`done`), if the claim is still owned."""
    statement = (
        update(J)
        .where(*_owned(claim))
        .values(status=JobStatus.DONE.value, finished_at=now_sql(dialect), locked_until=None, last_error=None)
    )
    return await _rowcount(session, statement) == 1


async def finish(session: AsyncSession, dialect: str, claim: Claim, status: JobStatus, error: str) -> bool:
    """Record a final outcome other than success (`failed`, `cancelled`), if the claim is still owned."""
    statement = (
        update(J)
        .where(*_owned(claim))
        .values(
            status=status.value, finished_at=now_sql(dialect), locked_until=None, last_error=error[:ERROR_TEXT_LIMIT]
        )
    )
    return await _rowcount(session, statement) == 1


async def retry(
    session: AsyncSession, dialect: str, claim: Claim, *, delay: float, error: str | None, refund: bool = False
) -> bool:
    """Put a claimed job back to pending, due in `delay` seconds (`refund`: this attempt does not count).

    Raises `IntegrityError` if a newer pending job took its dedupe key meanwhile (the caller supersedes it).
    """
    values: dict[str, Any] = {
        "status": JobStatus.PENDING.value,
        "run_at": later_sql(dialect, delay),
        "locked_until": None,
    }
    if error is not None:
        values["last_error"] = error
    if refund:
        values["attempts"] = J.attempts - 1
    return await _rowcount(session, update(J).where(*_owned(claim)).values(**values)) == 1


# --------------------------------------------------------------------------- reading and clean-up
async def list_active(
    session: AsyncSession, *, guild_id: int | None, any_guild: bool, kind: str | None, limit: int
) -> list[JobInfo]:
    """Jobs not finished yet (pending or running), soonest first."""
    query = select(J).where(J.status.in_(ACTIVE))
    if not any_guild:
        query = query.where(J.guild_id.is_not_distinct_from(guild_id))
    if kind is not None:
        query = query.where(J.kind == kind)
    rows = (await session.execute(query.order_by(J.run_at, J.id).limit(limit))).scalars()
    return [
        JobInfo(
            id=row.id,
            guild_id=row.guild_id,
            kind=row.kind,
            payload=dict(row.payload or {}),
            run_at=row.run_at,
            status=row.status,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            last_error=row.last_error,
            dedupe_key=row.dedupe_key,
            created_at=row.created_at,
        )
        for row in rows
    ]


async def purge(session: AsyncSession, *, finished_before: datetime, failed_before: datetime) -> int:
    """Delete done and cancelled jobs finished before `finished_before`, failed ones before `failed_before`."""
    statement = delete(J).where(
        or_(
            and_(J.status.in_((JobStatus.DONE.value, JobStatus.CANCELLED.value)), J.finished_at < finished_before),
            and_(J.status == JobStatus.FAILED.value, J.finished_at < failed_before),
        )
    )
    return await _rowcount(session, statement)
