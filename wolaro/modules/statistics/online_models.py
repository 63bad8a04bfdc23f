"""The members-online tables (filled only when the host turned presences on and the server chose to count them).

Per server and hour: the most members online at once (`peak`), how many looks were taken (`samples`, one a
minute) and the sum of what they saw (`online_sum`: the average is `online_sum / samples`), and what the last look
saw (`latest`: "online now" for a stat channel). Per server and local day, the same without `latest`. Nothing about
any member: counts only.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.sdk import Base, Snowflake


class OnlineHourly(Base):
    """Members online per server and hour (kept `hourly_days`, like the other hourly rows)."""

    __tablename__ = "statistics_online_hourly"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    peak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    samples: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    online_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    latest: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = ({"sqlite_with_rowid": False},)


class OnlineDaily(Base):
    """Members online per server and local day (kept for the server's retention)."""

    __tablename__ = "statistics_online_daily"
    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    peak: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    samples: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    online_sum: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    __table_args__ = ({"sqlite_with_rowid": False},)
