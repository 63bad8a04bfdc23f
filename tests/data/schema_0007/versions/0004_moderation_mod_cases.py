"""moderation: mod_cases and mod_case_counters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:29:24.372894
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mod_case_counters",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_case", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_mod_case_counters")),
    )
    op.create_table(
        "mod_cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("moderator_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("duration_seconds", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("automated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("ref_case", sa.Integer(), nullable=True),
        sa.Column("modlog_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("modlog_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mod_cases")),
        sa.UniqueConstraint("guild_id", "number", name=op.f("uq_mod_cases_guild_id_number")),
    )
    with op.batch_alter_table("mod_cases", schema=None) as batch_op:
        batch_op.create_index("ix_mod_cases_guild_id_action_active", ["guild_id", "action", "active"], unique=False)
        batch_op.create_index(
            "ix_mod_cases_guild_id_target_id_number", ["guild_id", "target_id", "number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mod_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_cases_guild_id_target_id_number")
        batch_op.drop_index("ix_mod_cases_guild_id_action_active")
    op.drop_table("mod_cases")
    op.drop_table("mod_case_counters")
