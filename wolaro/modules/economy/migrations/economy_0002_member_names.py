"""economy: members' names and pictures (avatar hashes) on their accounts, for the public leaderboard.

Revision ID: economy_0002
Revises: economy_0001
Create Date: 2026-12-05 15:21:23.617870
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "economy_0002"
down_revision: str | Sequence[str] | None = "economy_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two columns."""
    with op.batch_alter_table("economy_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("avatar", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("economy_accounts", schema=None) as batch_op:
        batch_op.drop_column("avatar")
        batch_op.drop_column("name")
