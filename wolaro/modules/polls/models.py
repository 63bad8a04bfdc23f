"""Poll tables: `polls` (native and button polls alike) and `poll_votes` (button polls' votes, one per member).

A poll is closed once `closed_at` is set, by a conditional update (`closed_at IS NULL`) in the transaction that
stores its final `results`: whichever process closes it first (the job, `/poll end`, a second worker) counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, JSONType, Snowflake, UTCDateTime, utcnow


class Poll(Base):
    """One poll: its question and options, how it is voted on, until when, and its final results."""

    __tablename__ = "polls"
    __table_args__ = (Index("ix_polls_guild_id_closed_at", "guild_id", "closed_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    guild_id: Mapped[int] = mapped_column(Snowflake)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    message_id: Mapped[int | None] = mapped_column(Snowflake)
    author_id: Mapped[int] = mapped_column(Snowflake)
    #: "native" (Discord's own poll) or "buttons".
    kind: Mapped[str] = mapped_column(String(8))
    question: Mapped[str] = mapped_column(String(300))
    options: Mapped[list[str]] = mapped_column(JSONType, default=list)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Role id (as text) -> how many votes a member with that role casts (button polls).
    weights: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Final votes per option, in the options' order.
    results: Mapped[list[int] | None] = mapped_column(JSONType)
    result_message_id: Mapped[int | None] = mapped_column(Snowflake)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())


class PollVote(Base):
    """A member's vote in a button poll: the option they chose and how much it weighs."""

    __tablename__ = "poll_votes"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    poll_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    option: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
