"""statistics: PostgreSQL scans the rollups without parallel workers

Revision ID: statistics_0004
Revises: statistics_online_0001
Create Date: 2026-12-05 19:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "statistics_0004"
down_revision: str | Sequence[str] | None = "statistics_online_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "statistics_hourly",
    "statistics_user_daily",
    "statistics_channel_daily",
    "statistics_guild_daily",
    "statistics_user_blocks",
)


def upgrade() -> None:
    """`parallel_workers = 0` on the rollups (PostgreSQL only): a query reads one server's rows, and starting
    parallel workers for it cost more than the query (10-30 ms on a busy machine)."""
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (parallel_workers = 0)")


def downgrade() -> None:
    """Let PostgreSQL choose parallel scans again."""
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (parallel_workers)")
