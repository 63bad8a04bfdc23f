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

**Binding.** A session id names its user (`<user id>.<random>`): a token whose `sub` is not the user its `sid`
names is refused here, and `SessionStore` refuses a `sid` whose row belongs to someone else. So even a token
signed with a leaked key opens only sessions of the user it names, never another user's rights.

**Secret key.** `SECRET_KEY` (at least 32 bytes) has no default: `wolaro run`/`wolaro api` refuse to start without
it and `wolaro sandbox` makes a random one per data folder. It signs the JWT; a separate key derived from it
(HKDF) encrypts the Discord tokens stored with each session (`TokenCipher`, Fernet).

**Operator endpoints.** `/metrics`, the detailed health and the API docs (`/docs`, `/redoc`, `/openapi.json`) answer
only requests carrying `Authorization: Bearer <METRICS_TOKEN>` or coming from `METRICS_ALLOW_IPS`
(`ops_allowed`); `API_DOCS_PUBLIC=true` opens the docs to anyone. `/api/health` itself stays public, minimal.

**Headers and limits.** `SecurityMiddleware` (plain ASGI, cheap) adds CSP, nosniff, frame denial, referrer
policy (and HSTS over https) to every response and applies the per-IP and per-user rate limits (seed 000: 100 and
200 requests a minute) through the shared `RateLimiter`, answering 429 with `Retry-After`. Both limits are checked
together (`RateLimiter.hit_all`: over Redis, one round trip shared with the other requests of the moment), each
deciding alone: a request the per-IP limit refuses still counts against its user's, and the other way round.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import math
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import orjson
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wolaro.core.ratelimit import RateLimiter
from wolaro.logging import get_logger
from wolaro.settings import SECRET_KEY_HOWTO, SECRET_KEY_MIN_BYTES, Settings

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
OPENAPI_PATH = "/openapi.json"
METRICS_PATH = "/metrics"
RATE_EXEMPT = ("/api/health", "/metrics", "/static/")


class MissingSecretKey(RuntimeError):
    """The dashboard cannot run without a long random SECRET_KEY."""

    def __init__(self) -> None:
        super().__init__(
            f"SECRET_KEY is not set: the dashboard needs a random secret of at least {SECRET_KEY_MIN_BYTES} bytes "
            f"to sign logins. Make one with:  {SECRET_KEY_HOWTO}  and set SECRET_KEY to it (environment or .env)."
        )


def secret_key(settings: Settings) -> str:
    """The configured SECRET_KEY (MissingSecretKey when unset: there is no usable default)."""
    if settings.secret_key is None:
        raise MissingSecretKey()
    return settings.secret_key.get_secret_value()


def session_id(user_id: int) -> str:
    """A new session id naming its user: `<user id>.<43 random url-safe characters>` (64 characters at most)."""
    return f"{user_id}.{secrets.token_urlsafe(32)}"


def session_user(sid: str) -> int | None:
    """The user a session id names (None for a malformed id)."""
    head, dot, rest = sid.partition(".")
    if not dot or not rest or not head.isdigit() or len(head) > 20:
        return None
    return int(head)


class TokenCipher:
    """Encrypts what a session stores of Discord's tokens (Fernet, key derived from SECRET_KEY with HKDF-SHA256).

    The derived key differs from the JWT's signing key, so neither can be turned into the other.
    """

    def __init__(self, secret: str) -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"wolaro", info=b"dashboard discord tokens v1"
        ).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, value: dict[str, Any]) -> str:
        """A Fernet token (ASCII) of the JSON of `value`."""
        return self._fernet.encrypt(orjson.dumps(value)).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any] | None:
        """The value back, or None if it was not made with this key (SECRET_KEY changed) or was altered."""
        try:
            data = orjson.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError, UnicodeEncodeError):
            return None
        return data if isinstance(data, dict) else None


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
        if len(secret.encode()) < SECRET_KEY_MIN_BYTES:
            raise ValueError(
                f"SECRET_KEY must be at least {SECRET_KEY_MIN_BYTES} bytes; make one with: {SECRET_KEY_HOWTO}"
            )
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
        if claims is not None and session_user(claims.sid) != claims.user_id:
            return None  # a sub that is not the user its session names: never trusted, even if well signed
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


def host_allowed(host: str, allowed: list[str]) -> bool:
    """Whether a `Host` header (name, optional port) names one of the allowed host names."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8080
        name = host[1 : host.find("]")] if "]" in host else host
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return bool(name) and name in {a.strip("[]").lower() for a in allowed}


def _networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            log.warning("METRICS_ALLOW_IPS: not an address or network, ignored", value=value)
    return out


class OpsGate:
    """Who may read the operator endpoints: the METRICS_TOKEN bearer, or a client in METRICS_ALLOW_IPS."""

    def __init__(self, settings: Settings) -> None:
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
        self._token = token.encode()
        self._networks = _networks(settings.metrics_allow_ips)
        self.docs_public = settings.api_docs_public

    def allowed(self, scope: Scope) -> bool:
        """Whether this request (ASGI scope) may see metrics, detailed health and docs."""
        client = scope.get("client")
        if client and self._networks:
            try:
                address = ipaddress.ip_address(client[0])
            except ValueError:
                address = None
            if address is not None and any(address in network for network in self._networks):
                return True
        if not self._token:
            return False
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self._token)
        return False

    def guards(self, path: str) -> bool:
        """Whether `path` is an operator endpoint closed to others."""
        if path == METRICS_PATH:
            return True
        return not self.docs_public and (path == OPENAPI_PATH or path.startswith(DOCS_PATHS))


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
        self.ops = OpsGate(settings)
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
        if self.ops.guards(path) and not self.ops.allowed(scope):
            await self._refuse(send, "Operators only: send Authorization: Bearer <METRICS_TOKEN> (see METRICS_TOKEN)")
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
        """Seconds to wait: the per-IP limit, and the per-user one for a valid session, checked together."""
        client = scope.get("client")
        per_ip = (self.settings.api_rate_ip, ("api-ip", client[0] if client else "unknown"))
        claims = self.tokens.read(cookie_value(scope.get("headers", []), SESSION_COOKIE))
        if claims is None:
            return await self.limiter.hit_all(per_ip)
        scope.setdefault("state", {})["wolaro_claims"] = claims  # the session dependency reuses it
        return await self.limiter.hit_all(per_ip, (self.settings.api_rate_user, ("api-user", str(claims.user_id))))

    async def _refuse(self, send: Send, detail: str) -> None:
        body = orjson.dumps({"detail": detail})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b"Bearer"),
            (b"cache-control", b"no-store"),
            (b"content-security-policy", CSP.encode()),
            *self._headers,
        ]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})

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
