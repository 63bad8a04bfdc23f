"""jobs: scheduled_jobs (durable scheduled actions)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:22:14.609751
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
PENDING_ONLY = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "scheduled_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default="8", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("locked_by", sa.String(length=128), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed', 'cancelled')", name=op.f("ck_scheduled_jobs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_jobs")),
    )
    op.create_index("ix_scheduled_jobs_status_run_at", "scheduled_jobs", ["status", "run_at"])
    op.create_index("ix_scheduled_jobs_status_locked_until", "scheduled_jobs", ["status", "locked_until"])
    op.create_index("ix_scheduled_jobs_guild_id_status_run_at", "scheduled_jobs", ["guild_id", "status", "run_at"])
    # One pending job per dedupe key; finished jobs keep their key (history) without blocking a new one.
    op.create_index(
        "uq_scheduled_jobs_dedupe_key_pending",
        "scheduled_jobs",
        ["dedupe_key"],
        unique=True,
        postgresql_where=PENDING_ONLY,
        sqlite_where=PENDING_ONLY,
    )


def downgrade() -> None:
    op.drop_index("uq_scheduled_jobs_dedupe_key_pending", table_name="scheduled_jobs")
    op.drop_index("ix_scheduled_jobs_guild_id_status_run_at", table_name="scheduled_jobs")
    op.drop_index("ix_scheduled_jobs_status_locked_until", table_name="scheduled_jobs")
    op.drop_index("ix_scheduled_jobs_status_run_at", table_name="scheduled_jobs")
    op.drop_table("scheduled_jobs")
