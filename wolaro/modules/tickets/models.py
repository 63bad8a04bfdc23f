"""Tickets tables: `tickets_tickets` (one row per ticket) and `tickets_counters` (each guild's last number).

A ticket number is taken by incrementing the guild's counter row in the transaction that inserts the ticket, so
numbers are sequential per guild whatever the number of bot processes (the row stays locked until commit).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, JSONType, Snowflake, UTCDateTime, utcnow


class TicketCounter(Base):
    """The last ticket number used in a guild."""

    __tablename__ = "tickets_counters"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Ticket(Base):
    """One ticket: who opened it, where, who handles it, how it ended and where its transcript is."""

    __tablename__ = "tickets_tickets"
    __table_args__ = (
        UniqueConstraint("guild_id", "number"),
        Index("ix_tickets_tickets_guild_id_opener_id_status", "guild_id", "opener_id", "status"),
        Index("ix_tickets_tickets_channel_id", "channel_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    guild_id: Mapped[int] = mapped_column(Snowflake)
    number: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    #: Whether the ticket lives in a private thread (`channel_id` is then the thread's id).
    thread: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The bot's first message in the ticket (edited to show who claimed it).
    welcome_message_id: Mapped[int | None] = mapped_column(Snowflake)
    #: 0 once the person who opened it asked to be forgotten.
    opener_id: Mapped[int] = mapped_column(Snowflake)
    #: open, closed or deleted (the channel is gone; the row and the transcript stay).
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    claimed_by: Mapped[int | None] = mapped_column(Snowflake)
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    #: Members added to the ticket besides the opener and the support roles.
    members: Mapped[list[Any] | None] = mapped_column(JSONType)
    #: The opener's answers to the category's questions: [{"question": ..., "answer": ...}].
    answers: Mapped[list[Any] | None] = mapped_column(JSONType)
    #: Everyone whose messages are in the transcript (for erasure).
    participants: Mapped[list[Any] | None] = mapped_column(JSONType)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_by: Mapped[int | None] = mapped_column(Snowflake)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(Snowflake)
    close_reason: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    #: none, pending, ready or failed; `transcript_key` is its folder in the transcript storage.
    transcript_status: Mapped[str] = mapped_column(String(8), default="none", server_default="none")
    transcript_key: Mapped[str | None] = mapped_column(String(128))

    def __repr__(self) -> str:
        return f"Ticket(guild_id={self.guild_id!r}, number={self.number!r}, status={self.status!r})"
