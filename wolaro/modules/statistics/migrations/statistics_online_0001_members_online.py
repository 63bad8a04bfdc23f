"""statistics: members online per server and hour, and per local day (presences)

Revision ID: statistics_online_0001
Revises: statistics_0003
Create Date: 2026-12-05 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "statistics_online_0001"
down_revision: str | Sequence[str] | None = "statistics_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `statistics_online_hourly` and `statistics_online_daily`."""
    op.create_table(
        "statistics_online_hourly",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hour", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("peak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("samples", sa.Integer(), server_default="0", nullable=False),
        sa.Column("online_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("latest", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "hour", name=op.f("pk_statistics_online_hourly")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "statistics_online_daily",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("peak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("samples", sa.Integer(), server_default="0", nullable=False),
        sa.Column("online_sum", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "day", name=op.f("pk_statistics_online_daily")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    """Drop the members-online tables."""
    op.drop_table("statistics_online_daily")
    op.drop_table("statistics_online_hourly")
