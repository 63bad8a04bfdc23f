"""Suggestion tables: `suggestions` (one per suggestion, with its decision) and `suggestion_votes` (one per member).

A decision is a conditional update (`status = 'open'`), so two staff members deciding at once decide once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, Snowflake, UTCDateTime, utcnow


class Suggestion(Base):
    """A member's suggestion, where it is shown, and what staff decided."""

    __tablename__ = "suggestions"
    __table_args__ = (Index("ix_suggestions_guild_id_status", "guild_id", "status"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    author_id: Mapped[int] = mapped_column(Snowflake)
    text: Mapped[str] = mapped_column(String(1000))
    #: "open", "approved" or "denied".
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    decided_by: Mapped[int | None] = mapped_column(Snowflake)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SuggestionVote(Base):
    """A member's vote on a suggestion: for (`up`) or against."""

    __tablename__ = "suggestion_votes"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    suggestion_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    up: Mapped[bool] = mapped_column(Boolean)
