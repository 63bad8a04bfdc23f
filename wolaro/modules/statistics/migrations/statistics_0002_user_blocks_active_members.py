"""statistics: per-member totals per block of days (weeks, 4 weeks) and active members per day, filled from the
daily rows already there

Revision ID: statistics_0002
Revises: statistics_0001
Create Date: 2026-12-05 15:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "statistics_0002"
down_revision: str | Sequence[str] | None = "statistics_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `statistics_user_blocks`, add `active_members`, and fill both from `statistics_user_daily`."""
    op.create_table(
        "statistics_user_blocks",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("voice_seconds", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "guild_id",
            "size",
            "block",
            "user_id",
            name=op.f("pk_statistics_user_blocks"),
            postgresql_include=["messages", "voice_seconds"],  # covering: leaderboards scan the index only
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("statistics_guild_daily", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_members", sa.Integer(), server_default="0", nullable=False))
    for size in (7, 28):
        op.execute(
            "INSERT INTO statistics_user_blocks (guild_id, size, block, user_id, messages, voice_seconds) "
            f"SELECT guild_id, {size}, (day + 3) / {size}, user_id, SUM(messages), SUM(voice_seconds) "
            f"FROM statistics_user_daily GROUP BY guild_id, (day + 3) / {size}, user_id"
        )
    op.execute(
        "UPDATE statistics_guild_daily SET active_members = (SELECT COUNT(*) FROM statistics_user_daily u "
        "WHERE u.guild_id = statistics_guild_daily.guild_id AND u.day = statistics_guild_daily.day)"
    )


def downgrade() -> None:
    """Drop the blocks and the active member counts."""
    with op.batch_alter_table("statistics_guild_daily", schema=None) as batch_op:
        batch_op.drop_column("active_members")
    op.drop_table("statistics_user_blocks")
