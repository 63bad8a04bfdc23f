"""The WebSocket hub: rooms per guild, fed by pub/sub (seed 002, step 4b).

Every API process subscribes to `config:update`, `module:toggle`, `guild:reload`, `permission:revoked` and
`command:executed`, and forwards each message to the dashboards open on that guild in this process (its room).
Joining a room goes through the same check as the REST API (`AccessService.authorize`).

`permission:revoked` {guild_id, user_id, reason} first makes the API stop trusting what it knew of the user's
rights there (`AccessService.revoke`), then takes each of the user's sockets out of that guild's room and tells
it; the REST API refuses them from then on.

Each connection has its own bounded send queue and writer task, so one slow browser never delays a room; a
connection whose queue overflows is closed (it reconnects and reloads).

Messages sent to the browser (JSON text frames; snowflakes as strings):

    {"type": "hello", "user": {...}, "session_expires_at": 1700000000}
    {"type": "joined", "guild_id": "1"}          {"type": "left", "guild_id": "1"}
    {"type": "error", "code": "forbidden" | "bad_request" | "too_many_rooms", "message": "...", "guild_id"?: "1"}
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

from wolaro.data.pubsub import COMMAND_EXECUTED, CONFIG_UPDATE, GUILD_RELOAD, MODULE_TOGGLE, PERMISSION_REVOKED, PubSub
from wolaro.logging import get_logger
from wolaro.web.access import AccessService, CurrentUser, GuildAccess
from wolaro.web.jsonsafe import js_safe

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
MAX_ROOMS_PER_CONNECTION = 50

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

    def __init__(self, access: AccessService, pubsub: PubSub, *, on_session_ended: Callable[[str], None]) -> None:
        self.access = access
        self.pubsub = pubsub
        self.on_session_ended = on_session_ended
        self.rooms: dict[int, set[Connection]] = {}
        self.connections: set[Connection] = set()
        self.forwarded = 0
        self.revocations = 0
        self._attached = False

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
    def register(self, connection: Connection) -> None:
        """A socket opened."""
        self.connections.add(connection)

    def unregister(self, connection: Connection) -> None:
        """A socket closed: leave every room."""
        self.connections.discard(connection)
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
        room = self.rooms.get(guild_id)
        if not room:
            return
        frame = _frame(EVENTS[channel], guild_id, message)
        for connection in list(room):
            connection.send(frame)
        self.forwarded += len(room)

    async def _on_revoked(self, guild_id: int, message: dict[str, Any]) -> None:
        user_id = int(message["user_id"])
        await self.access.revoke(guild_id, user_id)  # first: the API refuses them from now on
        frame = _frame(EVENTS[PERMISSION_REVOKED], guild_id, message)
        for connection in list(self.connections):
            if connection.user.id == user_id and guild_id in connection.rooms:
                self._leave(connection, guild_id)
                connection.send(frame)
                self.revocations += 1

    async def _on_session_ended(self, channel: str, message: dict[str, Any]) -> None:
        sid = str(message.get("sid", ""))
        self.on_session_ended(sid)
        for connection in list(self.connections):
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
        }

    async def close(self) -> None:
        """Close every socket (server shutdown: 1001 going away)."""
        self.detach()
        for connection in list(self.connections):
            connection.close(1001)


def _frame(event: str, guild_id: int, message: dict[str, Any]) -> bytes:
    data = {k: v for k, v in message.items() if k not in ("guild_id", "ts")}
    return orjson.dumps(
        {"type": event, "guild_id": str(guild_id), "data": js_safe(data), "ts": message.get("ts", time.time())}
    )
