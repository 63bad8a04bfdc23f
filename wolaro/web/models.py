"""The dashboard's own table: login sessions, holding (encrypted) the Discord OAuth tokens the API acts with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from wolaro.data.models import Base, Snowflake, UTCDateTime, utcnow


class DashboardSession(Base):
    """One dashboard login: the session id carried (signed) in the JWT cookie, and the user's Discord tokens.

    The id names its user (`<user id>.<random>`). `discord_tokens` is a Fernet token (key derived from SECRET_KEY)
    of the access and refresh tokens: they never leave the server and are never stored in plaintext; the access
    token reads the user's guilds and their permissions, the refresh token renews it when it expires. Logging out
    revokes both at Discord and deletes the row, which invalidates the JWT before its expiry.
    """

    __tablename__ = "dashboard_sessions"
    __table_args__ = (
        Index("ix_dashboard_sessions_user_id", "user_id"),
        Index("ix_dashboard_sessions_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(Snowflake)
    discord_tokens: Mapped[str] = mapped_column(Text)
    token_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"DashboardSession(user_id={self.user_id!r}, expires_at={self.expires_at!r})"
