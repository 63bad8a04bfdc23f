"""Custom commands' key-value store: a server's values, and how many keys it holds (the quota, kept by SQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, Snowflake, UTCDateTime, utcnow

KEY_MAX = 64
VALUE_MAX = 1000
HARD_MAX_KEYS = 1000
"""No server may hold more keys than this, whatever its config says (a CHECK constraint)."""


class CustomValue(Base):
    """One value a server's templates stored under a key."""

    __tablename__ = "customcommands_kv"
    __table_args__ = (CheckConstraint(f"length(value) <= {VALUE_MAX}", name="value_size"),)

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[str] = mapped_column(String(VALUE_MAX))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CustomUsage(Base):
    """How many keys a server holds: raised only by a conditional update below its quota."""

    __tablename__ = "customcommands_usage"
    __table_args__ = (CheckConstraint(f"keys >= 0 AND keys <= {HARD_MAX_KEYS}", name="keys_bounded"),)

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    keys: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
