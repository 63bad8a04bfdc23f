"""`BodyLimitMiddleware`: refuse a request body over a size with 413, before the app parses any of it.

A pure ASGI middleware (no `BaseHTTPMiddleware`: it would buffer the body first). It refuses a too-large declared
`Content-Length` without passing it to the app, and counts the bytes of bodies sent without one (chunked,
streamed): past the limit the app sees no more of it and the answer is 413, whatever the app was doing with the
body. The rest of the body is read and dropped (bounded) before the answer, so a client still sending sees the 413
rather than a connection reset.
"""

from __future__ import annotations

import asyncio
from typing import Final

import orjson
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wolaro.web.language import DEFAULT, choose

#: Largest request body the API accepts. Every module config is bounded far below this (its lists and strings have
#: maximum lengths), so only abuse reaches it.
MAX_BODY_BYTES: Final = 512 * 1024
#: Before a 413 the rest of the body is read and dropped, up to this much and this long (like nginx's lingering
#: close): a client still sending would otherwise get a connection reset instead of the answer.
LINGER_BYTES: Final = 64 * 1024 * 1024
LINGER_SECONDS: Final = 10.0


class BodyTooLarge(Exception):
    """Raised from `receive` once the body passes the limit (the app's own handling of it is then replaced)."""


def too_large_body(limit: int, scope: Scope | None = None) -> bytes:
    """The 413 JSON body, in FastAPI's `{"detail": ...}` shape, in the request's language (like other API errors)."""
    language, translator = DEFAULT, None
    if scope is not None:
        connection = HTTPConnection(scope)
        language = choose(connection.cookies, connection.headers, connection.query_params.get("language"))
        web = getattr(getattr(scope.get("app"), "state", None), "web", None)
        translator = web.services.translator if web is not None else None
    size = limit // 1024
    if translator is None:
        return orjson.dumps({"detail": f"What you sent is too large: at most {size} KB."})
    detail = translator.translate(language, "What you sent is too large: at most {size} KB.", size=size)
    return orjson.dumps({"detail": str(detail)})


class BodyLimitMiddleware:
    """413 for HTTP requests whose body is larger than `max_bytes` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared, chunked = _framing(scope)
        if declared is None and not chunked and scope.get("http_version") in ("1.0", "1.1"):
            await self.app(scope, receive, send)  # HTTP/1 without Content-Length or chunks: no body at all
            return
        if declared is not None and declared > self.max_bytes:
            await _drain(receive)
            await self._refuse(send, scope)
            return
        received = 0
        exceeded = False
        started = False  # a response (ours or the app's) has begun
        refused = False  # ours has

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    if message.get("more_body", False):
                        await _drain(receive)
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, refused
            if refused:
                return  # the app's answer to the exception it saw: ours was sent instead
            if exceeded and not started and message["type"] == "http.response.start":
                refused = started = True
                await self._refuse(send, scope)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, scope)

    async def _refuse(self, send: Send, scope: Scope) -> None:
        body = too_large_body(self.max_bytes, scope)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    """Read and drop what is left of the request body, within `LINGER_BYTES` and `LINGER_SECONDS`."""
    dropped = 0
    try:
        async with asyncio.timeout(LINGER_SECONDS):
            while dropped < LINGER_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                dropped += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        return


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length (None when absent or unreadable) and whether a Transfer-Encoding is given."""
    length: int | None = None
    chunked = False
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                length = None
                chunked = True  # unreadable: count what comes rather than take it for no body
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked
