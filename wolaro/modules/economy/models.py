"""The economy's tables: accounts, the ledger of every balance change, the shop's items and inventories.

Every row carries `guild_id` and every query filters on it. A balance changes only together with a ledger row in the
same transaction, so for every server (and every member) the balances equal the sums of the ledger's deltas.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Integer, String, true
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, Snowflake, UTCDateTime, utcnow


class EconomyAccount(Base):
    """One member's money in one server, and when they last claimed their rewards."""

    __tablename__ = "economy_accounts"
    __table_args__ = (
        CheckConstraint("wallet >= 0", name="wallet_not_negative"),
        CheckConstraint("bank >= 0", name="bank_not_negative"),
        Index("ix_economy_accounts_guild_total", "guild_id", "total"),
    )

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    wallet: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    bank: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """wallet + bank, kept by every update (the leaderboard's index)."""
    daily_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    daily_streak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    weekly_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    work_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    name: Mapped[str | None] = mapped_column(String(100))
    """The member's name in the server when they last used an economy command (the public leaderboard shows it)."""
    avatar: Mapped[str | None] = mapped_column(String(64))
    """Their Discord avatar's hash then (None: Discord's default picture)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class EconomyLedger(Base):
    """One change of one member's wallet and bank, and why (a transfer is two rows, one per member)."""

    __tablename__ = "economy_ledger"
    __table_args__ = (Index("ix_economy_ledger_guild_user", "guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    user_id: Mapped[int] = mapped_column(Snowflake)
    wallet_delta: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    bank_delta: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    kind: Mapped[str] = mapped_column(String(16))
    other_user_id: Mapped[int | None] = mapped_column(Snowflake)
    """The other member of a transfer, or the admin who gave or took."""
    item_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EconomyItem(Base):
    """An item of a server's shop, defined by its admins."""

    __tablename__ = "economy_items"
    __table_args__ = (Index("ix_economy_items_guild", "guild_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    price: Mapped[int] = mapped_column(BigInteger)
    role_id: Mapped[int | None] = mapped_column(Snowflake)
    """The role buying it grants (None: an item kept in the inventory and used with /use)."""
    use_message: Mapped[str] = mapped_column(String(200), default="", server_default="")
    available: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EconomyInventory(Base):
    """How many of one shop item a member holds in one server."""

    __tablename__ = "economy_inventory"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
