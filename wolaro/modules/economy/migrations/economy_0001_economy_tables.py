"""economy: accounts (wallet, bank, claims), the ledger of every balance change, shop items and inventories.

The first revision of the economy module's own branch, based on Wolaro's core schema.

Revision ID: economy_0001
Revises:
Create Date: 2026-12-05 14:46:50.682505
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "economy_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("economy",)
depends_on: str | Sequence[str] | None = "0007"


def upgrade() -> None:
    """Create the four tables."""
    _economy_accounts()
    _economy_inventory()
    _economy_items()
    _economy_ledger()


def _economy_accounts() -> None:
    op.create_table(
        "economy_accounts",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("wallet", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("bank", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("daily_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("daily_streak", sa.Integer(), server_default="0", nullable=False),
        sa.Column("weekly_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("work_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("bank >= 0", name=op.f("ck_economy_accounts_bank_not_negative")),
        sa.CheckConstraint("wallet >= 0", name=op.f("ck_economy_accounts_wallet_not_negative")),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_economy_accounts")),
    )
    with op.batch_alter_table("economy_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_economy_accounts_guild_total", ["guild_id", "total"], unique=False)


def _economy_inventory() -> None:
    op.create_table(
        "economy_inventory",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_economy_inventory_quantity_not_negative")),
        sa.PrimaryKeyConstraint("guild_id", "user_id", "item_id", name=op.f("pk_economy_inventory")),
    )


def _economy_items() -> None:
    op.create_table(
        "economy_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), server_default="", nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("role_id", sa.BigInteger(), nullable=True),
        sa.Column("use_message", sa.String(length=200), server_default="", nullable=False),
        sa.Column("available", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_economy_items")),
    )
    with op.batch_alter_table("economy_items", schema=None) as batch_op:
        batch_op.create_index("ix_economy_items_guild", ["guild_id"], unique=False)


def _economy_ledger() -> None:
    op.create_table(
        "economy_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("wallet_delta", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("bank_delta", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("other_user_id", sa.BigInteger(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_economy_ledger")),
    )
    with op.batch_alter_table("economy_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_economy_ledger_guild_user", ["guild_id", "user_id"], unique=False)


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("economy_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_economy_ledger_guild_user")

    op.drop_table("economy_ledger")
    with op.batch_alter_table("economy_items", schema=None) as batch_op:
        batch_op.drop_index("ix_economy_items_guild")

    op.drop_table("economy_items")
    op.drop_table("economy_inventory")
    with op.batch_alter_table("economy_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_economy_accounts_guild_total")

    op.drop_table("economy_accounts")
