"""The counting game's tables: one row per server (the count) and one per member who counted there (their tally).

Both carry `guild_id` and every query filters on it. They are created by this package's own Alembic branch
(`migrations/`), never by Wolaro's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, Snowflake, UTCDateTime, utcnow


class CountingState(Base):
    """Where a server's count stands, the best it ever reached, and who said the last number that changed it."""

    __tablename__ = "counting_state"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    current: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    high_score: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_user_id: Mapped[int | None] = mapped_column(Snowflake)
    """Who said the last number that changed the count (counted it, or broke it)."""
    last_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """What they said."""
    last_message_id: Mapped[int | None] = mapped_column(Snowflake)
    """The message that said it (one sent before it was handled already, by this or another bot process)."""
    resets: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CountingTally(Base):
    """How many numbers one member counted correctly in one server."""

    __tablename__ = "counting_tallies"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    correct: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
