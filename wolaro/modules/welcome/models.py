"""Welcome's tables: the roles members had (for sticky roles) and each server's card background."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, JSONType, Snowflake, UTCDateTime, utcnow


class StickyRoles(Base):
    """The roles a member last had in a server (kept while sticky roles are on, given back when they return)."""

    __tablename__ = "welcome_sticky_roles"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    role_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Background(Base):
    """A server's welcome card background: a validated 900x300 PNG."""

    __tablename__ = "welcome_backgrounds"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    image: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
