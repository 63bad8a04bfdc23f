"""The statistics tables: rollups only (no message text, no raw event), plus open voice sessions and opt-outs.

Times are integers so the same SQL runs on SQLite and PostgreSQL and ranges compare fast: `hour` counts hours
since 1970-01-01 UTC, `day` counts days since 1970-01-01 in the server's timezone (its local calendar day).
On SQLite the rollups are `WITHOUT ROWID` tables: rows are stored in primary key order (server, time, ...), so a
range of one server's days is one contiguous read with the counters in it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, Snowflake


class HourlyActivity(Base):
    """Messages and voice seconds per server, hour, channel and member (kept `hourly_days`, 90 by default)."""

    __tablename__ = "statistics_hourly"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    voice_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    # No per-member index: it cost every flush an index write for the sake of a person's export or erasure, which
    # read the server's rows through the primary key instead (guild_id first).
    __table_args__ = ({"sqlite_with_rowid": False},)


class UserDaily(Base):
    """A member's messages and voice seconds per local day (kept for the server's retention)."""

    __tablename__ = "statistics_user_daily"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    voice_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_statistics_user_daily_user", "guild_id", "user_id", "day"),
        {"sqlite_with_rowid": False},
    )


class ChannelDaily(Base):
    """A channel's messages and voice seconds per local day (kept for the server's retention)."""

    __tablename__ = "statistics_channel_daily"
    __table_args__ = ({"sqlite_with_rowid": False},)
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    voice_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class GuildDaily(Base):
    """The server's totals per local day: messages, voice seconds, joins, leaves, member count at the day's end."""

    __tablename__ = "statistics_guild_daily"
    __table_args__ = ({"sqlite_with_rowid": False},)
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    voice_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    joins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    leaves: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    active_members: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Members with any activity that day: recounted from `statistics_user_daily` at each flush touching it."""


BLOCK_SIZES = (7, 14, 28, 56)
"""Days per block of `statistics_user_blocks`: ISO weeks (Monday first) and runs of 2, 4 and 8 ISO weeks."""


def block_of(day: int, size: int) -> int:
    """The block of `size` days holding local day `day` (day 0, 1970-01-01, was a Thursday: blocks start Mondays)."""
    return (day + 3) // size


def block_days(block: int, size: int) -> tuple[int, int]:
    """The first and last local day of a block."""
    return block * size - 3, block * size + size - 4


class UserBlock(Base):
    """A member's messages and voice seconds per block of days (1, 2, 4 or 8 weeks).

    A leaderboard over a range reads the whole blocks inside it and the days at its edges only, so the biggest
    server's 90-day leaderboard reads a few rows per member (not one per day). A block is built from the daily rows
    by the daily job once its days are over everywhere (`store.build_blocks`); from then on a flush bringing late
    counts for its days adds them to it as well. `BlockMark` says which blocks are built. Kept as the daily rows
    are: the clean-up takes the expired days out of a block before deleting them.
    """

    __tablename__ = "statistics_user_blocks"
    __table_args__ = (
        # PostgreSQL keeps rows in arrival order (a server's block is spread over many pages): its primary key
        # index also holds the counters, so a leaderboard is one index-only range scan. SQLite's WITHOUT ROWID
        # table already is one (and ignores the option).
        PrimaryKeyConstraint(
            "guild_id",
            "size",
            "block",
            "user_id",
            name="pk_statistics_user_blocks",
            postgresql_include=["messages", "voice_seconds"],
        ),
        {"sqlite_with_rowid": False},
    )
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    block: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    messages: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    voice_seconds: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class BlockMark(Base):
    """How far the member blocks of one size are built, for every server: blocks up to `built_until` sum the days.

    Queries read only the blocks up to it (later days are read from the daily rows), and a flush adds its counts to
    the built blocks its days fall in. It only ever grows. It names no server and no person.
    """

    __tablename__ = "statistics_block_marks"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    built_until: Mapped[int] = mapped_column(Integer)


class VoiceSession(Base):
    """A member in a voice channel now; `counted_until` is the instant (epoch seconds) counted so far.

    After a crash the row says how far the session was counted: it is closed there (or resumed if the member is
    still in the same channel moments later), so a session never runs away or goes negative.
    """

    __tablename__ = "statistics_voice_sessions"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(Snowflake)
    started_at: Mapped[int] = mapped_column(BigInteger)
    counted_until: Mapped[int] = mapped_column(BigInteger)


class OptOut(Base):
    """A member who asked that nothing about them be recorded in this server's statistics."""

    __tablename__ = "statistics_optouts"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    since: Mapped[int] = mapped_column(BigInteger)


class StatChannelState(Base):
    """The last name given to a stat channel and when (epoch seconds): renames are planned from it."""

    __tablename__ = "statistics_stat_channels"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    renamed_at: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
