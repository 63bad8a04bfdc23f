"""Dashboard login sessions: a `dashboard_sessions` row per login, looked up through a short process-local cache.

The JWT proves who the user is; the row proves the login is still open (logout deletes it) and holds the Discord
OAuth token the API reads the user's guilds with. A row is read at most once per `local_ttl` per process, and a
logout drops it here at once and in every other API process through pub/sub.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete

from wolaro.data.database import Database
from wolaro.data.models import utcnow
from wolaro.web.models import DashboardSession


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """An open dashboard login."""

    id: str
    user_id: int
    access_token: str
    expires_at: datetime


class SessionStore:
    """Create, read (cached briefly) and end dashboard sessions."""

    def __init__(self, db: Database, *, local_ttl: float = 30.0) -> None:
        self.db = db
        self.local_ttl = local_ttl
        self._local: dict[str, tuple[float, SessionRecord]] = {}

    async def create(self, user_id: int, token: dict[str, Any], *, max_age: int) -> SessionRecord:
        """Open a session for `user_id` with Discord's token response; expired sessions are swept meanwhile."""
        now = utcnow()
        row = DashboardSession(
            id=secrets.token_urlsafe(32),
            user_id=user_id,
            access_token=str(token["access_token"]),
            refresh_token=token.get("refresh_token"),
            token_expires_at=now + timedelta(seconds=int(token.get("expires_in", 604_800))),
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
        async with self.db.transaction() as session:
            await session.execute(delete(DashboardSession).where(DashboardSession.expires_at < now))
            session.add(row)
        record = SessionRecord(row.id, user_id, row.access_token, row.expires_at)
        self._remember(record)
        return record

    async def get(self, sid: str) -> SessionRecord | None:
        """The open session `sid`, or None if it ended (logged out, expired)."""
        entry = self._local.get(sid)
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            record = entry[1]
        else:
            async with self.db.session() as session:
                row = await session.get(DashboardSession, sid)
            if row is None:
                self._local.pop(sid, None)
                return None
            record = SessionRecord(row.id, row.user_id, row.access_token, row.expires_at)
            self._remember(record)
        if record.expires_at <= utcnow():
            return None
        return record

    async def end(self, sid: str) -> None:
        """Close a session (logout)."""
        self.forget(sid)
        async with self.db.transaction() as session:
            await session.execute(delete(DashboardSession).where(DashboardSession.id == sid))

    def forget(self, sid: str) -> None:
        """Drop the cached copy (another process ended the session)."""
        self._local.pop(sid, None)

    def _remember(self, record: SessionRecord) -> None:
        if self.local_ttl <= 0:
            return
        if len(self._local) > 50_000:
            self._local.clear()
        self._local[record.id] = (time.monotonic() + self.local_ttl, record)
