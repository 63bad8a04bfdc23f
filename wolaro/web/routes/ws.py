"""`/ws`: the dashboard's live updates (protocol in `wolaro/web/hub.py`).

Authenticated by the session cookie (the same JWT as the REST API); a handshake without a valid session, or from
another site's page (`Origin`), is refused before it is accepted (HTTP 403). The browser then sends:

    {"type": "join", "guild_id": "1"}    enter a guild's room (same permission check as the REST API)
    {"type": "leave", "guild_id": "1"}
    {"type": "ping"}                     -> {"type": "pong"}

or opens `/ws?guild_id=1` to join at once. The socket closes with 4401 when the session ends or expires, and at
once with 4429 (after an error message) when the user already has the most sockets allowed open.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from wolaro.core.snowflake import is_snowflake
from wolaro.logging import get_logger
from wolaro.web.access import AccessDenied, DiscordUnavailable, NotAuthenticated
from wolaro.web.deps import authenticate, get_web
from wolaro.web.hub import CLOSE_FORBIDDEN, CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED, Connection, Hub
from wolaro.web.security import origin_allowed, origin_of

log = get_logger(__name__)
router = APIRouter(tags=["websocket"])
MAX_MESSAGE = 4096


@router.websocket("/ws")
async def websocket(websocket: WebSocket) -> None:
    """Live updates of the guilds the user opens (see the module docstring for the protocol)."""
    web = await get_web(websocket)
    own = origin_of(str(websocket.base_url).replace("ws", "http", 1))
    if not origin_allowed(websocket.headers.get("origin"), own=own, settings=web.settings):
        await websocket.close(CLOSE_FORBIDDEN)
        return
    user = await authenticate(websocket, web)
    if user is None:
        await websocket.close(CLOSE_UNAUTHORIZED)
        return
    await websocket.accept()
    hub = web.hub
    connection = Connection(websocket, user)
    if not hub.register(connection):
        message = {"type": "error", "code": "too_many_connections", "message": "Too many dashboard tabs are open"}
        await websocket.send_text(orjson.dumps(message).decode())
        await websocket.close(CLOSE_TOO_MANY)
        return
    writer = asyncio.create_task(connection.writer())
    try:
        connection.send_json(
            {
                "type": "hello",
                "user": {"id": str(user.id), "username": user.username, "global_name": user.global_name},
                "session_expires_at": user.expires_at,
            }
        )
        initial = websocket.query_params.get("guild_id")
        if initial:
            await _join(hub, connection, initial)
        await _read(hub, connection, websocket, deadline=user.expires_at)
    finally:
        hub.unregister(connection)
        connection.close(1000)
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(writer, timeout=2.0)
        writer.cancel()


async def _read(hub: Hub, connection: Connection, websocket: WebSocket, *, deadline: int) -> None:
    while connection.close_code is None:
        remaining = deadline - time.time()
        if remaining <= 0:
            connection.close(CLOSE_UNAUTHORIZED)  # session expired
            return
        try:
            async with asyncio.timeout(min(remaining, 60.0)):
                message = await websocket.receive()
        except TimeoutError:
            continue
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
        await _handle(hub, connection, text)


async def _handle(hub: Hub, connection: Connection, text: str) -> None:
    if len(text) > MAX_MESSAGE:
        connection.send_json({"type": "error", "code": "bad_request", "message": "message too large"})
        return
    try:
        message: Any = orjson.loads(text)
        kind = message["type"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        connection.send_json({"type": "error", "code": "bad_request", "message": 'expected {"type": ...}'})
        return
    if kind == "ping":
        connection.send_json({"type": "pong"})
    elif kind == "join":
        await _join(hub, connection, message.get("guild_id"))
    elif kind == "leave":
        guild_id = _guild_id(message.get("guild_id"))
        if guild_id is not None:
            hub.leave(connection, guild_id)
            connection.send_json({"type": "left", "guild_id": str(guild_id)})
    else:
        connection.send_json({"type": "error", "code": "bad_request", "message": f"unknown type {kind!r}"})


def _guild_id(raw: Any) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if is_snowflake(value) else None


async def _join(hub: Hub, connection: Connection, raw: Any) -> None:
    guild_id = _guild_id(raw)
    if guild_id is None:
        connection.send_json({"type": "error", "code": "bad_request", "message": "guild_id must be an id"})
        return
    try:
        await hub.join(connection, guild_id)
    except AccessDenied:
        connection.send_json(
            {
                "type": "error",
                "code": "forbidden",
                "guild_id": str(guild_id),
                "message": "You cannot manage this server",
            }
        )
        return
    except NotAuthenticated:
        connection.close(CLOSE_UNAUTHORIZED)
        return
    except DiscordUnavailable:
        connection.send_json(
            {"type": "error", "code": "unavailable", "guild_id": str(guild_id), "message": "Discord is unavailable"}
        )
        return
    except OverflowError:
        connection.send_json({"type": "error", "code": "too_many_rooms", "message": "leave a guild first"})
        return
    connection.send_json({"type": "joined", "guild_id": str(guild_id)})
