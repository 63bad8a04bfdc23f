"""Who may manage which guild, decided in one place for the REST API and the WebSocket alike.

A user manages a guild when Discord says they own it or hold Administrator or Manage Server there (their guild
list read with their OAuth token), **and** the bot is in it. Master admins (MASTER_ADMIN_IDS) may open any guild
the bot is in; each such access that their own rights would not allow is written to the audit log.

The guild list is cached briefly (`DASHBOARD_GUILDS_TTL`, process-local then shared) so the check reflects Discord
within seconds, and at once after a `permission:revoked` message: the hub calls `revoke()` (one user: the bot saw
their rights go) or `revoke_guild()` (a role changed or was deleted, the bot left, the guild was blacklisted: who
is affected is not known), which mark what was known before that moment as no longer trusted, so the next check
reads Discord again. A blacklisted guild is closed to everyone but master admins; a guild the bot left, to all.

A master admin's access to a guild they could not open themselves is audited once per session and guild.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from starlette.exceptions import HTTPException

from wolaro.core.config_service import GuildConfigService
from wolaro.core.presence import BotPresence
from wolaro.data import guilds as repo
from wolaro.data.cache import Cache
from wolaro.data.database import Database
from wolaro.logging import get_logger
from wolaro.settings import Settings
from wolaro.web.discord_api import DiscordAPI, DiscordError
from wolaro.web.sessions import SessionEnded, SessionStore

log = get_logger(__name__)

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
L2_PREFIX = "web:user_guilds:"
AUDITED_PREFIX = "web:master_access:"


class NotAuthenticated(HTTPException):
    """The session is gone or Discord no longer accepts the user's token: log in again (401).

    An HTTPException, so a route that does not catch it still answers 401, never 500.
    """

    def __init__(self) -> None:
        super().__init__(401, "Not logged in, or the session has ended: log in again", {"WWW-Authenticate": "Cookie"})


class AccessDenied(Exception):
    """The user may not manage this guild (403)."""


class DiscordUnavailable(HTTPException):
    """Discord could not tell us the user's guilds right now (503, also when a route does not catch it)."""

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__(503, "Discord is unavailable", {"Retry-After": str(max(1, round(retry_after or 1)))})
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
        config: GuildConfigService | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
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
        self._revoked_guild: dict[int, float] = {}  # guild -> its latest guild-wide revocation
        self._blacklisted: dict[int, bool] = {}  # guild -> blacklist state from the latest GUILD_RELOAD seen
        self._audited: dict[tuple[str, int], float] = {}  # (session, guild) -> until when its access is audited
        self.master_accesses = 0

    def is_master(self, user_id: int) -> bool:
        """Whether the user is one of the platform's master admins."""
        return user_id in self.settings.master_admin_ids

    # ----------------------------------------------------------------------------------- the check
    async def authorize(self, user: CurrentUser, guild_id: int, *, action: str) -> GuildAccess:
        """Grant access to one guild or raise AccessDenied; `action` (e.g. "PATCH /api/...") goes to the audit."""
        if guild_id not in await self.presence.present([guild_id]):
            raise AccessDenied()  # the bot is not there: nobody manages it through Wolaro
        if not user.is_master and await self.blacklisted(guild_id):
            raise AccessDenied()
        guilds = await self.user_guilds(user, fresher_than=self._revoked_at(guild_id, user.id))
        entry = guilds.guilds.get(guild_id)
        if entry is not None and entry.can_manage and not self._stale(guild_id, user.id, guilds.fetched_at):
            return GuildAccess(guild_id, user, "member", entry.name, entry.icon)
        if user.is_master:
            await self._audit_master(user, guild_id, action)
            if entry is not None:
                return GuildAccess(guild_id, user, "master", entry.name, entry.icon)
            info = (await self.presence.info([guild_id])).get(guild_id)
            name, icon = (info.name, info.icon) if info is not None else (str(guild_id), None)
            return GuildAccess(guild_id, user, "master", name, icon)
        raise AccessDenied()

    async def blacklisted(self, guild_id: int) -> bool:
        """Whether the guild is blacklisted (the latest GUILD_RELOAD seen wins over a config cached before it)."""
        known = self._blacklisted.get(guild_id)
        if known is not None:
            return known
        if self.config is None:
            return False
        return (await self.config.get(guild_id)).blacklisted

    async def _audit_master(self, user: CurrentUser, guild_id: int, action: str) -> None:
        """One audit row per session and guild: a master admin's every GET (or a forged link) adds nothing more."""
        key = (user.sid, guild_id)
        now = time.time()
        if self._audited.get(key, 0.0) > now:
            return
        shared_key = f"{AUDITED_PREFIX}{user.sid}:{guild_id}"
        remaining = max(1.0, user.expires_at - now)
        if len(self._audited) > 10_000:
            self._audited = {k: until for k, until in self._audited.items() if until > now}
        self._audited[key] = now + remaining
        if await self.cache.get(shared_key) is not None:
            return  # another API process recorded it
        await self.cache.set(shared_key, b"1", ttl=remaining)
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

    def _revoked_at(self, guild_id: int, user_id: int) -> float:
        return max(self._revoked.get((guild_id, user_id), 0.0), self._revoked_guild.get(guild_id, 0.0))

    def _stale(self, guild_id: int, user_id: int, fetched_at: float) -> bool:
        revoked_at = self._revoked_at(guild_id, user_id)
        return revoked_at > 0 and fetched_at <= revoked_at

    # ----------------------------------------------------------------------------------- guild lists
    async def manageable(self, user: CurrentUser) -> list[UserGuild]:
        """The guilds the user manages and the bot is in (for master admins: every guild the bot is in)."""
        guilds = await self.user_guilds(user)
        newest = max((self._revoked_at(g, user.id) for g in guilds.guilds), default=0.0)
        if newest >= guilds.fetched_at:  # something changed since: read Discord again rather than hide a guild
            guilds = await self.user_guilds(user, fresher_than=newest)
        candidates = [
            g for g in guilds.guilds.values() if g.can_manage and not self._stale(g.id, user.id, guilds.fetched_at)
        ]
        present = await self.presence.present([g.id for g in candidates])
        result = {g.id: g for g in candidates if g.id in present}
        if not user.is_master and result:
            for guild_id in [g for g in result if await self.blacklisted(g)]:
                del result[guild_id]
        if user.is_master:
            for info in await self.presence.guilds():
                result.setdefault(info.id, UserGuild(info.id, info.name, info.icon, False, 0))
        return sorted(result.values(), key=lambda g: (g.name.lower(), g.id))

    async def user_guilds(self, user: CurrentUser, *, fresher_than: float = 0.0) -> _UserGuilds:
        """The user's Discord guild list: process cache, then shared cache, then Discord (one fetch at a time).

        `fresher_than` (wall clock): a cached list fetched at or before it is not used.
        """
        now = time.monotonic()
        entry = self._local.get(user.id)
        if (
            entry is not None
            and entry[0] > now
            and entry[1].fetched_at > fresher_than
            and not self._any_stale(user.id, entry[1])
        ):
            return entry[1]
        pending = self._loading.get(user.id)
        if pending is not None:
            shared = await asyncio.shield(pending)
            if shared.fetched_at > fresher_than:
                return shared
        future: asyncio.Future[_UserGuilds] = asyncio.get_running_loop().create_future()
        self._loading[user.id] = future
        try:
            result = await self._load(user, fresher_than)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        else:
            future.set_result(result)
            return result
        finally:
            if self._loading.get(user.id) is future:
                del self._loading[user.id]

    def _any_stale(self, user_id: int, lists: _UserGuilds) -> bool:
        revoked_at = self._revoked_user.get(user_id)
        return revoked_at is not None and lists.fetched_at <= revoked_at

    async def _load(self, user: CurrentUser, fresher_than: float) -> _UserGuilds:
        key = f"{L2_PREFIX}{user.id}"
        if self.ttl > 0:
            raw = await self.cache.get(key)
            if raw is not None:
                cached = _decode(raw)
                if cached.fetched_at > fresher_than and not self._any_stale(user.id, cached):
                    self._keep(user.id, cached)
                    return cached
        started = time.time()
        try:
            token = await self.sessions.access_token(user.sid)
            try:
                raw_guilds = await self.discord.user_guilds(token)
            except DiscordError as exc:
                if exc.status != 401:
                    raise
                token = await self.sessions.access_token(user.sid, rejected=token)  # renew once, then retry
                raw_guilds = await self.discord.user_guilds(token)
        except SessionEnded as exc:
            raise NotAuthenticated() from exc
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

    async def revoke_guild(self, guild_id: int, *, bot_left: bool = False, blacklisted: bool | None = None) -> None:
        """Something changed in the guild that may take anyone's rights away: re-read Discord before trusting them.

        `bot_left`: the bot is no longer there (forget the cached presence); `blacklisted`: the guild's new state.
        """
        now = time.time()
        self._revoked_guild[guild_id] = now
        if len(self._revoked_guild) > 10_000:
            horizon = now - max(self.ttl, 1.0) * 2
            self._revoked_guild = {g: at for g, at in self._revoked_guild.items() if at >= horizon}
        if blacklisted is not None:
            if len(self._blacklisted) > 10_000:
                self._blacklisted.clear()
            self._blacklisted[guild_id] = blacklisted
        if bot_left:
            forget = getattr(self.presence, "forget", None)
            if forget is not None:
                forget(guild_id)

    def forget_user(self, user_id: int) -> None:
        """Drop this process's copy of a user's guild list."""
        self._local.pop(user_id, None)

    def stats(self) -> dict[str, Any]:
        """Figures for the admin endpoints."""
        return {
            "cached_guild_lists": len(self._local),
            "revocations_tracked": len(self._revoked) + len(self._revoked_guild),
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
