"""rolemenus: rolemenus_menus (a server's role menus)

Revision ID: rolemenus_0001
Revises:
Create Date: 2026-12-05 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "rolemenus_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("rolemenus",)
depends_on: str | Sequence[str] | None = "0007"

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rolemenus_menus",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("max_roles", sa.Integer(), nullable=False),
        sa.Column("required_role_id", sa.BigInteger(), nullable=True),
        sa.Column("blacklist_role_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rolemenus_menus")),
    )
    op.create_index("ix_rolemenus_menus_guild_message", "rolemenus_menus", ["guild_id", "message_id"], unique=False)
    op.create_index(op.f("ix_rolemenus_menus_guild_id"), "rolemenus_menus", ["guild_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rolemenus_menus_guild_id"), table_name="rolemenus_menus")
    op.drop_index("ix_rolemenus_menus_guild_message", table_name="rolemenus_menus")
    op.drop_table("rolemenus_menus")
