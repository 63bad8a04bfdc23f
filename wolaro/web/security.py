"""Session tokens, CSRF, security headers and rate limits: what every request of the dashboard passes through.

**Session.** A signed JWT (HS256, `SECRET_KEY`, `exp`) in the `wolaro_session` cookie: HttpOnly, SameSite=Lax,
Secure when the dashboard is served over https. It carries the user's public identity, a session id (the
`dashboard_sessions` row holding the Discord token; deleting the row ends the session before `exp`) and the
session's CSRF token.

**CSRF.** Signed double-submit: at login the same random token goes into the JWT (`csrf` claim) and into a
readable `wolaro_csrf` cookie. Every state-changing request (POST, PUT, PATCH, DELETE) must send it back in the
`X-CSRF-Token` header; a cross-site page can neither read the cookie nor set the header, and the token is bound to
the session by the signature. When the browser sends an `Origin` header it must also be the dashboard's own.
SameSite=Lax is a third layer, not the one we rely on.

**Headers and limits.** `SecurityMiddleware` (plain ASGI, cheap) adds CSP, nosniff, frame denial, referrer
policy (and HSTS over https) to every response and applies the per-IP and per-user rate limits (seed 000: 100 and
200 requests a minute) through the shared `RateLimiter`, answering 429 with `Retry-After`.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import orjson

from wolaro.core.ratelimit import RateLimiter
from wolaro.logging import get_logger
from wolaro.settings import Settings

log = get_logger(__name__)

SESSION_COOKIE = "wolaro_session"
CSRF_COOKIE = "wolaro_csrf"
STATE_COOKIE = "wolaro_oauth_state"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALGORITHM = "HS256"
ISSUER = "wolaro"
SESSION_AUDIENCE = "wolaro-dashboard"
STATE_AUDIENCE = "wolaro-oauth-state"
STATE_MAX_AGE = 600

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://cdn.discordapp.com; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: Swagger UI and ReDoc (at /docs and /redoc) load their code from jsDelivr and run an inline bootstrap script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
RATE_EXEMPT = ("/api/health", "/metrics", "/static/")


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a valid session token says."""

    user_id: int
    username: str
    global_name: str | None
    avatar: str | None
    sid: str
    csrf: str
    issued_at: int
    expires_at: int


class Tokens:
    """Signs and checks the session JWT and the OAuth `state` token with the one secret from settings."""

    def __init__(self, secret: str, *, max_age: int) -> None:
        if len(secret) < 32:
            log.warning("SECRET_KEY is shorter than 32 characters: use a long random value in production")
        self._secret = secret
        self.max_age = max_age
        self._verified: dict[str, SessionClaims] = {}  # token -> its claims, once its signature checked out

    def issue(self, user: dict[str, Any], sid: str) -> tuple[str, SessionClaims]:
        """A new session token for a Discord user object; returns the JWT and its claims."""
        now = int(time.time())
        claims = SessionClaims(
            user_id=int(user["id"]),
            username=str(user.get("username", "")),
            global_name=user.get("global_name"),
            avatar=user.get("avatar"),
            sid=sid,
            csrf=secrets.token_urlsafe(32),
            issued_at=now,
            expires_at=now + self.max_age,
        )
        payload = {
            "iss": ISSUER,
            "aud": SESSION_AUDIENCE,
            "sub": str(claims.user_id),
            "name": claims.username,
            "gname": claims.global_name,
            "avatar": claims.avatar,
            "sid": sid,
            "csrf": claims.csrf,
            "iat": now,
            "exp": claims.expires_at,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM), claims

    def read(self, token: str | None) -> SessionClaims | None:
        """The claims of a valid, unexpired session token; None for anything else (tampered, expired, foreign).

        A token whose signature was verified once is remembered (the same bytes verify the same way), so the hot
        path pays for HMAC and JSON only once per session and process; expiry is checked on every use.
        """
        if not token:
            return None
        known = self._verified.get(token)
        if known is not None:
            return known if known.expires_at > time.time() else None
        claims = self._decode(token)
        if claims is not None:
            if len(self._verified) >= 10_000:
                self._verified.clear()
            self._verified[token] = claims
        return claims

    def _decode(self, token: str) -> SessionClaims | None:
        try:
            data = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=SESSION_AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "csrf"]},
            )
            return SessionClaims(
                user_id=int(data["sub"]),
                username=str(data.get("name", "")),
                global_name=data.get("gname"),
                avatar=data.get("avatar"),
                sid=str(data["sid"]),
                csrf=str(data["csrf"]),
                issued_at=int(data["iat"]),
                expires_at=int(data["exp"]),
            )
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            return None

    def issue_state(self, state: str, next_path: str) -> str:
        """The signed OAuth `state` cookie value (binds the login to this browser, 10 minutes)."""
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": STATE_AUDIENCE, "state": state, "next": next_path, "iat": now}
        payload["exp"] = now + STATE_MAX_AGE
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def read_state(self, token: str | None) -> dict[str, Any] | None:
        """The state cookie's content if valid."""
        if not token:
            return None
        try:
            return jwt.decode(token, self._secret, algorithms=[ALGORITHM], audience=STATE_AUDIENCE, issuer=ISSUER)
        except jwt.PyJWTError:
            return None


def csrf_ok(expected: str, header: str | None) -> bool:
    """Whether the request's CSRF header matches the session's token (constant time)."""
    if not header or not expected:
        return False
    return hmac.compare_digest(header.encode(), expected.encode())


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(origin: str | None, *, own: str, settings: Settings) -> bool:
    """Whether a request's `Origin` header (when the browser sent one) is the dashboard's own origin."""
    if origin is None:
        return True
    origin = origin.lower().rstrip("/")
    return origin in (own.lower(), origin_of(settings.dashboard_url))


def safe_next(path: str | None) -> str:
    """A post-login redirect target: a local path only (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def cookie_value(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    """One cookie from raw ASGI headers.

    Parsed like Starlette's `Request.cookies` (split on `;` then `=`, as browsers send them), not with
    `http.cookies.SimpleCookie`, which costs about ten times more on every rate-limited request.
    """
    for key, value in headers:
        if key != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            cookie, sep, content = part.partition("=")
            if sep and cookie.strip() == name:
                content = content.strip()
                if len(content) >= 2 and content[0] == content[-1] == '"':
                    content = content[1:-1]
                return content
    return None


# ------------------------------------------------------------------------------------------- middleware
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(slots=True)
class SecurityStats:
    """What the middleware counts (read by /metrics)."""

    rejected: int = 0


class SecurityMiddleware:
    """Security headers on every response; per-IP and per-user rate limits on every request but health/metrics."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings, limiter: RateLimiter, tokens: Tokens, stats: SecurityStats
    ) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter
        self.tokens = tokens
        self.stats = stats
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if settings.secure_cookies:
            headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self._headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Limit, then pass on with the headers added."""
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if self.settings.api_rate_limits and not path.startswith(RATE_EXEMPT):
            wait = await self._limit(scope)
            if wait:
                self.stats.rejected += 1
                if kind == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": "rate limited"})
                else:
                    await self._too_many(send, wait)
                return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return
        csp = (DOCS_CSP if path.startswith(DOCS_PATHS) else CSP).encode()
        no_store = path.startswith(("/api/", "/auth/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers.extend(item for item in self._headers if item[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                if no_store and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _limit(self, scope: Scope) -> float:
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        wait = await self.limiter.hit(self.settings.api_rate_ip, "api-ip", ip)
        if wait:
            return wait
        claims = self.tokens.read(cookie_value(scope.get("headers", []), SESSION_COOKIE))
        if claims is None:
            return 0.0
        scope.setdefault("state", {})["wolaro_claims"] = claims  # the session dependency reuses it
        return await self.limiter.hit(self.settings.api_rate_user, "api-user", str(claims.user_id))

    async def _too_many(self, send: Send, wait: float) -> None:
        retry_after = str(max(1, math.ceil(wait))).encode()
        body = orjson.dumps({"detail": "Too many requests", "retry_after": max(1, math.ceil(wait))})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", retry_after),
            (b"content-security-policy", CSP.encode()),
            *self._headers,
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})
