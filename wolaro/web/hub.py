"""The WebSocket hub: rooms per guild, fed by pub/sub (seed 002, step 4b).

Every API process subscribes to `config:update`, `module:toggle`, `guild:reload`, `permission:revoked` and
`command:executed`, and forwards each message to the dashboards open on that guild in this process (its room).
Joining a room goes through the same check as the REST API (`AccessService.authorize`).

Losing access closes every door at once. `permission:revoked` {guild_id, user_id, reason} (the bot saw this
member lose Manage Server, or leave) first makes the API stop trusting what it knew of the user's rights there
(`AccessService.revoke`), then takes each of the user's sockets out of that guild's room and tells it (a master
admin's sockets are re-checked instead); the REST API refuses them from then on. Without `user_id` (a role lost
its rights or was deleted, the bot left the guild) and on `guild:reload` {blacklisted: true}, nobody's rights there
are trusted any more (`AccessService.revoke_guild`) and every socket of the room is re-checked against Discord at
once: those that fail leave. What the bot cannot see (a change while it was offline, Discord-side changes) is
caught by the periodic re-check of every socket in every room (`recheck_interval`, the guild-list TTL); a re-check
that fails for any reason (Discord unreachable included) takes the socket out too.

A user has at most `max_per_user` sockets in one API process (MAX_CONNECTIONS_PER_USER).

Each connection has its own bounded send queue and writer task, so one slow browser never delays a room; a
connection whose queue overflows is closed (it reconnects and reloads).

Messages sent to the browser (JSON text frames; snowflakes as strings):

    {"type": "hello", "user": {...}, "session_expires_at": 1700000000}
    {"type": "joined", "guild_id": "1"}          {"type": "left", "guild_id": "1"}
    {"type": "error", "code": "forbidden" | "bad_request" | "too_many_rooms" | "too_many_connections",
     "message": "...", "guild_id"?: "1"}
    {"type": "pong"}
    {"type": "<event>", "guild_id": "1", "data": {...}, "ts": 1700000000.0}
        event: config:updated | module:toggled | guild:reload | permission:revoked | command:executed
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketState

from wolaro.core.jsonsafe import js_safe
from wolaro.data.pubsub import COMMAND_EXECUTED, CONFIG_UPDATE, GUILD_RELOAD, MODULE_TOGGLE, PERMISSION_REVOKED, PubSub
from wolaro.logging import get_logger
from wolaro.web.access import AccessDenied, AccessService, CurrentUser, GuildAccess, NotAuthenticated

log = get_logger(__name__)

#: Pub/sub channel -> event name sent to the browser (seed 002's "Events Emitted to Panel").
EVENTS = {
    CONFIG_UPDATE: "config:updated",
    MODULE_TOGGLE: "module:toggled",
    GUILD_RELOAD: "guild:reload",
    PERMISSION_REVOKED: "permission:revoked",
    COMMAND_EXECUTED: "command:executed",
}
#: Published by the API when a user logs out: every process closes that session's sockets.
SESSION_ENDED = "dashboard:session_ended"

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_SLOW = 4408
CLOSE_TOO_MANY = 4429
MAX_ROOMS_PER_CONNECTION = 50
MAX_CONNECTIONS_PER_USER = 10
RECHECK_CONCURRENCY = 20

_ids = itertools.count(1)


@dataclass(eq=False, slots=True)
class Connection:
    """One open dashboard socket."""

    websocket: WebSocket
    user: CurrentUser
    id: int = field(default_factory=lambda: next(_ids))
    rooms: set[int] = field(default_factory=set)
    queue: asyncio.Queue[bytes | None] = field(default_factory=lambda: asyncio.Queue(256))
    close_code: int | None = None
    sent: int = 0

    def send(self, payload: bytes) -> bool:
        """Queue a frame; False (and the connection closes) if the browser is too far behind."""
        if self.close_code is not None:
            return False
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.close(CLOSE_SLOW)
            return False
        return True

    def send_json(self, message: dict[str, Any]) -> bool:
        """Queue a JSON message."""
        return self.send(orjson.dumps(message))

    def close(self, code: int) -> None:
        """Ask the writer to close the socket with `code` after what is queued."""
        if self.close_code is None:
            self.close_code = code
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)

    async def writer(self) -> None:
        """Send queued frames until told to close."""
        ws = self.websocket
        try:
            while True:
                payload = await self.queue.get()
                if payload is None:
                    break
                await ws.send_text(payload.decode())
                self.sent += 1
        except Exception:  # the peer went away: the reader notices too
            return
        if ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await ws.close(self.close_code or 1000)


class Hub:
    """Rooms of connections per guild, fed by pub/sub."""

    def __init__(
        self,
        access: AccessService,
        pubsub: PubSub,
        *,
        on_session_ended: Callable[[str], None],
        recheck_interval: float | None = None,
        max_per_user: int = MAX_CONNECTIONS_PER_USER,
    ) -> None:
        self.access = access
        self.pubsub = pubsub
        self.on_session_ended = on_session_ended
        #: seconds between re-checks of every socket: by default the guild-list TTL, so each one reads Discord
        self.recheck_interval = max(0.05, recheck_interval if recheck_interval is not None else access.ttl or 30.0)
        self.max_per_user = max_per_user
        self.rooms: dict[int, set[Connection]] = {}
        self.connections: set[Connection] = set()
        self.by_user: dict[int, set[Connection]] = {}
        self.forwarded = 0
        self.revocations = 0
        self.rechecks = 0
        self._attached = False
        self._rechecking: asyncio.Task[None] | None = None
        self._limit = asyncio.Semaphore(RECHECK_CONCURRENCY)

    def attach(self) -> None:
        """Subscribe to the channels (once per process, at app creation)."""
        if self._attached:
            return
        self._attached = True
        for channel in EVENTS:
            self.pubsub.subscribe(channel, self._on_message)
        self.pubsub.subscribe(SESSION_ENDED, self._on_session_ended)

    def detach(self) -> None:
        """Unsubscribe."""
        if not self._attached:
            return
        self._attached = False
        for channel in EVENTS:
            self.pubsub.unsubscribe(channel, self._on_message)
        self.pubsub.unsubscribe(SESSION_ENDED, self._on_session_ended)

    # ------------------------------------------------------------------------------ membership
    def register(self, connection: Connection) -> bool:
        """A socket opened; False (not registered) when its user already has `max_per_user` open here."""
        mine = self.by_user.setdefault(connection.user.id, set())
        if len(mine) >= self.max_per_user:
            if not mine:
                del self.by_user[connection.user.id]
            return False
        mine.add(connection)
        self.connections.add(connection)
        if self._rechecking is None or self._rechecking.done():
            self._rechecking = asyncio.get_running_loop().create_task(self._recheck_forever(), name="ws-recheck")
        return True

    def unregister(self, connection: Connection) -> None:
        """A socket closed: leave every room."""
        self.connections.discard(connection)
        mine = self.by_user.get(connection.user.id)
        if mine is not None:
            mine.discard(connection)
            if not mine:
                del self.by_user[connection.user.id]
        for guild_id in list(connection.rooms):
            self._leave(connection, guild_id)

    async def join(self, connection: Connection, guild_id: int) -> GuildAccess:
        """Put the socket in the guild's room after the same check the REST API makes (AccessDenied if not)."""
        access = await self.access.authorize(connection.user, guild_id, action="WS join")
        if guild_id not in connection.rooms:
            if len(connection.rooms) >= MAX_ROOMS_PER_CONNECTION:
                raise OverflowError("too many rooms")
            connection.rooms.add(guild_id)
            self.rooms.setdefault(guild_id, set()).add(connection)
        return access

    def leave(self, connection: Connection, guild_id: int) -> None:
        """Take the socket out of a room."""
        self._leave(connection, guild_id)

    def _leave(self, connection: Connection, guild_id: int) -> None:
        connection.rooms.discard(guild_id)
        room = self.rooms.get(guild_id)
        if room is not None:
            room.discard(connection)
            if not room:
                del self.rooms[guild_id]

    # ------------------------------------------------------------------------------ fan-out
    async def _on_message(self, channel: str, message: dict[str, Any]) -> None:
        raw_guild = message.get("guild_id")
        if raw_guild is None:
            return
        guild_id = int(raw_guild)
        if channel == PERMISSION_REVOKED:
            await self._on_revoked(guild_id, message)
            return
        blacklisted = message.get("blacklisted") if channel == GUILD_RELOAD else None
        if blacklisted is not None:
            await self.access.revoke_guild(guild_id, blacklisted=bool(blacklisted))
        room = self.rooms.get(guild_id)
        if not room:
            return
        frame = _frame(EVENTS[channel], guild_id, message)
        for connection in list(room):
            connection.send(frame)
        self.forwarded += len(room)
        if blacklisted:
            reason = {"reason": "The server was blacklisted", "user_id": None}
            await self.recheck_room(guild_id, reason)

    async def _on_revoked(self, guild_id: int, message: dict[str, Any]) -> None:
        raw_user = message.get("user_id")
        if raw_user is None:  # who is affected is not known: nobody's rights there are trusted, all re-checked
            await self.access.revoke_guild(guild_id, bot_left=bool(message.get("bot_left")))
            await self.recheck_room(guild_id, message)
            return
        user_id = int(raw_user)
        await self.access.revoke(guild_id, user_id)  # first: the API refuses them from now on
        frame = _frame(EVENTS[PERMISSION_REVOKED], guild_id, message)
        recheck = []
        for connection in list(self.by_user.get(user_id, ())):
            if guild_id not in connection.rooms:
                continue
            if connection.user.is_master or message.get("recheck"):
                recheck.append(connection)  # may still open it (as master admin, or rights the bot cannot see)
            else:
                self._revoke(connection, guild_id, frame)
        if recheck:
            await asyncio.gather(*(self._recheck(c, guild_id, message) for c in recheck))

    def _revoke(self, connection: Connection, guild_id: int, frame: bytes) -> None:
        self._leave(connection, guild_id)
        connection.send(frame)
        self.revocations += 1

    async def recheck_room(self, guild_id: int, message: dict[str, Any]) -> None:
        """Check every socket of a guild's room again (as when it joined); those refused leave and are told."""
        connections = list(self.rooms.get(guild_id, ()))
        if connections:
            await asyncio.gather(*(self._recheck(c, guild_id, message) for c in connections))

    async def _recheck(self, connection: Connection, guild_id: int, message: dict[str, Any]) -> None:
        async with self._limit:
            if guild_id not in connection.rooms or connection.close_code is not None:
                return
            self.rechecks += 1
            reason = message.get("reason") or "Your access to this server could not be confirmed"
            try:
                await self.access.authorize(connection.user, guild_id, action="WS recheck")
            except NotAuthenticated:
                self._leave(connection, guild_id)
                connection.close(CLOSE_UNAUTHORIZED)
                self.revocations += 1
                return
            except Exception as exc:  # refused, Discord unreachable, anything: fail closed
                if not isinstance(exc, AccessDenied):
                    log.info("dashboard socket re-check failed", guild_id=guild_id, error=repr(exc))
                data = {**message, "user_id": connection.user.id, "reason": reason}
                self._revoke(connection, guild_id, _frame(EVENTS[PERMISSION_REVOKED], guild_id, data))
                return

    async def recheck_all(self) -> None:
        """Re-check every socket in every room (what the bot cannot see: changes while it was away, Discord's)."""
        pairs = [(c, g) for c in list(self.connections) for g in list(c.rooms)]
        message = {"reason": "Your access to this server could not be confirmed", "recheck": True}
        if pairs:
            await asyncio.gather(*(self._recheck(c, g, message) for c, g in pairs))

    async def _recheck_forever(self) -> None:
        while self.connections:
            await asyncio.sleep(self.recheck_interval)
            try:
                await self.recheck_all()
            except Exception:
                log.exception("dashboard socket re-check round failed")

    async def _on_session_ended(self, channel: str, message: dict[str, Any]) -> None:
        sid = str(message.get("sid", ""))
        self.on_session_ended(sid)
        user_id = message.get("user_id")
        candidates = self.by_user.get(int(user_id), set()) if user_id is not None else self.connections
        for connection in list(candidates):
            if connection.user.sid == sid:
                connection.close(CLOSE_UNAUTHORIZED)

    # ------------------------------------------------------------------------------ figures
    def stats(self) -> dict[str, Any]:
        """Seed 002's websocket stats."""
        return {
            "connectedUsers": len({c.user.id for c in self.connections}),
            "totalConnections": len(self.connections),
            "rooms": len(self.rooms),
            "forwarded": self.forwarded,
            "revocations": self.revocations,
            "rechecks": self.rechecks,
        }

    async def close(self) -> None:
        """Close every socket (server shutdown: 1001 going away)."""
        self.detach()
        task, self._rechecking = self._rechecking, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for connection in list(self.connections):
            connection.close(1001)


def _frame(event: str, guild_id: int, message: dict[str, Any]) -> bytes:
    data = {k: v for k, v in message.items() if k not in ("guild_id", "ts")}
    return orjson.dumps(
        {"type": event, "guild_id": str(guild_id), "data": js_safe(data), "ts": message.get("ts", time.time())}
    )
