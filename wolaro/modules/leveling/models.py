"""The leveling module's table: each member's XP total per server (their level is computed from it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, Snowflake, UTCDateTime, utcnow


class LevelingMember(Base):
    """A member's XP in one server, with the name and avatar they had when they last earned some (leaderboards)."""

    __tablename__ = "leveling_members"
    __table_args__ = (Index("ix_leveling_members_guild_xp", "guild_id", "xp"),)

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    xp: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    name: Mapped[str | None] = mapped_column(String(100))
    avatar: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
