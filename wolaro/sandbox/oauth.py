"""Discord's OAuth2 authorization-code flow, emulated: what the dashboard's "Login with Discord" talks to.

- ``GET /oauth2/authorize?response_type=code&client_id&redirect_uri&scope&state`` (also under ``/api`` and
  ``/api/v{n}``): an HTML page listing the sandbox's users, each a link that "logs in" as that user; with
  ``user_id=<id>`` or ``login_hint=<id or username>`` (sandbox extras, for tests and scripts) it redirects at
  once to ``redirect_uri?code=...&state=...``; with ``deny=1`` to ``redirect_uri?error=access_denied&state=...``.
- ``POST /api/v{n}/oauth2/token`` (form): ``grant_type=authorization_code`` (``code``, ``redirect_uri``) or
  ``refresh_token`` (``refresh_token``: single use, answered with a new access *and* refresh token, as Discord
  rotates them); client credentials in the form or HTTP Basic. Codes are single-use and expire in 10 min.
- ``POST /api/v{n}/oauth2/token/revoke`` (form ``token``, optional ``token_type_hint``; client credentials as for
  ``/oauth2/token``, else 401 ``invalid_client``): 200 ``{}`` whether or not the token was known (RFC 7009).
  Revoking a refresh token also revokes the access tokens issued with it; revoking an access token leaves its
  refresh token usable.
- ``GET /api/v{n}/users/@me`` with ``Authorization: Bearer <token>``: the user (scope ``identify``).
  With the bot token it is still the bot's own user (the REST route of ``rest.py``).
- ``GET /api/v{n}/users/@me/guilds`` with a Bearer token (scope ``guilds``): the user's guilds with ``owner``
  and ``permissions`` (their guild-level permissions *now*, as a string); with the bot token: the bot's guilds.

Tests can skip the browser dance with ``emulator(sandbox).issue_token(user_id)``. Register with
:func:`register` *before* ``rest.add_rest_routes`` so these routes win over the bot-only ones.
"""

from __future__ import annotations

import base64
import html
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from aiohttp import web

from wolaro.sandbox import payloads
from wolaro.sandbox import permissions as perm
from wolaro.sandbox.rest import PREFIX, _wrap, get_me

if TYPE_CHECKING:
    from wolaro.sandbox.server import Sandbox
    from wolaro.sandbox.state import User

DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
CODE_TTL = 600.0
TOKEN_TTL = 604_800.0
SCOPES = frozenset({"identify", "guilds", "email", "guilds.members.read"})


@dataclass(slots=True)
class Grant:
    """What a code or token stands for: a user, the scopes they granted, and until when."""

    user_id: int
    scopes: frozenset[str]
    expires_at: float
    redirect_uri: str = ""
    pair: str = ""  # the access token issued with a refresh token (and the reverse)

    @property
    def expired(self) -> bool:
        """Whether it can no longer be used."""
        return time.monotonic() >= self.expires_at


class OAuthEmulator:
    """Codes and tokens the emulated authorization server has issued (inspectable from tests)."""

    def __init__(self, sandbox: Sandbox, *, client_secret: str = DEFAULT_CLIENT_SECRET) -> None:
        self.sandbox = sandbox
        self.client_secret = client_secret
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        #: How many times each endpoint was called (``token``, ``me``, ``guilds``), for cache tests.
        self.calls: dict[str, int] = {"authorize": 0, "token": 0, "refresh": 0, "revoke": 0, "me": 0, "guilds": 0}
        #: Every token revoked through ``/oauth2/token/revoke``, in order, for tests.
        self.revoked: list[str] = []

    @property
    def client_id(self) -> int:
        """The application's id: what ``client_id`` must be."""
        return self.sandbox.application_id

    def issue_code(self, user_id: int, redirect_uri: str, scopes: frozenset[str]) -> str:
        """A one-time authorization code for ``user_id``."""
        code = secrets.token_urlsafe(24)
        self.codes[code] = Grant(user_id, scopes, time.monotonic() + CODE_TTL, redirect_uri)
        return code

    def issue_token(
        self, user_id: int, scopes: frozenset[str] = frozenset({"identify", "guilds"}), *, ttl: float = TOKEN_TTL
    ) -> dict[str, Any]:
        """A token response as ``/oauth2/token`` answers it (tests use it to skip the redirects)."""
        self.sandbox.state.user(user_id)
        access, refresh = secrets.token_urlsafe(30), secrets.token_urlsafe(30)
        self.tokens[access] = Grant(user_id, scopes, time.monotonic() + ttl, pair=refresh)
        self.refresh_tokens[refresh] = Grant(user_id, scopes, time.monotonic() + TOKEN_TTL * 4, pair=access)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(ttl),
            "refresh_token": refresh,
            "scope": " ".join(sorted(scopes)),
        }

    def expire(self, access_token: str) -> None:
        """Make an access token expired now (its refresh token still works), as a week passing would."""
        grant = self.tokens.get(access_token)
        if grant is not None:
            grant.expires_at = time.monotonic() - 1

    def revoke_token(self, token: str) -> bool:
        """Revoke an access or refresh token; a refresh token takes its access token with it. True if it was known."""
        if self.tokens.pop(token, None) is not None:
            return True
        grant = self.refresh_tokens.pop(token, None)
        if grant is None:
            return False
        self.tokens.pop(grant.pair, None)
        return True

    def revoke_user(self, user_id: int) -> None:
        """Forget every token of ``user_id`` (as if they deauthorised the application)."""
        for table in (self.tokens, self.refresh_tokens):
            for token in [t for t, grant in table.items() if grant.user_id == user_id]:
                del table[token]

    def bearer(self, request: web.Request, scope: str) -> User | web.Response | None:
        """The user behind a Bearer token (None when the request is not Bearer-authenticated), or a 401/403."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        grant = self.tokens.get(header[len("Bearer ") :].strip())
        if grant is None or grant.expired:
            return _json(401, {"message": "401: Unauthorized", "code": 0})
        if scope not in grant.scopes:
            return _json(403, {"message": "Missing Access", "code": 50001})
        return self.sandbox.state.user(grant.user_id)

    def user_guilds(self, user_id: int) -> list[dict[str, Any]]:
        """The partial guilds of ``user_id`` as ``/users/@me/guilds`` returns them, permissions computed now."""
        out = []
        for guild in self.sandbox.state.guilds.values():
            member = guild.members.get(user_id)
            if member is None or (guild.bot_removed and user_id == self.sandbox.state.bot_user_id):
                continue
            out.append(
                {
                    "id": str(guild.id),
                    "name": guild.name,
                    "icon": None,
                    "banner": None,
                    "owner": guild.owner_id == user_id,
                    "permissions": str(perm.base_permissions(guild, member)),
                    "features": list(guild.features),
                    "approximate_member_count": len(guild.members),
                }
            )
        return out

    def find_user(self, hint: str) -> User | None:
        """A user by id or username (``login_hint``)."""
        state = self.sandbox.state
        if hint.isdigit() and int(hint) in state.users:
            return state.users[int(hint)]
        for user in state.users.values():
            if user.username == hint:
                return user
        return None


#: Where the app keeps its emulator.
OAUTH_KEY: web.AppKey[OAuthEmulator] = web.AppKey("sandbox_oauth", OAuthEmulator)


def emulator(sandbox: Sandbox) -> OAuthEmulator:
    """The OAuth emulator of ``sandbox`` (to issue tokens in tests or read what was issued)."""
    return sandbox.app[OAUTH_KEY]


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), headers={"Content-Type": "application/json"})


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return _json(status, {"error": error, "error_description": description})


def _page(status: int, title: str, body: str) -> web.Response:
    document = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto}li{margin:.3rem 0}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(status=status, text=document, content_type="text/html")


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


# ---- handlers ---------------------------------------------------------------------------------------
async def authorize(request: web.Request) -> web.StreamResponse:
    """``GET /oauth2/authorize``: the consent page, or an immediate redirect with ``user_id``/``login_hint``."""
    oauth = request.app[OAUTH_KEY]
    oauth.calls["authorize"] += 1
    query = request.query
    if query.get("response_type", "code") != "code":
        return _page(400, "Invalid OAuth2 request", "<p>Only response_type=code is supported.</p>")
    if query.get("client_id") != str(oauth.client_id):
        return _page(400, "Invalid OAuth2 request", "<p>Unknown client_id.</p>")
    redirect_uri = query.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")):
        return _page(400, "Invalid OAuth2 request", "<p>Invalid redirect_uri.</p>")
    scopes = frozenset(query.get("scope", "identify").replace("+", " ").split())
    if not scopes or not scopes <= SCOPES:
        return _page(400, "Invalid OAuth2 request", "<p>Invalid scope.</p>")
    state = query.get("state")
    back: dict[str, str] = {"state": state} if state is not None else {}
    if query.get("deny"):
        params = {"error": "access_denied", "error_description": "The resource owner denied the request", **back}
        raise web.HTTPFound(_with_query(redirect_uri, params))
    hint = query.get("user_id") or query.get("login_hint")
    if hint:
        user = oauth.find_user(hint)
        if user is None or user.bot:
            return _page(400, "Unknown user", f"<p>No sandbox user {html.escape(hint)}.</p>")
        code = oauth.issue_code(user.id, redirect_uri, scopes)
        raise web.HTTPFound(_with_query(redirect_uri, {"code": code, **back}))
    return _page(200, "Log in to the sandbox", _chooser(oauth, request))


def _chooser(oauth: OAuthEmulator, request: web.Request) -> str:
    """Each guild's members as links that authorize as that user."""
    state = oauth.sandbox.state
    base = dict(request.query)
    sections = []
    for guild in state.guilds.values():
        items = []
        for member in guild.members.values():
            user = state.users[member.user_id]
            if user.bot:
                continue
            role_names = [guild.roles[r].name for r in member.roles if r in guild.roles]
            if guild.owner_id == user.id:
                role_names.insert(0, "owner")
            href = request.path + "?" + urlencode({**base, "user_id": str(user.id)})
            items.append(
                f"<li><a href='{html.escape(href)}'>{html.escape(user.display_name)}</a> "
                f"<small>{html.escape(user.username)} · {html.escape(', '.join(role_names))}</small></li>"
            )
        sections.append(f"<h2>{html.escape(guild.name)}</h2><ul>{''.join(items)}</ul>")
    deny = request.path + "?" + urlencode({**base, "deny": "1"})
    return (
        "<p>The Discord sandbox asks which user logs in.</p>"
        + "".join(sections)
        + f"<p><a href='{html.escape(deny)}'>Cancel</a></p>"
    )


def _client_credentials(request: web.Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return "", ""
        return client_id, secret
    return form.get("client_id", ""), form.get("client_secret", "")


async def token(request: web.Request) -> web.StreamResponse:
    """``POST /oauth2/token``: exchange a code (or a refresh token) for an access token."""
    oauth = request.app[OAUTH_KEY]
    oauth.calls["token"] += 1
    form = {k: str(v) for k, v in (await request.post()).items()}
    client_id, secret = _client_credentials(request, form)
    if client_id != str(oauth.client_id) or not secrets.compare_digest(secret, oauth.client_secret):
        return _oauth_error(401, "invalid_client", "Invalid client credentials")
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        grant = oauth.codes.pop(form.get("code", ""), None)
        if grant is None or grant.expired:
            return _oauth_error(400, "invalid_grant", 'Invalid "code" in request.')
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error(400, "invalid_grant", 'Invalid "redirect_uri" in request.')
        return _json(200, oauth.issue_token(grant.user_id, grant.scopes))
    if grant_type == "refresh_token":
        oauth.calls["refresh"] += 1
        grant = oauth.refresh_tokens.pop(form.get("refresh_token", ""), None)
        if grant is None or grant.expired:
            return _oauth_error(400, "invalid_grant", "Invalid refresh token")
        return _json(200, oauth.issue_token(grant.user_id, grant.scopes))
    return _oauth_error(400, "unsupported_grant_type", "Unsupported grant type")


async def revoke(request: web.Request) -> web.StreamResponse:
    """``POST /oauth2/token/revoke``: revoke an access or refresh token (the application must authenticate)."""
    oauth = request.app[OAUTH_KEY]
    oauth.calls["revoke"] += 1
    form = {k: str(v) for k, v in (await request.post()).items()}
    client_id, secret = _client_credentials(request, form)
    if client_id != str(oauth.client_id) or not secrets.compare_digest(secret, oauth.client_secret):
        return _oauth_error(401, "invalid_client", "Invalid client credentials")
    value = form.get("token", "")
    if not value:
        return _oauth_error(400, "invalid_request", 'Missing "token" in request.')
    if form.get("token_type_hint", "access_token") not in ("access_token", "refresh_token"):
        return _oauth_error(400, "unsupported_token_type", "Unsupported token type")
    if oauth.revoke_token(value):
        oauth.revoked.append(value)
    return _json(200, {})


def register(app: web.Application, sandbox: Sandbox, *, client_secret: str = DEFAULT_CLIENT_SECRET) -> OAuthEmulator:
    """Add the OAuth2 routes and the Bearer-aware ``/users/@me`` routes to the sandbox's app."""
    oauth = OAuthEmulator(sandbox, client_secret=client_secret)
    app[OAUTH_KEY] = oauth
    bot_me = _wrap(get_me, True)
    bot_guilds = _wrap(_bot_guilds, True)

    async def users_me(request: web.Request) -> web.StreamResponse:
        user = oauth.bearer(request, "identify")
        if user is None:
            return await bot_me(request)
        if isinstance(user, web.Response):
            return user
        oauth.calls["me"] += 1
        data = payloads.user(user)
        data.update({"locale": user.locale, "mfa_enabled": False, "premium_type": 0, "verified": True})
        return _json(200, data)

    async def users_me_guilds(request: web.Request) -> web.StreamResponse:
        user = oauth.bearer(request, "guilds")
        if user is None:
            return await bot_guilds(request)
        if isinstance(user, web.Response):
            return user
        oauth.calls["guilds"] += 1
        return _json(200, _page_of(oauth.user_guilds(user.id), request))

    for prefix in ("", "/api", "/api/v{version:\\d+}"):
        app.router.add_get(prefix + "/oauth2/authorize", authorize)
    app.router.add_post(PREFIX + "/oauth2/token", token)
    app.router.add_post(PREFIX + "/oauth2/token/revoke", revoke)
    app.router.add_get(PREFIX + "/users/@me", users_me)
    app.router.add_get(PREFIX + "/users/@me/guilds", users_me_guilds)
    return oauth


def _page_of(guilds: list[dict[str, Any]], request: web.Request) -> list[dict[str, Any]]:
    """Discord's ``before``/``after``/``limit`` paging of ``/users/@me/guilds`` (ids ascending)."""
    guilds = sorted(guilds, key=lambda g: int(g["id"]))
    after, before = request.query.get("after"), request.query.get("before")
    if after and after.isdigit():
        guilds = [g for g in guilds if int(g["id"]) > int(after)]
    if before and before.isdigit():
        guilds = [g for g in guilds if int(g["id"]) < int(before)]
    limit = request.query.get("limit", "200")
    return guilds[: max(1, min(200, int(limit) if limit.isdigit() else 200))]


async def _bot_guilds(call: Any) -> Any:
    """``GET /users/@me/guilds`` with the bot token: the guilds the bot is in."""
    oauth: OAuthEmulator = call.request.app[OAUTH_KEY]
    return _page_of(oauth.user_guilds(call.sb.state.bot_user_id), call.request)


__all__ = ["OAUTH_KEY", "Grant", "OAuthEmulator", "emulator", "register"]
