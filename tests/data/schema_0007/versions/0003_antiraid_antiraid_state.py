"""antiraid: antiraid_state (one row per guild: raid mode on or off, and what to restore at its end)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:27:11.632599
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "antiraid_state",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("manual", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("started_by", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_join_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("previous_verification_level", sa.Integer(), nullable=True),
        sa.Column("raised_verification_level", sa.Integer(), nullable=True),
        sa.Column("locked_channels", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_antiraid_state")),
    )


def downgrade() -> None:
    op.drop_table("antiraid_state")
