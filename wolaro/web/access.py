"""Who may manage which guild, decided in one place for the REST API and the WebSocket alike.

A user manages a guild when Discord says they own it or hold Administrator or Manage Server there (their guild
list read with their OAuth token), **and** the bot is in it. Master admins (MASTER_ADMIN_IDS) may open any guild
the bot is in; each such access that their own rights would not allow is written to the audit log.

The guild list is cached briefly (`DASHBOARD_GUILDS_TTL`, process-local then shared) so the check reflects Discord
within seconds, and at once after a `permission:revoked` message: the hub calls `revoke()`, which drops the cached
lists and marks the (guild, user) pair so any list fetched before that moment is no longer trusted for it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from wolaro.core.presence import BotPresence
from wolaro.data import guilds as repo
from wolaro.data.cache import Cache
from wolaro.data.database import Database
from wolaro.logging import get_logger
from wolaro.settings import Settings
from wolaro.web.discord_api import DiscordAPI, DiscordError
from wolaro.web.sessions import SessionStore

log = get_logger(__name__)

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
L2_PREFIX = "web:user_guilds:"


class NotAuthenticated(Exception):
    """The session is gone or Discord no longer accepts the user's token: log in again (401)."""


class AccessDenied(Exception):
    """The user may not manage this guild (403)."""


class DiscordUnavailable(Exception):
    """Discord could not tell us the user's guilds right now (503)."""

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("Discord is unavailable")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The logged-in dashboard user, from a valid session."""

    id: int
    username: str
    global_name: str | None
    avatar: str | None
    sid: str
    csrf: str
    expires_at: int
    is_master: bool

    @property
    def display_name(self) -> str:
        """The name to show."""
        return self.global_name or self.username


@dataclass(frozen=True, slots=True)
class UserGuild:
    """One guild of the user's Discord guild list."""

    id: int
    name: str
    icon: str | None
    owner: bool
    permissions: int

    @property
    def can_manage(self) -> bool:
        """Owner, Administrator or Manage Server."""
        return self.owner or bool(self.permissions & (ADMINISTRATOR | MANAGE_GUILD))


@dataclass(frozen=True, slots=True)
class GuildAccess:
    """Proof that `user` may manage `guild_id` right now: what `ManagedGuild` hands to a route."""

    guild_id: int
    user: CurrentUser
    via: Literal["member", "master"]
    name: str
    icon: str | None


@dataclass(slots=True)
class _UserGuilds:
    fetched_at: float  # wall clock, comparable across processes
    guilds: dict[int, UserGuild]


class AccessService:
    """The guild permission check, the user's manageable guilds, and revocations."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        cache: Cache,
        discord: DiscordAPI,
        sessions: SessionStore,
        presence: BotPresence,
    ) -> None:
        self.settings = settings
        self.db = db
        self.cache = cache
        self.discord = discord
        self.sessions = sessions
        self.presence = presence
        self.ttl = settings.dashboard_guilds_ttl
        self._local: dict[int, tuple[float, _UserGuilds]] = {}
        self._loading: dict[int, asyncio.Future[_UserGuilds]] = {}
        self._revoked: dict[tuple[int, int], float] = {}  # (guild, user) -> when its revocation arrived
        self._revoked_user: dict[int, float] = {}  # user -> their latest revocation
        self.master_accesses = 0

    def is_master(self, user_id: int) -> bool:
        """Whether the user is one of the platform's master admins."""
        return user_id in self.settings.master_admin_ids

    # ----------------------------------------------------------------------------------- the check
    async def authorize(self, user: CurrentUser, guild_id: int, *, action: str) -> GuildAccess:
        """Grant access to one guild or raise AccessDenied; `action` (e.g. "PATCH /api/...") goes to the audit."""
        guilds = await self.user_guilds(user)
        entry = guilds.guilds.get(guild_id)
        manages = entry is not None and entry.can_manage and not self._stale(guild_id, user.id, guilds.fetched_at)
        present = guild_id in await self.presence.present([guild_id])
        if manages and present:
            assert entry is not None
            return GuildAccess(guild_id, user, "member", entry.name, entry.icon)
        if user.is_master and present:
            await self._audit_master(user, guild_id, action)
            if entry is not None:
                return GuildAccess(guild_id, user, "master", entry.name, entry.icon)
            info = (await self.presence.info([guild_id])).get(guild_id)
            name, icon = (info.name, info.icon) if info is not None else (str(guild_id), None)
            return GuildAccess(guild_id, user, "master", name, icon)
        raise AccessDenied()

    async def _audit_master(self, user: CurrentUser, guild_id: int, action: str) -> None:
        self.master_accesses += 1
        async with self.db.transaction() as session:
            repo.add_audit(
                session,
                guild_id=guild_id,
                actor_id=user.id,
                action="admin.guild_access",
                target=action[:128],
                after={"via": "master_admin"},
            )
        log.info("master admin accessed a guild", user_id=user.id, guild_id=guild_id, action=action)

    def _stale(self, guild_id: int, user_id: int, fetched_at: float) -> bool:
        revoked_at = self._revoked.get((guild_id, user_id))
        return revoked_at is not None and fetched_at <= revoked_at

    # ----------------------------------------------------------------------------------- guild lists
    async def manageable(self, user: CurrentUser) -> list[UserGuild]:
        """The guilds the user manages and the bot is in (for master admins: every guild the bot is in)."""
        guilds = await self.user_guilds(user)
        candidates = [
            g for g in guilds.guilds.values() if g.can_manage and not self._stale(g.id, user.id, guilds.fetched_at)
        ]
        present = await self.presence.present([g.id for g in candidates])
        result = {g.id: g for g in candidates if g.id in present}
        if user.is_master:
            for info in await self.presence.guilds():
                result.setdefault(info.id, UserGuild(info.id, info.name, info.icon, False, 0))
        return sorted(result.values(), key=lambda g: (g.name.lower(), g.id))

    async def user_guilds(self, user: CurrentUser) -> _UserGuilds:
        """The user's Discord guild list: process cache, then shared cache, then Discord (one fetch at a time)."""
        now = time.monotonic()
        entry = self._local.get(user.id)
        if entry is not None and entry[0] > now and not self._any_stale(user.id, entry[1]):
            return entry[1]
        pending = self._loading.get(user.id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[_UserGuilds] = asyncio.get_running_loop().create_future()
        self._loading[user.id] = future
        try:
            result = await self._load(user)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._loading[user.id]

    def _any_stale(self, user_id: int, lists: _UserGuilds) -> bool:
        revoked_at = self._revoked_user.get(user_id)
        return revoked_at is not None and lists.fetched_at <= revoked_at

    async def _load(self, user: CurrentUser) -> _UserGuilds:
        key = f"{L2_PREFIX}{user.id}"
        if self.ttl > 0:
            raw = await self.cache.get(key)
            if raw is not None:
                cached = _decode(raw)
                if not self._any_stale(user.id, cached):
                    self._keep(user.id, cached)
                    return cached
        record = await self.sessions.get(user.sid)
        if record is None:
            raise NotAuthenticated()
        started = time.time()
        try:
            raw_guilds = await self.discord.user_guilds(record.access_token)
        except DiscordError as exc:
            if exc.status == 401:
                await self.sessions.end(user.sid)
                raise NotAuthenticated() from exc
            raise DiscordUnavailable(exc.retry_after) from exc
        result = _UserGuilds(started, {int(g["id"]): _guild(g) for g in raw_guilds})
        if self.ttl > 0:
            await self.cache.set(key, _encode(result), ttl=self.ttl)
            self._keep(user.id, result)
        return result

    def _keep(self, user_id: int, lists: _UserGuilds) -> None:
        if len(self._local) > 50_000:
            self._local.clear()
        self._local[user_id] = (time.monotonic() + self.ttl, lists)

    # ----------------------------------------------------------------------------------- revocation
    async def revoke(self, guild_id: int, user_id: int) -> None:
        """A `permission:revoked` arrived: stop trusting what we knew of this user's rights in this guild."""
        now = time.time()
        self._revoked[(guild_id, user_id)] = now
        self._revoked_user[user_id] = now
        if len(self._revoked) > 1000:  # a list fetched before the horizon has expired from every cache anyway
            horizon = now - max(self.ttl, 1.0) * 2
            self._revoked = {pair: at for pair, at in self._revoked.items() if at >= horizon}
            self._revoked_user = {uid: at for uid, at in self._revoked_user.items() if at >= horizon}
        self.forget_user(user_id)
        await self.cache.delete(f"{L2_PREFIX}{user_id}")

    def forget_user(self, user_id: int) -> None:
        """Drop this process's copy of a user's guild list."""
        self._local.pop(user_id, None)

    def stats(self) -> dict[str, Any]:
        """Figures for the admin endpoints."""
        return {
            "cached_guild_lists": len(self._local),
            "revocations_tracked": len(self._revoked),
            "master_accesses": self.master_accesses,
        }


def _guild(data: dict[str, Any]) -> UserGuild:
    return UserGuild(
        id=int(data["id"]),
        name=str(data.get("name", "")),
        icon=data.get("icon"),
        owner=bool(data.get("owner")),
        permissions=int(data.get("permissions") or 0),
    )


def _encode(lists: _UserGuilds) -> bytes:
    return orjson.dumps(
        {
            "fetched_at": lists.fetched_at,
            "guilds": [[g.id, g.name, g.icon, g.owner, g.permissions] for g in lists.guilds.values()],
        }
    )


def _decode(raw: bytes) -> _UserGuilds:
    data = orjson.loads(raw)
    guilds = {int(g[0]): UserGuild(int(g[0]), g[1], g[2], bool(g[3]), int(g[4])) for g in data["guilds"]}
    return _UserGuilds(float(data["fetched_at"]), guilds)
