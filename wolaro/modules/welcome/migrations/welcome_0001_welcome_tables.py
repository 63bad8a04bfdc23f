"""welcome: welcome_sticky_roles (roles members had) and welcome_backgrounds (card backgrounds)

Revision ID: welcome_0001
Revises:
Create Date: 2026-12-05 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "welcome_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("welcome",)
depends_on: str | Sequence[str] | None = "0007"

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "welcome_sticky_roles",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role_ids", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_welcome_sticky_roles")),
    )
    op.create_table(
        "welcome_backgrounds",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_welcome_backgrounds")),
    )


def downgrade() -> None:
    op.drop_table("welcome_backgrounds")
    op.drop_table("welcome_sticky_roles")
