"""The gateway: WebSocket sessions with HELLO/heartbeats/IDENTIFY/RESUME, zlib-stream, sharding and intents.

A *session* (what IDENTIFY creates and RESUME continues) outlives its *connection*: while the socket is
down, dispatches for its shard are numbered and kept, and a RESUME replays the ones the client missed.
Every frame is serialised once with orjson and written through one ordered per-connection queue, which
also keeps a zlib-stream compressor's output in send order.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from wolaro.sandbox import payloads
from wolaro.sandbox.gateway_protocol import (  # noqa: F401 - re-exported: the protocol's names stay importable from here
    CONTENT_FIELDS,
    DIRECT_MESSAGE_REACTIONS,
    DIRECT_MESSAGE_TYPING,
    DIRECT_MESSAGES,
    DISPATCH,
    EVENT_INTENTS,
    GUILD_MEMBERS,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGE_TYPING,
    GUILD_MESSAGES,
    GUILD_MODERATION,
    GUILD_PRESENCES,
    GUILD_VOICE_STATES,
    GUILDS,
    HEARTBEAT,
    HEARTBEAT_ACK,
    HELLO,
    IDENTIFY,
    INVALID_SESSION,
    MEMBER_CHUNK_SIZE,
    MESSAGE_CONTENT,
    PRESENCE,
    RECONNECT,
    REPLAY_BUFFER,
    REQUEST_MEMBERS,
    RESUME,
    RESUME_WINDOW_S,
    VOICE_STATE,
    GatewayConnection,
    GatewaySession,
    frame,
    op_frame,
    shard_of,
    zstandard,
)
from wolaro.sandbox.identify_rules import IdentifyRules
from wolaro.sandbox.notify import Notifier
from wolaro.sandbox.presences import presence
from wolaro.sandbox.state import SandboxState

#: Close codes after which Discord refuses a RESUME (the client must start a new session).
SESSION_ENDING_CLOSES = frozenset({4007, 4009})
#: The only events the bot gets about a guild it was removed from: leaving it, and being added back.
GUILD_MEMBERSHIP_EVENTS = frozenset({"GUILD_DELETE", "GUILD_CREATE"})


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
        #: One IDENTIFY per 5 s per bucket and the session-start budget: breaches counted, refused if enforced.
        self.identify_rules = IdentifyRules()
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
        present = {g for g, guild in self.state.guilds.items() if not guild.bot_removed}
        return bool(live) and self.ready_guild_ids() >= present

    # ---- dispatching --------------------------------------------------------------------------------
    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        strip_content: bool = False,
        only: int | None = None,
    ) -> int:
        """Send ``event`` to the sessions owning ``guild_id`` (None = a DM event).

        ``strip_content`` marks a message whose content Discord hides from clients without the
        MESSAGE_CONTENT intent. ``only`` picks one of those sessions (the ``only``-th in the order they
        identified, modulo their number), as when several bot processes share a shard and Discord hands an
        interaction to one of them. Returns the number of sessions that received it.
        """
        sessions = self.sessions_for_guild(guild_id)
        if guild_id is not None and event not in GUILD_MEMBERSHIP_EVENTS:
            guild = self.state.guilds.get(guild_id)
            if guild is not None and guild.bot_removed:  # Discord tells the bot nothing of a guild it is not in
                return 0
        if only is not None and sessions:
            sessions = [sessions[only % len(sessions)]]
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
    async def drop(self, shard_id: int, *, resumable: bool, code: int | None = None) -> None:
        """Cut the socket of ``shard_id``'s session(s): resumable (close 4000) or INVALID_SESSION.

        With ``code``, the socket is closed with that code alone, as Discord does: a code in
        ``SESSION_ENDING_CLOSES`` (4007 invalid seq, 4009 session timed out) ends the session, so the client's
        RESUME gets INVALID_SESSION and it must IDENTIFY again; any other (4000, 1001...) keeps it resumable.
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
            if code is not None:
                if code in SESSION_ENDING_CLOSES:
                    self._invalidate(s)
                closing = conn.close(code, "sandbox: connection closed")
            elif resumable:
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
                session = await self._on_frame(conn, session, op, data)
                if conn.closed:
                    break
        finally:
            self._connection_ended(conn, session, ws.close_code)
        return ws

    async def _on_frame(
        self, conn: GatewayConnection, session: GatewaySession | None, op: int, data: Any
    ) -> GatewaySession | None:
        """Answer one client frame; returns the connection's session (set by IDENTIFY or RESUME).

        A protocol error closes ``conn`` with Discord's close code.
        """
        if op == HEARTBEAT:
            await conn.send(op_frame(HEARTBEAT_ACK, None))
        elif op in (IDENTIFY, RESUME):
            if session is not None:
                await conn.close(4005, "Already authenticated.")
                return session
            return await (self._identify(conn, data) if op == IDENTIFY else self._resume(conn, data))
        elif session is None and op in (PRESENCE, VOICE_STATE, REQUEST_MEMBERS):
            await conn.close(4003, "Not authenticated.")
        elif op == REQUEST_MEMBERS:
            assert session is not None
            await self._request_members(session, data)
        elif op in (PRESENCE, VOICE_STATE):
            pass  # accepted; the sandbox has no presences and no voice servers
        else:
            await conn.close(4001, "Unknown opcode.")
        return session

    def _connection_ended(
        self, conn: GatewayConnection, session: GatewaySession | None, close_code: int | None
    ) -> None:
        """The socket is gone: its session (if any) waits for a RESUME, or ends on a clean client close."""
        self.connections.discard(conn)
        conn.closed = True
        if session is not None and session.connection is conn:
            session.connection = None
            session.disconnected_at = time.monotonic()
            if close_code in (1000, 1001):
                # A clean close by the client ends the session, as on Discord.
                self._invalidate(session)
            self.changed.notify()

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
        if self.identify_rules.admit(shard_id) is not None:
            await conn.send(op_frame(INVALID_SESSION, False))  # Discord's answer to an identify over its limits
            return None
        guild_ids = [  # a guild the bot was removed from is not the bot's any more (``remove_bot``)
            g
            for g, guild in self.state.guilds.items()
            if shard_of(g, shard_count) == shard_id and not guild.bot_removed
        ]
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
        frames = self._ready_frames(session)
        session.ready = True  # later dispatches now go to this connection, queued behind these frames
        await conn.send_many(frames)
        session.delivered = True
        self.changed.notify()
        return session

    def _ready_frames(self, session: GatewaySession) -> list[bytes]:
        """READY and one GUILD_CREATE per guild of the session's shard, numbered in the session's sequence."""
        shard = [session.shard_id, session.shard_count]
        ready = payloads.ready(
            self.state,
            session_id=session.session_id,
            resume_gateway_url=self._gateway_url(),
            shard=shard,
            guild_ids=session.guild_ids,
        )
        frames = [session.next_frame(b"READY", orjson.dumps(ready))]
        members_intent = bool(session.intents & GUILD_MEMBERS)
        presences_intent = bool(session.intents & GUILD_PRESENCES)
        for gid in session.guild_ids:
            body = payloads.guild_create(
                self.state,
                self.state.guilds[gid],
                members_intent=members_intent,
                large_threshold=session.large_threshold,
                presences_intent=presences_intent,
            )
            frames.append(session.next_frame(b"GUILD_CREATE", orjson.dumps(body)))
        return frames

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
                if data.get("presences"):  # the chunk's members who are not offline
                    online = guild.presences
                    body["presences"] = [
                        presence(guild, m.user_id, with_guild=False) for m in chunk if m.user_id in online
                    ]
                if data.get("nonce") is not None:
                    body["nonce"] = data["nonce"]
                f = session.next_frame(b"GUILD_MEMBERS_CHUNK", orjson.dumps(body))
                if session.connection is not None:
                    await session.connection.send(f)
