"""counting: counting_state (one row per server) and counting_tallies (one row per member who counted).

The first revision of the counting module's own branch, based on Wolaro's core schema.

Revision ID: counting_0001
Revises:
Create Date: 2026-12-01 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "counting_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("counting",)
depends_on: str | Sequence[str] | None = "0007"


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "counting_state",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("current", sa.Integer(), server_default="0", nullable=False),
        sa.Column("high_score", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_user_id", sa.BigInteger(), nullable=True),
        sa.Column("last_number", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column("resets", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_counting_state")),
    )
    op.create_table(
        "counting_tallies",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("correct", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_counting_tallies")),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("counting_tallies")
    op.drop_table("counting_state")
