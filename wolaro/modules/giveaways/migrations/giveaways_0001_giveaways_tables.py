"""giveaways: giveaways and their entries

The first revision of the giveaways module's own branch.

Revision ID: giveaways_0001
Revises:
Create Date: 2026-12-05 15:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "giveaways_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("giveaways",)
depends_on: str | Sequence[str] | None = "0007"


def upgrade() -> None:
    op.create_table(
        "giveaways",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("host_id", sa.BigInteger(), nullable=False),
        sa.Column("prize", sa.String(length=256), nullable=False),
        sa.Column("winners", sa.Integer(), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rounds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("required_role_id", sa.BigInteger(), nullable=True),
        sa.Column("min_account_days", sa.Integer(), nullable=True),
        sa.Column("min_member_days", sa.Integer(), nullable=True),
        sa.Column("min_level", sa.Integer(), nullable=True),
        sa.Column("result_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_giveaways")),
    )
    with op.batch_alter_table("giveaways", schema=None) as batch_op:
        batch_op.create_index("ix_giveaways_guild_id_ended_at", ["guild_id", "ended_at"], unique=False)

    op.create_table(
        "giveaway_entries",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("giveaway_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("won_round", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "giveaway_id", "user_id", name=op.f("pk_giveaway_entries")),
    )


def downgrade() -> None:
    op.drop_table("giveaway_entries")
    with op.batch_alter_table("giveaways", schema=None) as batch_op:
        batch_op.drop_index("ix_giveaways_guild_id_ended_at")
    op.drop_table("giveaways")
