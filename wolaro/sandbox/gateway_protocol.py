"""The gateway's wire protocol: opcodes, intents, frames, and one connection's and one session's bookkeeping.

A *connection* is one WebSocket with its ordered (optionally compressed) outgoing queue; a *session* is what
IDENTIFY creates and RESUME continues, numbering dispatches and keeping them for a replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import WSMsgType, web

try:  # discord.py asks for zstd-stream when `zstandard` is importable on its side.
    import zstandard
except ImportError:  # pragma: no cover - depends on the environment
    zstandard = None


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
    "PRESENCE_UPDATE": (GUILD_PRESENCES, 0),
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
