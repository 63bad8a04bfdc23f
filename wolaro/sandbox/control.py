"""HTTP control API under ``/_sandbox`` for out-of-process drivers (browser tests, the CLI).

- ``POST /_sandbox/messages {channel_id, author_id, content, attachments?}`` -> the message
- ``POST /_sandbox/interactions {guild_id, channel_id, user_id, name, options?, subcommand?}`` -> ``{id, token}``
- ``GET /_sandbox/interactions/{id}/response?timeout=5`` -> the bot's answer
- ``POST /_sandbox/members/{guild} {username?, bot?, created_at?}`` -> joins a new member
- ``POST /_sandbox/members/{guild}/{user} {roles?, nick?}`` -> updates roles/nick
- ``DELETE /_sandbox/members/{guild}/{user}`` -> the member leaves
- ``GET /_sandbox/state`` -> guilds summary (+ ``ready``)
- ``GET /_sandbox/bot-messages?channel_id=&after=`` -> messages the bot posted (``after`` = message id)
- ``GET /_sandbox/rest-log?after=N`` -> REST calls from index N
No authentication: bind the sandbox to localhost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from wolaro.sandbox.errors import DiscordHTTPError, SandboxError
from wolaro.sandbox.rest import SANDBOX_KEY

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

ControlHandler = Callable[["Sandbox", web.Request, dict[str, Any]], Awaitable[Any]]


def _json(status: int, body: Any) -> web.Response:
    headers = {"Content-Type": "application/json"}
    return web.Response(status=status, body=orjson.dumps(body, default=str), headers=headers)


def _wrap(handler: ControlHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        sb: Sandbox = request.app[SANDBOX_KEY]
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else {}
            return _json(200, await handler(sb, request, body))
        except (SandboxError, KeyError, ValueError, TypeError, orjson.JSONDecodeError) as exc:
            return _json(400, {"error": str(exc) or repr(exc)})
        except DiscordHTTPError as exc:
            return _json(exc.status, exc.body())
        except TimeoutError as exc:
            return _json(504, {"error": str(exc)})

    return endpoint


async def post_message(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """A user posts a message."""
    return await sb.send_message(
        int(body["channel_id"]),
        int(body["author_id"]),
        str(body["content"]),
        attachments=int(body.get("attachments", 0)),
    )


async def post_interaction(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """A user runs a slash command."""
    guild_id = body.get("guild_id")
    record = await sb.invoke_slash(
        int(guild_id) if guild_id is not None else None,
        int(body["channel_id"]),
        int(body["user_id"]),
        str(body["name"]),
        body.get("options"),
        subcommand=body.get("subcommand"),
    )
    return {"id": str(record.id), "token": record.token}


async def get_interaction_response(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """Wait for the bot's answer to an interaction."""
    timeout = float(request.query.get("timeout", 5))
    return await sb.wait_for_interaction_response(int(request.match_info["interaction_id"]), timeout)


async def post_member_join(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """A user joins."""
    created = body.get("created_at")
    return await sb.member_join(
        int(request.match_info["guild_id"]),
        username=body.get("username"),
        bot=bool(body.get("bot", False)),
        created_at=dt.datetime.fromisoformat(created) if created else None,
    )


async def post_member_update(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """An admin changes a member's roles or nickname."""
    kwargs: dict[str, Any] = {}
    if "roles" in body:
        kwargs["roles"] = [int(r) for r in body["roles"]]
    if "nick" in body:
        kwargs["nick"] = body["nick"]
    return await sb.member_update(int(request.match_info["guild_id"]), int(request.match_info["user_id"]), **kwargs)


async def delete_member(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """A member leaves."""
    await sb.member_remove(int(request.match_info["guild_id"]), int(request.match_info["user_id"]))
    return {"ok": True}


async def get_state(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """The world summary."""
    return {**sb.state.summary(), "ready": sb.gateway.is_ready(), "api_base": sb.api_base}


async def get_bot_messages(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """Messages the bot posted, optionally in one channel and after a message id."""
    channel = request.query.get("channel_id")
    after = int(request.query.get("after") or 0)
    out = []
    seen: set[int] = set()
    for o in sb.outputs:
        if channel and o.channel_id != int(channel):
            continue
        if int(o.message["id"]) <= after or id(o.message) in seen:
            continue
        seen.add(id(o.message))
        out.append({**o.message, "ephemeral": o.ephemeral, "kind": o.kind})
    return out


async def get_rest_log(sb: Sandbox, request: web.Request, body: dict[str, Any]) -> Any:
    """REST calls the bot made, from index ``after``."""
    start = int(request.query.get("after") or 0)
    return [
        {"index": start + i, "method": c.method, "path": c.path, "json": c.json, "status": c.status, "reason": c.reason}
        for i, c in enumerate(sb.rest_log[start:])
    ]


def add_control_routes(app: web.Application) -> None:
    """Register the ``/_sandbox`` routes."""
    r = app.router
    r.add_post("/_sandbox/messages", _wrap(post_message))
    r.add_post("/_sandbox/interactions", _wrap(post_interaction))
    r.add_get("/_sandbox/interactions/{interaction_id}/response", _wrap(get_interaction_response))
    r.add_post("/_sandbox/members/{guild_id}", _wrap(post_member_join))
    r.add_post("/_sandbox/members/{guild_id}/{user_id}", _wrap(post_member_update))
    r.add_delete("/_sandbox/members/{guild_id}/{user_id}", _wrap(delete_member))
    r.add_get("/_sandbox/state", _wrap(get_state))
    r.add_get("/_sandbox/bot-messages", _wrap(get_bot_messages))
    r.add_get("/_sandbox/rest-log", _wrap(get_rest_log))
