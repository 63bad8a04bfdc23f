"""A role menu: where it is posted, how it behaves, and its roles (label, emoji) in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, JSONType, Snowflake, UTCDateTime, utcnow


class RoleMenu(Base):
    """One menu of a server.

    Its buttons' custom ids name the menu's id, never its message, so the menu keeps working when it is edited,
    re-posted or moved to another message.
    """

    __tablename__ = "rolemenus_menus"
    __table_args__ = (Index("ix_rolemenus_menus_guild_message", "guild_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, index=True)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(String(2000), default="")
    # [{"role_id": "<id>", "label": "...", "emoji": "🎮" or None}]
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    max_roles: Mapped[int] = mapped_column(Integer, default=0)
    required_role_id: Mapped[int | None] = mapped_column(Snowflake)
    blacklist_role_id: Mapped[int | None] = mapped_column(Snowflake)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
