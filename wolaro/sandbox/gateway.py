"""The gateway: WebSocket sessions with HELLO/heartbeats/IDENTIFY/RESUME, zlib-stream, sharding and intents.

A *session* (what IDENTIFY creates and RESUME continues) outlives its *connection*: while the socket is
down, dispatches for its shard are numbered and kept, and a RESUME replays the ones the client missed.
Every frame is serialised once with orjson and written through one ordered per-connection queue, which
also keeps a zlib-stream compressor's output in send order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from wolaro.sandbox import payloads
from wolaro.sandbox.notify import Notifier
from wolaro.sandbox.state import SandboxState

try:  # discord.py asks for zstd-stream when `zstandard` is importable on its side.
    import zstandard
except ImportError:  # pragma: no cover - depends on the environment
    zstandard = None

log = logging.getLogger(__name__)

# Gateway opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE, RESUME, RECONNECT, REQUEST_MEMBERS = 0, 1, 2, 3, 4, 6, 7, 8
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11

# Intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MODERATION = 1 << 2
GUILD_VOICE_STATES = 1 << 7
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
GUILD_MESSAGE_TYPING = 1 << 11
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
DIRECT_MESSAGE_TYPING = 1 << 14
MESSAGE_CONTENT = 1 << 15

#: Intent an event needs in a guild, and in a DM (0 = always delivered).
EVENT_INTENTS: dict[str, tuple[int, int]] = {
    "GUILD_UPDATE": (GUILDS, 0),
    "GUILD_ROLE_CREATE": (GUILDS, 0),
    "GUILD_ROLE_UPDATE": (GUILDS, 0),
    "GUILD_ROLE_DELETE": (GUILDS, 0),
    "CHANNEL_CREATE": (GUILDS, 0),
    "CHANNEL_UPDATE": (GUILDS, 0),
    "CHANNEL_DELETE": (GUILDS, 0),
    "GUILD_MEMBER_ADD": (GUILD_MEMBERS, 0),
    "GUILD_MEMBER_UPDATE": (GUILD_MEMBERS, 0),
    "GUILD_MEMBER_REMOVE": (GUILD_MEMBERS, 0),
    "GUILD_BAN_ADD": (GUILD_MODERATION, 0),
    "GUILD_BAN_REMOVE": (GUILD_MODERATION, 0),
    "GUILD_AUDIT_LOG_ENTRY_CREATE": (GUILD_MODERATION, 0),
    "VOICE_STATE_UPDATE": (GUILD_VOICE_STATES, 0),
    "MESSAGE_CREATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE_BULK": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "TYPING_START": (GUILD_MESSAGE_TYPING, DIRECT_MESSAGE_TYPING),
}
#: Fields Discord empties in messages when the client lacks the MESSAGE_CONTENT intent.
CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": []}

#: Events kept per session for RESUME; a client further behind than this gets INVALID_SESSION.
REPLAY_BUFFER = 20_000
#: A session whose socket has been gone this long can no longer be resumed.
RESUME_WINDOW_S = 120.0
MEMBER_CHUNK_SIZE = 1000


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives ``guild_id``'s events."""
    return (guild_id >> 22) % shard_count


def frame(name: bytes, seq: int, data: bytes) -> bytes:
    """A serialised DISPATCH frame around an already-serialised ``d``."""
    return b'{"op":0,"s":%d,"t":"%b","d":%b}' % (seq, name, data)


def op_frame(op: int, data: Any) -> bytes:
    """A serialised non-dispatch frame."""
    return orjson.dumps({"op": op, "d": data, "s": None, "t": None})


class GatewayConnection:
    """One WebSocket: an ordered outgoing queue, optionally zlib- or zstd-compressed."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd = (
            zstandard.ZstdCompressor().compressobj() if compress == "zstd-stream" and zstandard is not None else None
        )
        self._pending: deque[bytes] = deque()
        self._busy = False
        self.closed = False
        self.frames_sent = 0

    async def send(self, data: bytes) -> None:
        """Queue ``data`` and, unless another send is already draining the queue, write it now."""
        self._pending.append(data)
        await self._drain()

    async def send_many(self, frames: Iterable[bytes]) -> None:
        """Queue ``frames`` in order and write them."""
        self._pending.extend(frames)
        await self._drain()

    def encode(self, data: bytes) -> bytes:
        """Compress one frame with the connection's stream compressor (identity in text mode)."""
        if self._zlib is not None:
            return self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            return self._zstd.compress(data) + self._zstd.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        return data

    @property
    def opcode(self) -> WSMsgType:
        """Binary frames when compressing, text otherwise."""
        return (
            WSMsgType.TEXT if self.compress is None or (self._zlib is None and self._zstd is None) else WSMsgType.BINARY
        )

    async def _drain(self) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            await self._write_pending()
        finally:
            self._busy = False

    async def _write_pending(self) -> None:
        pending = self._pending
        ws = self.ws
        opcode = self.opcode
        encode = self.encode
        while pending:
            data = pending.popleft()
            if self.closed:
                continue
            try:
                await ws.send_frame(encode(data), opcode)
                self.frames_sent += 1
            except (ConnectionError, RuntimeError):
                self.closed = True
                pending.clear()

    def reserve(self, frames: list[bytes]) -> list[bytes] | None:
        """Compress ``frames`` now and hold the queue for :meth:`send_reserved` (None if the queue is busy).

        Frames sent meanwhile wait behind the reserved ones, so the compressor still sees send order.
        """
        if self._busy or self._pending:
            return None
        self._busy = True
        encode = self.encode
        return [encode(f) for f in frames]

    async def send_reserved(self, chunks: list[bytes]) -> None:
        """Write chunks from :meth:`reserve` back to back, then whatever queued up meanwhile."""
        ws = self.ws
        opcode = self.opcode
        try:
            for chunk in chunks:
                if self.closed:
                    break
                try:
                    await ws.send_frame(chunk, opcode)
                except (ConnectionError, RuntimeError):
                    self.closed = True
                    self._pending.clear()
                    break
            self.frames_sent += len(chunks)
            await self._write_pending()
        finally:
            self._busy = False

    async def close(self, code: int, message: str = "") -> None:
        """Close the socket with a gateway close code (waiting at most 2 s for the client's answer)."""
        self.closed = True
        self._pending.clear()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(code=code, message=message.encode()), 2)


@dataclass(eq=False)
class GatewaySession:
    """An identified gateway session for one shard."""

    session_id: str
    shard_id: int
    shard_count: int
    intents: int
    large_threshold: int
    guild_ids: list[int]
    seq: int = 0
    connection: GatewayConnection | None = None
    #: Dispatches go to the connection (queued behind READY/GUILD_CREATE) once this is set.
    ready: bool = False
    #: READY and every GUILD_CREATE have been written.
    delivered: bool = False
    invalidated: bool = False
    disconnected_at: float | None = None
    buffer: deque[tuple[int, bytes]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))

    def next_frame(self, name: bytes, data: bytes) -> bytes:
        """Number a dispatch, keep it for RESUME and return the frame."""
        self.seq += 1
        f = frame(name, self.seq, data)
        self.buffer.append((self.seq, f))
        return f

    def wants(self, event: str, dm: bool) -> bool:
        """Whether this session's intents subscribe it to ``event``."""
        needed = EVENT_INTENTS.get(event)
        if needed is None:
            return True
        bit = needed[1] if dm else needed[0]
        return bit == 0 or bool(self.intents & bit)

    @property
    def has_content(self) -> bool:
        """Whether the session gets message content (MESSAGE_CONTENT intent)."""
        return bool(self.intents & MESSAGE_CONTENT)


class Gateway:
    """Accepts gateway WebSockets and routes dispatches to the sessions of the right shard."""

    def __init__(
        self,
        state: SandboxState,
        *,
        token: str,
        heartbeat_interval_ms: int,
        gateway_url: Callable[[], str],
    ) -> None:
        self.state = state
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self._gateway_url = gateway_url
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[GatewayConnection] = set()
        self.changed = Notifier()
        self._routes: dict[int, list[GatewaySession]] | None = None
        self.identify_count = 0
        #: False while the sandbox stops: new sockets are closed at once (1001 going away).
        self.accepting = True
        #: How many missed events the last RESUME replayed.
        self.last_replayed = 0
        self._closing: set[asyncio.Future[None]] = set()

    # ---- routing ------------------------------------------------------------------------------------
    def _live_sessions(self) -> list[GatewaySession]:
        for sid, s in list(self.sessions.items()):
            if s.invalidated or (s.connection is None and self._expired(s)):
                s.invalidated = True
                del self.sessions[sid]
                self._routes = None
        return list(self.sessions.values())

    @staticmethod
    def _expired(s: GatewaySession) -> bool:
        """A session without a socket for longer than the resume window."""
        return s.disconnected_at is not None and time.monotonic() - s.disconnected_at > RESUME_WINDOW_S

    def sessions_for_guild(self, guild_id: int | None) -> list[GatewaySession]:
        """Sessions receiving events of ``guild_id`` (None = DMs, which go to shard 0)."""
        routes = self._routes
        if routes is None:
            routes = self._routes = {}
        key = guild_id or 0
        found = routes.get(key)
        if found is None:
            found = []
            for s in self._live_sessions():
                if (guild_id is None and s.shard_id == 0) or (
                    guild_id is not None and shard_of(guild_id, s.shard_count) == s.shard_id
                ):
                    found.append(s)
            routes[key] = found
        return found

    def ready_guild_ids(self) -> set[int]:
        """Guilds whose GUILD_CREATE has been sent on a live, ready session."""
        covered: set[int] = set()
        for s in self._live_sessions():
            if s.delivered:
                covered.update(s.guild_ids)
        return covered

    def is_ready(self) -> bool:
        """Whether every guild has been delivered to a ready session (and at least one session is ready)."""
        live = [s for s in self._live_sessions() if s.delivered]
        return bool(live) and self.ready_guild_ids() >= set(self.state.guilds)

    # ---- dispatching --------------------------------------------------------------------------------
    async def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None, strip_content: bool = False
    ) -> int:
        """Send ``event`` to the sessions owning ``guild_id`` (None = a DM event).

        ``strip_content`` marks a message whose content Discord hides from clients without the
        MESSAGE_CONTENT intent. Returns the number of sessions that received it.
        """
        sessions = self.sessions_for_guild(guild_id)
        if not sessions:
            return 0
        name = event.encode()
        dm = guild_id is None
        full: bytes | None = None
        stripped: bytes | None = None
        sent = 0
        for s in sessions:
            if not s.wants(event, dm):
                continue
            if s.connection is None and self._expired(s):
                self._routes = None  # pruned at the next lookup
                continue
            if strip_content and not s.has_content:
                if stripped is None:
                    stripped = orjson.dumps({**data, **CONTENT_FIELDS})
                body = stripped
            else:
                if full is None:
                    full = orjson.dumps(data)
                body = full
            f = s.next_frame(name, body)
            sent += 1
            if s.connection is not None and s.ready:
                await s.connection.send(f)
        return sent

    def prepare_frames(
        self, event: str, items: Iterable[tuple[int, dict[str, Any], bool]]
    ) -> dict[GatewaySession, list[bytes]]:
        """Pre-serialise many dispatches: ``items`` are ``(guild_id, data, strip_content)``.

        Returns the frames per session, numbered and kept for RESUME, ready for :meth:`send_prepared`.
        """
        name = event.encode()
        out: dict[GatewaySession, list[bytes]] = {}
        dumps = orjson.dumps
        for guild_id, data, strip in items:
            body_full: bytes | None = None
            for s in self.sessions_for_guild(guild_id):
                if not s.wants(event, False):
                    continue
                if strip and not s.has_content:
                    body = dumps({**data, **CONTENT_FIELDS})
                else:
                    if body_full is None:
                        body_full = dumps(data)
                    body = body_full
                out.setdefault(s, []).append(s.next_frame(name, body))
        return out

    def reserve_prepared(
        self, frames: dict[GatewaySession, list[bytes]]
    ) -> list[tuple[GatewayConnection, list[bytes], bool]]:
        """Compress frames from :meth:`prepare_frames` up front (where the connection's queue allows).

        Returns plans for :meth:`send_reserved`: ``(connection, chunks, reserved)``.
        """
        plans = []
        for s, fs in frames.items():
            conn = s.connection
            if conn is None or not s.ready:
                continue
            chunks = conn.reserve(fs)
            plans.append((conn, fs, False) if chunks is None else (conn, chunks, True))
        return plans

    async def send_reserved(self, plans: list[tuple[GatewayConnection, list[bytes], bool]]) -> None:
        """Write the plans from :meth:`reserve_prepared` back to back."""
        await asyncio.gather(
            *(conn.send_reserved(chunks) if reserved else conn.send_many(chunks) for conn, chunks, reserved in plans)
        )

    # ---- control ------------------------------------------------------------------------------------
    async def drop(self, shard_id: int, *, resumable: bool) -> None:
        """Cut the socket of ``shard_id``'s session(s): resumable (close 4000) or INVALID_SESSION.

        The session stops receiving at once; the close itself completes in the background, so events
        dispatched right after this returns are missed by the client and replayed on RESUME.
        """
        targets = [s for s in self._live_sessions() if s.shard_id == shard_id and s.connection is not None]
        if not targets:
            raise LookupError(f"no connected session for shard {shard_id}")
        for s in targets:
            conn = s.connection
            assert conn is not None
            s.connection = None
            s.disconnected_at = time.monotonic()
            if resumable:
                closing = conn.close(4000, "sandbox: connection dropped")
            else:
                self._invalidate(s)
                await conn.send(op_frame(INVALID_SESSION, False))
                closing = conn.close(4009, "sandbox: session invalidated")
            task = asyncio.ensure_future(closing)
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        self.changed.notify()

    def _invalidate(self, s: GatewaySession) -> None:
        s.invalidated = True
        s.ready = s.delivered = False
        self.sessions.pop(s.session_id, None)
        self._routes = None

    async def close_all(self) -> None:
        """Close every socket (server shutdown)."""
        await asyncio.gather(*(conn.close(1001, "sandbox stopping") for conn in list(self.connections)))

    # ---- the WebSocket handler ----------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /gateway``: a gateway WebSocket."""
        ws = web.WebSocketResponse(compress=False, max_msg_size=0, autoping=True)
        await ws.prepare(request)
        if not self.accepting:
            await ws.close(code=1001, message=b"sandbox stopping")
            return ws
        if request.query.get("encoding", "json") != "json":
            await ws.close(code=4002, message=b"sandbox speaks encoding=json only")
            return ws
        compress = request.query.get("compress")
        if compress == "zstd-stream" and zstandard is None:
            compress = None  # text frames: discord.py reads those too
        conn = GatewayConnection(ws, compress)
        self.connections.add(conn)
        session: GatewaySession | None = None
        try:
            await conn.send(op_frame(HELLO, {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["sandbox"]}))
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                try:
                    payload = orjson.loads(msg.data)
                    op = payload["op"]
                    data = payload.get("d")
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    await conn.close(4002, "Error while decoding payload.")
                    break
                if op == HEARTBEAT:
                    await conn.send(op_frame(HEARTBEAT_ACK, None))
                elif op == IDENTIFY:
                    if session is not None:
                        await conn.close(4005, "Already authenticated.")
                        break
                    session = await self._identify(conn, data)
                elif op == RESUME:
                    if session is not None:
                        await conn.close(4005, "Already authenticated.")
                        break
                    session = await self._resume(conn, data)
                elif session is None and op in (PRESENCE, VOICE_STATE, REQUEST_MEMBERS):
                    await conn.close(4003, "Not authenticated.")
                    break
                elif op == REQUEST_MEMBERS:
                    assert session is not None
                    await self._request_members(session, data)
                elif op in (PRESENCE, VOICE_STATE):
                    pass  # accepted; the sandbox has no presences and no voice servers
                else:
                    await conn.close(4001, "Unknown opcode.")
                    break
                if conn.closed:
                    break
        finally:
            self.connections.discard(conn)
            conn.closed = True
            if session is not None and session.connection is conn:
                session.connection = None
                session.disconnected_at = time.monotonic()
                if ws.close_code in (1000, 1001):
                    # A clean close by the client ends the session, as on Discord.
                    self._invalidate(session)
                self.changed.notify()
        return ws

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> GatewaySession | None:
        if not isinstance(data, dict) or data.get("token") != self.token:
            await conn.close(4004, "Authentication failed.")
            return None
        if "intents" not in data:
            await conn.close(4013, "Invalid intent(s).")
            return None
        shard_id, shard_count = data.get("shard") or [0, 1]
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await conn.close(4010, "Invalid shard.")
            return None
        guild_ids = [g for g in self.state.guilds if shard_of(g, shard_count) == shard_id]
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            shard_id=shard_id,
            shard_count=shard_count,
            intents=int(data["intents"]),
            large_threshold=int(data.get("large_threshold", 50)),
            guild_ids=guild_ids,
            connection=conn,
        )
        self.identify_count += 1
        self.sessions[session.session_id] = session
        self._routes = None
        # READY and the GUILD_CREATEs are numbered now, so any dispatch made while they are being
        # written is numbered (and queued) after them.
        frames = [
            session.next_frame(
                b"READY",
                orjson.dumps(
                    payloads.ready(
                        self.state,
                        session_id=session.session_id,
                        resume_gateway_url=self._gateway_url(),
                        shard=[shard_id, shard_count],
                        guild_ids=guild_ids,
                    )
                ),
            )
        ]
        members_intent = bool(session.intents & GUILD_MEMBERS)
        for gid in guild_ids:
            body = payloads.guild_create(
                self.state,
                self.state.guilds[gid],
                members_intent=members_intent,
                large_threshold=session.large_threshold,
            )
            frames.append(session.next_frame(b"GUILD_CREATE", orjson.dumps(body)))
        session.ready = True  # later dispatches now go to this connection, queued behind these frames
        await conn.send_many(frames)
        session.delivered = True
        self.changed.notify()
        return session

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> GatewaySession | None:
        if not isinstance(data, dict) or data.get("token") != self.token:
            await conn.close(4004, "Authentication failed.")
            return None
        self._live_sessions()  # expire old sessions
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        oldest = session.buffer[0][0] if session and session.buffer else 1
        if session is None or session.invalidated or (session.buffer and seq + 1 < oldest):
            await conn.send(op_frame(INVALID_SESSION, False))
            return None
        old = session.connection
        if old is not None and old is not conn:
            await old.close(4000, "Session resumed elsewhere.")
        missed = [f for s, f in session.buffer if s > seq]
        session.connection = conn
        session.disconnected_at = None
        session.ready = session.delivered = True
        self.last_replayed = len(missed)
        missed.append(session.next_frame(b"RESUMED", b'{"_trace":["sandbox"]}'))
        await conn.send_many(missed)
        self.changed.notify()
        return session

    async def _request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        """Op 8: answer with GUILD_MEMBERS_CHUNKs (query prefix match, user_ids, or everyone)."""
        raw = data.get("guild_id")
        guild_ids = raw if isinstance(raw, list) else [raw]
        for gid in guild_ids:
            guild = self.state.guilds.get(int(gid)) if gid is not None and str(gid).isdigit() else None
            if guild is None:
                continue
            query = data.get("query")
            limit = int(data.get("limit") or 0)
            user_ids = data.get("user_ids")
            not_found: list[str] = []
            if user_ids is not None:
                ids = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
                members = [guild.members[u] for u in ids if u in guild.members]
                not_found = [str(u) for u in ids if u not in guild.members]
            else:
                members = list(guild.members.values())
                if query:
                    q = query.lower()
                    members = [
                        m
                        for m in members
                        if self.state.users[m.user_id].username.lower().startswith(q)
                        or (m.nick or "").lower().startswith(q)
                    ]
                if limit:
                    members = members[:limit]
            chunks = [members[i : i + MEMBER_CHUNK_SIZE] for i in range(0, len(members), MEMBER_CHUNK_SIZE)] or [[]]
            for index, chunk in enumerate(chunks):
                body: dict[str, Any] = {
                    "guild_id": str(guild.id),
                    "members": [payloads.member(self.state, m) for m in chunk],
                    "chunk_index": index,
                    "chunk_count": len(chunks),
                }
                if not_found and index == 0:
                    body["not_found"] = not_found
                if data.get("presences"):
                    body["presences"] = []
                if data.get("nonce") is not None:
                    body["nonce"] = data["nonce"]
                f = session.next_frame(b"GUILD_MEMBERS_CHUNK", orjson.dumps(body))
                if session.connection is not None:
                    await session.connection.send(f)
