"""Dashboard login sessions: a `dashboard_sessions` row per login, looked up through a short process-local cache.

The JWT proves who the user is; the row proves the login is still open (logout deletes it), belongs to that user
(its id names the user, and the row's `user_id` must agree) and holds the user's Discord OAuth tokens, encrypted
(`TokenCipher`), which the API reads the user's guilds with. A row is read at most once per `local_ttl` per
process, and a logout drops it here at once and in every other API process through pub/sub.

Discord's access token lasts about a week; a session asks for a new one with the refresh token when it has expired
(or Discord refused it), and logout revokes both at Discord. When several API processes refresh the same session
at once, the first write wins and the others take its tokens from the database.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update

from wolaro.data.database import Database
from wolaro.data.models import utcnow
from wolaro.logging import get_logger
from wolaro.web.discord_api import DiscordAPI, DiscordError
from wolaro.web.models import DashboardSession
from wolaro.web.security import TokenCipher, session_id, session_user

log = get_logger(__name__)

#: Refresh a Discord token this long before Discord says it expires.
REFRESH_MARGIN = timedelta(seconds=60)
DEFAULT_TOKEN_LIFETIME = 604_800


class SessionEnded(Exception):
    """The session is gone, or its Discord tokens no longer work and could not be renewed: log in again."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """An open dashboard login (tokens decrypted)."""

    id: str
    user_id: int
    access_token: str
    refresh_token: str | None
    token_expires_at: datetime
    expires_at: datetime
    sealed: str  # the stored ciphertext, to update the row only if no one else did meanwhile


class SessionStore:
    """Create, read (cached briefly), renew and end dashboard sessions."""

    def __init__(
        self, db: Database, cipher: TokenCipher, discord: DiscordAPI | None = None, *, local_ttl: float = 30.0
    ) -> None:
        self.db = db
        self.cipher = cipher
        self.discord = discord
        self.local_ttl = local_ttl
        self._local: dict[str, tuple[float, SessionRecord]] = {}
        self._refreshing: dict[str, asyncio.Future[str]] = {}
        self.refreshed = 0

    async def create(self, user_id: int, token: dict[str, Any], *, max_age: int) -> SessionRecord:
        """Open a session for `user_id` with Discord's token response; expired sessions are swept meanwhile."""
        now = utcnow()
        access, refresh, token_expires = _tokens(token, now)
        sealed = self.cipher.encrypt({"access": access, "refresh": refresh})
        row = DashboardSession(
            id=session_id(user_id),
            user_id=user_id,
            discord_tokens=sealed,
            token_expires_at=token_expires,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
        async with self.db.transaction() as session:
            await session.execute(delete(DashboardSession).where(DashboardSession.expires_at < now))
            session.add(row)
        record = SessionRecord(row.id, user_id, access, refresh, token_expires, row.expires_at, sealed)
        self._remember(record)
        return record

    async def get(self, sid: str) -> SessionRecord | None:
        """The open session `sid`, or None if it ended (logged out, expired) or is not the user its id names."""
        entry = self._local.get(sid)
        if entry is not None and entry[0] > time.monotonic():
            record: SessionRecord | None = entry[1]
        else:
            record = await self._load(sid)
        if record is None or record.expires_at <= utcnow():
            return None
        return record

    async def _load(self, sid: str) -> SessionRecord | None:
        owner = session_user(sid)
        if owner is None:
            return None
        async with self.db.session() as session:
            row = await session.get(DashboardSession, sid)
        tokens = self.cipher.decrypt(row.discord_tokens) if row is not None else None
        if row is None or row.user_id != owner or tokens is None or not tokens.get("access"):
            # gone, someone else's row, or sealed with another SECRET_KEY: not a usable session
            self._local.pop(sid, None)
            return None
        record = SessionRecord(
            row.id,
            row.user_id,
            str(tokens["access"]),
            tokens.get("refresh"),
            row.token_expires_at,
            row.expires_at,
            row.discord_tokens,
        )
        self._remember(record)
        return record

    # ------------------------------------------------------------------------------------------ Discord token
    async def access_token(self, sid: str, *, rejected: str | None = None) -> str:
        """A Discord access token of session `sid` that has not expired, renewed with the refresh token if needed.

        `rejected`: a token Discord just answered 401 to (renew even if it has not expired). Raises SessionEnded
        when the session is gone or cannot be renewed, DiscordError when Discord cannot be reached.
        """
        record = await self.get(sid)
        if record is None:
            raise SessionEnded()
        if rejected is None and record.token_expires_at - REFRESH_MARGIN > utcnow():
            return record.access_token
        if rejected is not None and record.access_token != rejected:
            return record.access_token  # already renewed
        pending = self._refreshing.get(sid)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._refreshing[sid] = future
        try:
            token = await self._refresh(sid, rejected or record.access_token)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        else:
            future.set_result(token)
            return token
        finally:
            del self._refreshing[sid]

    async def _refresh(self, sid: str, old_access: str) -> str:
        record = await self._load(sid)  # from the database: another process may have renewed it already
        if record is None or record.expires_at <= utcnow():
            raise SessionEnded()
        if record.access_token != old_access and record.token_expires_at - REFRESH_MARGIN > utcnow():
            return record.access_token
        if not record.refresh_token or self.discord is None:
            await self.end(sid)
            raise SessionEnded()
        try:
            answer = await self.discord.refresh(record.refresh_token)
        except DiscordError as exc:
            if exc.status in (400, 401):  # invalid_grant: revoked or already used elsewhere
                again = await self._load(sid)
                if again is not None and again.sealed != record.sealed:
                    return again.access_token  # another process renewed it with that refresh token first
                log.info("dashboard session ended: Discord refused the refresh token", status=exc.status)
                await self.end(sid)
                raise SessionEnded() from exc
            raise
        now = utcnow()
        access, refresh, token_expires = _tokens(answer, now)
        refresh = refresh or record.refresh_token
        sealed = self.cipher.encrypt({"access": access, "refresh": refresh})
        async with self.db.transaction() as session:
            result = await session.execute(
                update(DashboardSession)
                .where(DashboardSession.id == sid, DashboardSession.discord_tokens == record.sealed)
                .values(discord_tokens=sealed, token_expires_at=token_expires)
            )
        if getattr(result, "rowcount", 1) == 0:  # another process wrote first: theirs is the one Discord keeps
            again = await self._load(sid)
            if again is None:
                raise SessionEnded()
            return again.access_token
        self.refreshed += 1
        self._remember(SessionRecord(sid, record.user_id, access, refresh, token_expires, record.expires_at, sealed))
        return access

    # ------------------------------------------------------------------------------------------ ending
    async def end(self, sid: str, *, revoke: bool = False) -> None:
        """Close a session; with `revoke` (logout) also revoke its Discord tokens (failures are only logged)."""
        record = await self._load(sid) if revoke else None
        self.forget(sid)
        async with self.db.transaction() as session:
            await session.execute(delete(DashboardSession).where(DashboardSession.id == sid))
        if record is not None and self.discord is not None:
            await self._revoke(record)

    async def _revoke(self, record: SessionRecord) -> None:
        assert self.discord is not None
        pairs = [(record.refresh_token, "refresh_token"), (record.access_token, "access_token")]
        for token, hint in pairs:
            if not token:
                continue
            try:
                await self.discord.revoke(token, hint=hint)
            except DiscordError as exc:
                log.warning("could not revoke a Discord token at logout", hint=hint, status=exc.status)

    def forget(self, sid: str) -> None:
        """Drop the cached copy (another process ended the session)."""
        self._local.pop(sid, None)

    def _remember(self, record: SessionRecord) -> None:
        if self.local_ttl <= 0:
            return
        if len(self._local) > 50_000:
            self._local.clear()
        self._local[record.id] = (time.monotonic() + self.local_ttl, record)


def _tokens(answer: dict[str, Any], now: datetime) -> tuple[str, str | None, datetime]:
    """Access token, refresh token and expiry from Discord's token response."""
    expires_in = int(answer.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
    refresh = answer.get("refresh_token")
    return str(answer["access_token"]), str(refresh) if refresh else None, now + timedelta(seconds=expires_in)
