"""moderation: case target kind and details

Every moderation action is a numbered case now, channel actions included (purge, slowmode, lock, unlock) and
nickname changes: `target_kind` says whether `target_id` is a member or a channel (existing rows are members),
`details` keeps what else the action did (a purge's count and filters, a slowmode's delay, a nickname change).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:10:26.768753
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("mod_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_kind", sa.String(length=8), server_default="member", nullable=False))
        batch_op.add_column(sa.Column("details", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mod_cases", schema=None) as batch_op:
        batch_op.drop_column("details")
        batch_op.drop_column("target_kind")
