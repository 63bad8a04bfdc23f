"""customcommands: customcommands_kv (a server's stored values) and customcommands_usage (its key count)

Revision ID: customcommands_0001
Revises:
Create Date: 2026-12-05 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "customcommands_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("customcommands",)
depends_on: str | Sequence[str] | None = "0007"


def upgrade() -> None:
    op.create_table(
        "customcommands_kv",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(value) <= 1000", name=op.f("ck_customcommands_kv_value_size")),
        sa.PrimaryKeyConstraint("guild_id", "key", name=op.f("pk_customcommands_kv")),
    )
    op.create_table(
        "customcommands_usage",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("keys", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("keys >= 0 AND keys <= 1000", name=op.f("ck_customcommands_usage_keys_bounded")),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_customcommands_usage")),
    )


def downgrade() -> None:
    op.drop_table("customcommands_usage")
    op.drop_table("customcommands_kv")
