"""statistics: member blocks built by the daily job (marks of how far each size is built), blocks of 2 and 8 weeks,
no per-member index on the hourly rows

Revision ID: statistics_0003
Revises: statistics_0002
Create Date: 2026-12-05 18:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "statistics_0003"
down_revision: str | Sequence[str] | None = "statistics_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_SIZES = (14, 56)
SIZES = (7, 14, 28, 56)


def _fill(size: int) -> None:
    op.execute(
        "INSERT INTO statistics_user_blocks (guild_id, size, block, user_id, messages, voice_seconds) "
        f"SELECT guild_id, {size}, (day + 3) / {size}, user_id, SUM(messages), SUM(voice_seconds) "
        f"FROM statistics_user_daily GROUP BY guild_id, (day + 3) / {size}, user_id"
    )


def upgrade() -> None:
    """Create `statistics_block_marks`, fill the new block sizes, mark every block there as built.

    Until now every flush added to the blocks (weeks and 4 weeks), so each one there sums its daily rows; the new
    sizes are filled from the daily rows. Each size is marked built up to its newest block: flushes keep adding to
    those, and the daily job builds the later ones once their days are over.
    """
    op.create_table(
        "statistics_block_marks",
        sa.Column("size", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("built_until", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_statistics_block_marks")),
    )
    with op.batch_alter_table("statistics_hourly", schema=None) as batch_op:
        batch_op.drop_index("ix_statistics_hourly_user")
    for size in NEW_SIZES:
        _fill(size)
    for size in SIZES:
        op.execute(
            "INSERT INTO statistics_block_marks (size, built_until) "
            f"SELECT {size}, MAX(block) FROM statistics_user_blocks WHERE size = {size} HAVING COUNT(*) > 0"
        )


def downgrade() -> None:
    """Back to blocks of 1 and 4 weeks written at every flush: rebuilt whole from the daily rows."""
    op.execute(f"DELETE FROM statistics_user_blocks WHERE size IN ({', '.join(map(str, NEW_SIZES))})")
    for size in (7, 28):
        op.execute(f"DELETE FROM statistics_user_blocks WHERE size = {size}")
        _fill(size)
    with op.batch_alter_table("statistics_hourly", schema=None) as batch_op:
        batch_op.create_index("ix_statistics_hourly_user", ["guild_id", "user_id", "hour"], unique=False)
    op.drop_table("statistics_block_marks")
