"""commandlog: commandlog_entries (the recent commands of each server)

Revision ID: commandlog_0001
Revises:
Create Date: 2026-12-05 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "commandlog_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("commandlog",)
depends_on: str | Sequence[str] | None = "0008"


def upgrade() -> None:
    op.create_table(
        "commandlog_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("user_name", sa.String(length=100), nullable=False),
        sa.Column("command", sa.String(length=100), nullable=False),
        sa.Column("arguments", sa.String(length=200), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commandlog_entries")),
    )
    op.create_index("ix_commandlog_entries_guild_id_id", "commandlog_entries", ["guild_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_commandlog_entries_guild_id_id", table_name="commandlog_entries")
    op.drop_table("commandlog_entries")
