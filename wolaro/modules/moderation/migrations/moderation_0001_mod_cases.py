"""moderation: mod_cases (with target kind and details) and mod_case_counters

The first revision of the moderation module's own branch. Databases made before modules had their own branches
already hold these tables (created by the core's former revisions 0004 and 0006): they are kept with their rows,
and a table made by 0004 alone gets the two columns 0006 added (`target_kind`, existing rows are members;
`details`).

Revision ID: moderation_0001
Revises:
Create Date: 2026-11-30 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "moderation_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("moderation",)
depends_on: str | Sequence[str] | None = "0007"

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("mod_case_counters"):
        op.create_table(
            "mod_case_counters",
            sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("last_case", sa.Integer(), server_default="0", nullable=False),
            sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_mod_case_counters")),
        )
    if inspector.has_table("mod_cases"):
        _add_missing_columns({column["name"] for column in inspector.get_columns("mod_cases")})
        return
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
        sa.Column("target_kind", sa.String(length=8), server_default="member", nullable=False),
        sa.Column("details", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mod_cases")),
        sa.UniqueConstraint("guild_id", "number", name=op.f("uq_mod_cases_guild_id_number")),
    )
    op.create_index("ix_mod_cases_guild_id_action_active", "mod_cases", ["guild_id", "action", "active"])
    op.create_index("ix_mod_cases_guild_id_target_id_number", "mod_cases", ["guild_id", "target_id", "number"])


def _add_missing_columns(present: set[str]) -> None:
    """A table made by the former core revision 0004 without 0006: add `target_kind` and `details`."""
    if {"target_kind", "details"} <= present:
        return
    with op.batch_alter_table("mod_cases", schema=None) as batch_op:
        if "target_kind" not in present:
            batch_op.add_column(sa.Column("target_kind", sa.String(length=8), server_default="member", nullable=False))
        if "details" not in present:
            batch_op.add_column(sa.Column("details", JSON, nullable=True))


def downgrade() -> None:
    op.drop_index("ix_mod_cases_guild_id_target_id_number", table_name="mod_cases")
    op.drop_index("ix_mod_cases_guild_id_action_active", table_name="mod_cases")
    op.drop_table("mod_cases")
    op.drop_table("mod_case_counters")
