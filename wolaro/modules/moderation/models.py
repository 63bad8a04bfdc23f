"""Moderation tables: `mod_cases` (one row per case) and `mod_case_counters` (each guild's last case number).

A case number is taken by incrementing the guild's counter row in the transaction that inserts the case, so
numbers are sequential per guild with no gap and no duplicate however many commands run at once: the counter
row stays locked until that transaction ends (and a rolled-back case gives its number back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint, false, func, true
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, JSONType, Snowflake, UTCDateTime, utcnow


class ModCaseCounter(Base):
    """The last case number used in a guild."""

    __tablename__ = "mod_case_counters"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    last_case: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ModCase(Base):
    """One moderation case: who did what to whom, why, for how long, and whether it is still in force."""

    __tablename__ = "mod_cases"
    __table_args__ = (
        UniqueConstraint("guild_id", "number"),
        Index("ix_mod_cases_guild_id_target_id_number", "guild_id", "target_id", "number"),
        Index("ix_mod_cases_guild_id_action_active", "guild_id", "action", "active"),
    )

    # SQLite only autoincrements an INTEGER PRIMARY KEY (the rowid), which is 64-bit there anyway.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    guild_id: Mapped[int] = mapped_column(Snowflake)
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Snowflake)
    #: What `target_id` names: "member" (warn, ban, nick...) or "channel" (purge, slowmode, lock, unlock).
    target_kind: Mapped[str] = mapped_column(String(8), default="member", server_default="member")
    moderator_id: Mapped[int] = mapped_column(Snowflake)
    reason: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    automated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The case this one follows from (an automatic unban -> its temporary ban; an escalation -> the warning).
    ref_case: Mapped[int | None] = mapped_column(Integer)
    #: What else the action did: a purge's count and filters, a slowmode's delay, a nickname before and after.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    modlog_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    modlog_message_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"ModCase(guild_id={self.guild_id!r}, number={self.number!r}, action={self.action!r})"
