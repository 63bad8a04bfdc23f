"""The `scheduled_jobs` table: every action that must happen later is one row here first.

A row is `pending` until a worker claims it (`running`, with `locked_by` and a lease `locked_until`), then ends
`done`, `failed` (after `max_attempts`, or a permanent error) or `cancelled`. A failed attempt goes back to
`pending` with a later `run_at` (exponential backoff). A `running` row whose lease expired (its worker died) is
claimed again by any worker.

`dedupe_key` is unique among *pending* rows only (a partial unique index), so "unban user X in guild Y" exists
at most once as a pending job, while finished rows keep their key for history.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, JSONType, Snowflake, UTCDateTime, utcnow


class JobStatus(StrEnum):
    """Where a scheduled job is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


PENDING_ONLY = text("status = 'pending'")
"""The predicate of the partial unique index on `dedupe_key` (also the ON CONFLICT target's predicate)."""


class ScheduledJob(Base):
    """One durable scheduled action (see the module docstring for its life cycle)."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        # The due query: pending and run_at <= now, oldest first.
        Index("ix_scheduled_jobs_status_run_at", "status", "run_at"),
        # Reclaiming running jobs whose lease expired.
        Index("ix_scheduled_jobs_status_locked_until", "status", "locked_until"),
        # A guild's pending jobs (commands, dashboard).
        Index("ix_scheduled_jobs_guild_id_status_run_at", "guild_id", "status", "run_at"),
        Index(
            "uq_scheduled_jobs_dedupe_key_pending",
            "dedupe_key",
            unique=True,
            postgresql_where=PENDING_ONLY,
            sqlite_where=PENDING_ONLY,
        ),
        CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed', 'cancelled')",
            name="status",
        ),
    )

    # SQLite only autoincrements an INTEGER PRIMARY KEY (the rowid), which is 64-bit there anyway.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    guild_id: Mapped[int | None] = mapped_column(Snowflake)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING, server_default=JobStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return (
            f"ScheduledJob(id={self.id!r}, kind={self.kind!r}, guild_id={self.guild_id!r}, "
            f"status={self.status!r}, run_at={self.run_at!r})"
        )
