"""Giveaway tables: `giveaways` (one row per giveaway) and `giveaway_entries` (who entered, and who won).

A giveaway is over once `ended_at` is set; that conditional update (`WHERE ended_at IS NULL`) is what lets exactly
one process, job or command, draw its winners. Winners are entries with a `won_round` (1 for the draw, 2, 3...
for each reroll), so a reroll never picks someone who already won.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, Snowflake, UTCDateTime, utcnow


class Giveaway(Base):
    """One giveaway: what is won, by how many, until when, who may enter, and whether it is over."""

    __tablename__ = "giveaways"
    __table_args__ = (Index("ix_giveaways_guild_id_ended_at", "guild_id", "ended_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    host_id: Mapped[int] = mapped_column(Snowflake)
    prize: Mapped[str] = mapped_column(String(256))
    winners: Mapped[int] = mapped_column(Integer)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rounds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    required_role_id: Mapped[int | None] = mapped_column(Snowflake)
    min_account_days: Mapped[int | None] = mapped_column(Integer)
    min_member_days: Mapped[int | None] = mapped_column(Integer)
    min_level: Mapped[int | None] = mapped_column(Integer)
    result_message_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())


class GiveawayEntry(Base):
    """A member's entry in a giveaway; `won_round` says in which draw they won (None: not drawn)."""

    __tablename__ = "giveaway_entries"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    giveaway_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    won_round: Mapped[int | None] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
