"""tickets: tickets and counters

Revision ID: tickets_0001
Revises:
Create Date: 2026-12-05 14:49:03.643477
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "tickets_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("tickets",)
depends_on: str | Sequence[str] | None = "0008"


def upgrade() -> None:

    op.create_table(
        "tickets_counters",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_tickets_counters")),
    )
    op.create_table(
        "tickets_tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("thread", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("welcome_message_id", sa.BigInteger(), nullable=True),
        sa.Column("opener_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("claimed_by", sa.BigInteger(), nullable=True),
        sa.Column("priority", sa.String(length=8), server_default="normal", nullable=False),
        sa.Column(
            "members", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column(
            "answers", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column(
            "participants", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("transcript_status", sa.String(length=8), server_default="none", nullable=False),
        sa.Column("transcript_key", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets_tickets")),
        sa.UniqueConstraint("guild_id", "number", name=op.f("uq_tickets_tickets_guild_id_number")),
    )
    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_tickets_channel_id", ["channel_id"], unique=False)
        batch_op.create_index(
            "ix_tickets_tickets_guild_id_opener_id_status", ["guild_id", "opener_id", "status"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("tickets_tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_tickets_guild_id_opener_id_status")
        batch_op.drop_index("ix_tickets_tickets_channel_id")

    op.drop_table("tickets_tickets")
    op.drop_table("tickets_counters")
