"""statistics: rollup tables (hourly, per member, channel and server per day), voice sessions, opt-outs, stat channels

Revision ID: statistics_0001
Revises:
Create Date: 2026-12-05 14:47:52.013560
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "statistics_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("statistics",)
depends_on: str | Sequence[str] | None = "0008"


def upgrade() -> None:
    """Create the rollup tables, then the state tables."""
    _rollups()
    _state()


def _rollups() -> None:
    op.create_table(
        "statistics_channel_daily",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("voice_seconds", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "day", "channel_id", name=op.f("pk_statistics_channel_daily")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "statistics_guild_daily",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("voice_seconds", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("joins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("leaves", sa.Integer(), server_default="0", nullable=False),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", "day", name=op.f("pk_statistics_guild_daily")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "statistics_hourly",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hour", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("voice_seconds", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "hour", "channel_id", "user_id", name=op.f("pk_statistics_hourly")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("statistics_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_statistics_hourly_user", ["guild_id", "user_id", "hour"], unique=False)

    op.create_table(
        "statistics_user_daily",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("voice_seconds", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "day", "user_id", name=op.f("pk_statistics_user_daily")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("statistics_user_daily", schema=None) as batch_op:
        batch_op.create_index("ix_statistics_user_daily_user", ["guild_id", "user_id", "day"], unique=False)


def _state() -> None:
    op.create_table(
        "statistics_optouts",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_statistics_optouts")),
    )
    op.create_table(
        "statistics_stat_channels",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("renamed_at", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "channel_id", name=op.f("pk_statistics_stat_channels")),
    )
    op.create_table(
        "statistics_voice_sessions",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("counted_until", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_statistics_voice_sessions")),
    )


def downgrade() -> None:
    """Drop every statistics table."""
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table("statistics_voice_sessions")
    with op.batch_alter_table("statistics_user_daily", schema=None) as batch_op:
        batch_op.drop_index("ix_statistics_user_daily_user")

    op.drop_table("statistics_user_daily")
    op.drop_table("statistics_stat_channels")
    op.drop_table("statistics_optouts")
    with op.batch_alter_table("statistics_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_statistics_hourly_user")

    op.drop_table("statistics_hourly")
    op.drop_table("statistics_guild_daily")
    op.drop_table("statistics_channel_daily")
