"""A TCP proxy a test can cut and heal: one process's link to a server (Redis, PostgreSQL) fails, the others' not.

It runs in the test's event loop. `cut()` closes every forwarded connection and refuses new ones (what a client
sees when a host is unreachable and the connection is reset); `heal()` forwards again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TcpProxy:
    """Forward 127.0.0.1:`port` to `target_host`:`target_port` until cut."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = _free_port()
        self.cut_now = False
        self.connections_refused = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def url(self, scheme: str = "redis", path: str = "/0") -> str:
        """The proxied address as a URL for the client under test."""
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def start(self) -> TcpProxy:
        """Listen (once; cut/heal keep the listener)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        return self

    async def close(self) -> None:
        """Stop listening and close every connection."""
        self.cut()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    def cut(self) -> None:
        """Drop every forwarded connection now and refuse new ones until `heal()`."""
        self.cut_now = True
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    def heal(self) -> None:
        """Forward new connections again."""
        self.cut_now = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_now:
            self.connections_refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)
        for side in (writer, up_writer):
            self._writers.discard(side)
            side.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while not self.cut_now:
                data = await reader.read(65536)
                if not data or self.cut_now:
                    break
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()
