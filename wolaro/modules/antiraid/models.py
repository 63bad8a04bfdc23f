"""The anti-raid state of a guild: one row, shared by every bot process and the job workers.

Raid mode is a row here first (rule 7), so a restart, a second process or a worker ending the raid sees the
same state. The row also keeps what raid mode changed (the verification level before it, the permission bits it
denied in locked channels) so the end restores exactly that. Starts and ends are also written to `audit_log`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, false
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, JSONType, Snowflake, UTCDateTime, utcnow


class RaidState(Base):
    """Whether a guild is in raid mode, since when, until when, and what to restore when it ends."""

    __tablename__ = "antiraid_state"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    started_by: Mapped[int | None] = mapped_column(Snowflake)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_join_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    joins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    previous_verification_level: Mapped[int | None] = mapped_column(Integer)
    raised_verification_level: Mapped[int | None] = mapped_column(Integer)
    # {"<channel id>": {"denied": <bits raid mode added to @everyone's deny>, "existed": <had an overwrite>}}
    locked_channels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"RaidState(guild_id={self.guild_id!r}, active={self.active!r}, ends_at={self.ends_at!r})"
