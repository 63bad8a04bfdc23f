"""The one typed way in for routes: `SessionUser`, `ManagedGuild`, `MasterAdmin`.

As in FastAPI's full-stack template `api/deps.py`.

A route that takes a `{guild_id}` path parameter declares `guild: ManagedGuild` and receives proof that the caller
may manage that guild *now*; nothing of the guild is read before that check. `tests/web/test_isolation.py` walks
`app.routes` and fails for any `{guild_id}` route without it.

    @router.get("/api/guilds/{guild_id}/things")
    async def things(guild: ManagedGuild, web: WebDep) -> list[Thing]: ...

Page routes (server-rendered) use `OptionalUser` (None when logged out) or `SessionUser`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Query, Request, status
from starlette.requests import HTTPConnection

from wolaro.core.snowflake import SNOWFLAKE_MAX, SNOWFLAKE_MIN
from wolaro.web.access import (
    AccessDenied,
    CurrentUser,
    DiscordUnavailable,
    GuildAccess,
    NotAuthenticated,
)
from wolaro.web.context import Web
from wolaro.web.security import (
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    SessionClaims,
    csrf_ok,
    origin_allowed,
    origin_of,
)

NOT_AUTHENTICATED = "Not logged in, or the session has ended: log in again"


def snowflake_path(description: str) -> Any:
    """A Discord id in the URL path: 1 to 2**63 - 1, else 422 naming it (never a database overflow: a 500)."""
    return Path(ge=SNOWFLAKE_MIN, le=SNOWFLAKE_MAX, description=description)


def snowflake_query(description: str) -> Any:
    """A Discord id in the query string (`?actor_id=`): 1 to 2**63 - 1, else 422 naming it."""
    return Query(ge=SNOWFLAKE_MIN, le=SNOWFLAKE_MAX, description=description)


async def get_web(connection: HTTPConnection) -> Web:
    """The app's shared parts (async: FastAPI would run a plain function in a thread)."""
    return connection.app.state.web  # type: ignore[no-any-return]


WebDep = Annotated[Web, Depends(get_web)]


def _claims(connection: HTTPConnection, web: Web) -> SessionClaims | None:
    cached = getattr(connection.state, "wolaro_claims", None)  # decoded once by the middleware
    if isinstance(cached, SessionClaims):
        return cached
    return web.tokens.read(connection.cookies.get(SESSION_COOKIE))


async def authenticate(connection: HTTPConnection, web: Web) -> CurrentUser | None:
    """The user of a valid session cookie whose session is still open, else None."""
    claims = _claims(connection, web)
    if claims is None:
        return None
    if await web.sessions.get(claims.sid) is None:
        return None
    return CurrentUser(
        id=claims.user_id,
        username=claims.username,
        global_name=claims.global_name,
        avatar=claims.avatar,
        sid=claims.sid,
        csrf=claims.csrf,
        expires_at=claims.expires_at,
        is_master=web.access.is_master(claims.user_id),
    )


def unauthorized() -> HTTPException:
    """401 for a missing, tampered, expired or ended session."""
    return HTTPException(status.HTTP_401_UNAUTHORIZED, NOT_AUTHENTICATED, headers={"WWW-Authenticate": "Cookie"})


async def current_user(request: Request) -> CurrentUser:
    """The logged-in user (401 otherwise); on state-changing methods also the CSRF and Origin checks (403)."""
    web: Web = request.app.state.web  # not a sub-dependency: each one costs on every request
    user = await authenticate(request, web)
    if user is None:
        raise unauthorized()
    if request.method not in SAFE_METHODS:
        if not csrf_ok(user.csrf, request.headers.get(CSRF_HEADER)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"Missing or wrong {CSRF_HEADER} header")
        own = origin_of(str(request.base_url))
        if not origin_allowed(request.headers.get("origin"), own=own, settings=web.settings):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Cross-origin request refused")
    return user


SessionUser = Annotated[CurrentUser, Depends(current_user)]


async def optional_user(request: Request) -> CurrentUser | None:
    """The logged-in user or None (for pages that show a login link instead)."""
    return await authenticate(request, request.app.state.web)


OptionalUser = Annotated[CurrentUser | None, Depends(optional_user)]


async def managed_guild(
    guild_id: Annotated[int, snowflake_path("Discord guild (server) id")],
    request: Request,
) -> GuildAccess:
    """The guild in the path, if the caller may manage it now (owner/Administrator/Manage Server + bot present).

    Authenticates like `SessionUser` (401, CSRF and Origin on writes: 403) without being a separate dependency:
    this is the hottest path of the API and each dependency level costs on every request.
    """
    user = await current_user(request)
    web: Web = request.app.state.web
    try:
        return await web.access.authorize(user, guild_id, action=f"{request.method} {request.scope['path']}")
    except AccessDenied:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "You cannot manage this server") from None
    except NotAuthenticated:
        raise unauthorized() from None
    except DiscordUnavailable as exc:
        headers = {"Retry-After": str(max(1, round(exc.retry_after or 1)))}
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Discord is unavailable", headers=headers) from None


ManagedGuild = Annotated[GuildAccess, Depends(managed_guild)]


@dataclass(frozen=True, slots=True)
class GuildVisit:
    """A logged-in caller of a guild route open to more than the guild's managers; `access` is None for them."""

    guild_id: int
    user: CurrentUser
    access: GuildAccess | None


async def guild_visitor(
    guild_id: Annotated[int, snowflake_path("Discord guild (server) id")],
    request: Request,
) -> GuildVisit:
    """Like `ManagedGuild`, but a caller who may not manage the guild gets through with `access=None`.

    For the few routes some non-managers may use (a ticket transcript its support team reads): such a route must
    then check its own narrower rule and answer 403 otherwise. Not logged in is still 401 (and CSRF/Origin 403).
    """
    try:
        access = await managed_guild(guild_id, request)
    except HTTPException as exc:
        if exc.status_code != status.HTTP_403_FORBIDDEN:
            raise
        return GuildVisit(guild_id, await current_user(request), None)
    return GuildVisit(guild_id, access.user, access)


GuildVisitor = Annotated[GuildVisit, Depends(guild_visitor)]


async def master_admin(user: SessionUser) -> CurrentUser:
    """The caller, if a master admin (403 otherwise)."""
    if not user.is_master:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Master admins only")
    return user


MasterAdmin = Annotated[CurrentUser, Depends(master_admin)]
