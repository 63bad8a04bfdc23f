"""Starboard tables: `starboard_stars` (who starred which message) and `starboard_posts` (one per starred message).

The source message (with its server) is the primary key of its post row, so a message never has two rows, and
the board message is created only by the process that holds the row's turn (`busy_until`, a lease taken by a
conditional update): stars arriving at once from one process or several produce one board message.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, Snowflake, UTCDateTime, utcnow


class StarboardStar(Base):
    """One member's star on one message."""

    __tablename__ = "starboard_stars"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())


class StarboardPost(Base):
    """A starred message and its copy on the board (if it is shown there now)."""

    __tablename__ = "starboard_posts"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    author_id: Mapped[int | None] = mapped_column(Snowflake)
    board_channel_id: Mapped[int | None] = mapped_column(Snowflake)
    board_message_id: Mapped[int | None] = mapped_column(Snowflake)
    shown_stars: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Stars changed since the board was last brought up to date.
    dirty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: While set and in the future, one process is bringing the board up to date for this message.
    busy_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Which task holds that turn (a random token it drew).
    turn_token: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
