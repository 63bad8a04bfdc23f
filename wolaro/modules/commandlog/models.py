"""The command log's table: one row per command run in a server, the newest `KEEP` per server kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, Snowflake, UTCDateTime, utcnow


class CommandLogEntry(Base):
    """A command someone ran: who, what with which arguments, where, and how it ended."""

    __tablename__ = "commandlog_entries"
    __table_args__ = (Index("ix_commandlog_entries_guild_id_id", "guild_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    guild_id: Mapped[int] = mapped_column(Snowflake, nullable=False)
    user_id: Mapped[int] = mapped_column(Snowflake, nullable=False)
    user_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    command: Mapped[str] = mapped_column(String(100), nullable=False)
    arguments: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    channel_id: Mapped[int | None] = mapped_column(Snowflake, nullable=True)
    channel_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
