"""REST plumbing (auth, bodies, Discord error JSON, the request log) and the small routes.

Route modules declare ``ROUTES = [(method, path, handler, needs_auth)]``; handlers take a :class:`Call`
and return JSON-able data (200), ``None`` (204), or raise :class:`DiscordHTTPError`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import BodyPartReader, web
from multidict import MultiMapping

from wolaro.sandbox import payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.errors import DiscordHTTPError, missing_access, missing_permissions, unknown
from wolaro.sandbox.state import Channel, Guild

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox

log = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json"}
#: Where the app keeps its Sandbox.
SANDBOX_KEY: web.AppKey[Sandbox] = web.AppKey("sandbox")
PREFIX = "/api/v{version:\\d+}"


@dataclass(slots=True)
class Upload:
    """A file sent in a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass(slots=True)
class Call:
    """One REST request as handlers see it."""

    sb: Sandbox
    request: web.Request
    params: dict[str, str]
    body: Any
    files: list[Upload] = field(default_factory=list)

    @property
    def query(self) -> MultiMapping[str]:
        """The query string."""
        return self.request.query

    @property
    def reason(self) -> str | None:
        """The decoded ``X-Audit-Log-Reason``."""
        from urllib.parse import unquote

        raw = self.request.headers.get("X-Audit-Log-Reason")
        return unquote(raw) if raw is not None else None

    def snowflake(self, name: str, kind: str) -> int:
        """Path parameter ``name`` as an id; a malformed one is a 404 Unknown ``kind``."""
        raw = self.params[name]
        if not raw.isdigit():
            raise unknown(kind)
        return int(raw)

    def json(self) -> dict[str, Any]:
        """The JSON object body (``{}`` when empty)."""
        body = self.body
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise DiscordHTTPError(400, 50109, "The request body contains invalid JSON.")
        return body

    # ---- lookups shared by the route modules ----
    def guild(self, name: str = "guild_id") -> Guild:
        """The guild in path parameter ``name``."""
        return self.sb.state.guild(self.snowflake(name, "Guild"))

    def channel(self, name: str = "channel_id") -> Channel:
        """The channel in path parameter ``name``."""
        return self.sb.state.channel(self.snowflake(name, "Channel"))


Handler = Callable[[Call], Awaitable[Any]]


def require(sb: Sandbox, guild: Guild, bits: int, channel: Channel | None = None) -> None:
    """Raise 403 Missing Permissions unless the bot has all ``bits`` (in ``channel`` if given)."""
    bot = sb.state.bot_member(guild)
    have = perm.channel_permissions(guild, channel, bot) if channel is not None else perm.base_permissions(guild, bot)
    if have & bits != bits:
        raise missing_permissions()


def require_view(sb: Sandbox, channel: Channel) -> Guild | None:
    """Raise 403 Missing Access unless the bot can see ``channel``; return its guild (None for DMs)."""
    if channel.guild_id is None:
        if sb.state.bot_user_id not in (*channel.recipients, sb.state.bot_user_id):
            raise missing_access()
        return None
    guild = sb.state.guild(channel.guild_id)
    if not perm.channel_permissions(guild, channel, sb.state.bot_member(guild)) & perm.VIEW_CHANNEL:
        raise missing_access()
    return guild


def refuse_removed(sb: Sandbox, path: str, params: dict[str, str]) -> None:
    """Refuse a call about a guild the bot was removed from, as Discord does for a guild the bot is not in.

    The guild's routes: 404 Unknown Guild (10004); its channels (messages, threads, permissions...) and its
    application commands: 403 Missing Access (50001).
    """
    raw = params.get("guild_id", "")
    guild = sb.state.guilds.get(int(raw)) if raw.isdigit() else None
    if guild is not None and guild.bot_removed:
        raise missing_access() if path.startswith("/applications/") else unknown("Guild")
    raw = params.get("channel_id", "")
    channel = sb.state.channels.get(int(raw)) if raw.isdigit() else None
    if channel is not None and channel.guild_id is not None:
        owner = sb.state.guilds.get(channel.guild_id)
        if owner is not None and owner.bot_removed:
            raise missing_access()


def respond(status: int, body: Any) -> web.Response:
    """A JSON response with the exact ``application/json`` content type discord.py expects."""
    if status == 204:
        return web.Response(status=204)
    return web.Response(status=status, body=orjson.dumps(body), headers=JSON_HEADERS)


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    ctype = request.content_type
    if ctype.startswith("multipart/"):
        body: Any = None
        files: list[Upload] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=False)
            if part.name == "payload_json":
                body = orjson.loads(bytes(data))
            elif part.filename is not None:
                files.append(Upload(part.name or "", part.filename, bytes(data), part.headers.get("Content-Type")))
        return body, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return orjson.loads(raw), []
    except orjson.JSONDecodeError:
        raise DiscordHTTPError(400, 50109, "The request body contains invalid JSON.") from None


def _wrap(handler: Handler, needs_auth: bool) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        from wolaro.sandbox.records import RestCall

        sb: Sandbox = request.app[SANDBOX_KEY]
        path = request.path.split("/", 3)[3] if request.path.count("/") >= 3 else request.path
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        call_log = RestCall(
            method=request.method, path="/" + path, query=dict(request.query), json=None, headers=headers
        )
        refusal = sb.rest_limits.admit(call_log.path)  # global limit, injected fault or ban: the route never runs
        admitted = sb.rest_limits.admit_route(request.method, call_log.path) if refusal is None else {}
        bucket: dict[str, str] = {}
        if isinstance(admitted, web.Response):  # the route's bucket is spent
            refusal = admitted
        else:
            bucket = admitted
        if refusal is not None:
            call_log.status = refusal.status
            sb.record_rest(call_log)
            return refusal
        status, result = 200, None
        try:
            if needs_auth and request.headers.get("Authorization") != f"Bot {sb.token}":
                raise DiscordHTTPError(401, 0, "401: Unauthorized")
            body, files = await _read_body(request)
            call_log.json = body
            call_log.files = [(f.filename, len(f.data)) for f in files]
            params = {k: v for k, v in request.match_info.items() if k != "version"}
            refuse_removed(sb, call_log.path, params)
            result = await handler(Call(sb, request, params, body, files))
            status = 204 if result is None else 200
        except DiscordHTTPError as exc:
            status, result = exc.status, exc.body()
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("sandbox: bad request %s %s: %r", request.method, request.path, exc)
            status, result = 400, {"message": "Invalid Form Body", "code": 50035, "errors": {"_sandbox": repr(exc)}}
        except Exception as exc:  # an emulator bug: answer 400 so discord.py does not retry for 25 s
            log.exception("sandbox: handler crashed for %s %s", request.method, request.path)
            status, result = 400, {"message": f"sandbox internal error: {exc!r}", "code": 0}
        call_log.status = status
        call_log.response = result
        sb.rest_limits.record(status)
        sb.record_rest(call_log)
        response = respond(status, result)
        response.headers.update(bucket)  # the route's X-RateLimit-* headers, when it has a bucket
        return response

    return endpoint


async def _not_found(call: Call) -> Any:
    log.warning("sandbox: no route for %s %s", call.request.method, call.request.path)
    raise DiscordHTTPError(404, 0, "404: Not Found")


# ---- small routes ----------------------------------------------------------------------------------
async def get_me(call: Call) -> Any:
    """``GET /users/@me``."""
    return call.sb.bot_user


async def get_user(call: Call) -> Any:
    """``GET /users/{user_id}``."""
    return payloads.user(call.sb.state.user(call.snowflake("user_id", "User")))


async def get_application(call: Call) -> Any:
    """``GET /oauth2/applications/@me`` and ``GET /applications/@me``."""
    return payloads.application(call.sb.state)


async def get_gateway(call: Call) -> Any:
    """``GET /gateway``."""
    return {"url": call.sb.gateway_url()}


async def get_gateway_bot(call: Call) -> Any:
    """``GET /gateway/bot``: the URL, the recommended shard count and the session start limit."""
    return {
        "url": call.sb.gateway_url(),
        "shards": call.sb.shards,
        "session_start_limit": call.sb.gateway.identify_rules.session_start_limit(),
    }


async def create_dm(call: Call) -> Any:
    """``POST /users/@me/channels {recipient_id}``: the DM channel with a user."""
    recipient = int(call.json()["recipient_id"])
    call.sb.state.user(recipient)
    channel_id = await call.sb.open_dm(recipient)
    return payloads.channel(call.sb.state, call.sb.state.channels[channel_id])


async def cdn(request: web.Request) -> web.StreamResponse:
    """``GET /cdn/...``: uploaded attachments by id, a 1x1 PNG for anything else (avatars, icons)."""
    from wolaro.sandbox.records import PNG as _PNG

    sb: Sandbox = request.app[SANDBOX_KEY]
    parts = request.match_info["tail"].split("/")
    if len(parts) >= 3 and parts[0] == "attachments" and parts[2].isdigit():
        data = sb.state.attachments.get(int(parts[2]))
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type=payloads._guess_type(parts[-1]).split(";")[0])
    return web.Response(body=_PNG, content_type="image/png")


ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", "/users/@me", get_me, True),
    ("POST", "/users/@me/channels", create_dm, True),
    ("GET", "/users/{user_id}", get_user, True),
    ("GET", "/oauth2/applications/@me", get_application, True),
    ("GET", "/applications/@me", get_application, True),
    ("GET", "/gateway", get_gateway, False),
    ("GET", "/gateway/bot", get_gateway_bot, True),
]


def add_rest_routes(app: web.Application) -> None:
    """Register every REST route of the sandbox under ``/api/v{n}``, plus ``/cdn`` and a JSON 404."""
    from wolaro.sandbox import polls, rest_bans, rest_channels, rest_guilds, rest_interactions, rest_reactions

    routes = (
        ROUTES,
        rest_interactions.ROUTES,
        rest_channels.ROUTES,
        rest_guilds.ROUTES,
        rest_bans.ROUTES,
        polls.ROUTES,
        rest_reactions.ROUTES,
    )
    for module_routes in routes:
        for method, path, handler, needs_auth in module_routes:
            app.router.add_route(method, PREFIX + path, _wrap(handler, needs_auth))
    app.router.add_route("*", "/api/{tail:.*}", _wrap(_not_found, False))
    app.router.add_get("/cdn/{tail:.*}", cdn)
