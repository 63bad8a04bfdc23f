"""Discord's REST limits and injected REST faults, applied before any route runs.

- The global limit: ``global_per_second`` requests per second per bot token, over every connection (Discord: 50;
  interaction callbacks and webhook follow-ups are exempt). Over it, a 429 as Discord sends it: JSON body
  ``{"message", "retry_after", "global": true}``, headers ``Retry-After``, ``X-RateLimit-Global: true``,
  ``X-RateLimit-Scope: global`` and ``Via`` (discord.py takes a 429 without ``Via`` for a Cloudflare ban).
- Invalid requests: 401, 403 and 429 answers (429s of scope ``shared`` excepted) are counted over 10 minutes;
  at ``INVALID_BAN_THRESHOLD`` (Discord: 10,000) the token is banned: every request gets Cloudflare's plain-text
  429 without ``Via`` until the window clears.
- Injected faults: ``inject([429, 500, 502])`` makes the next requests answer those statuses in turn (429 as a
  per-route limit with its ``X-RateLimit-*`` headers), for fault tests of the bot's retries.
- Per-route buckets: ``limit_route("POST /channels/{}/messages", 5, 5.0)`` gives that route (ids written ``{}``) a
  bucket of 5 requests per 5 s per major parameter (the channel, guild or webhook id in the path), counted over
  every connection from the bucket's first request, as Discord does: every answer of the route carries
  ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``, ``-Reset-After`` and ``-Bucket``; over it, a 429 of scope
  ``user`` with ``Retry-After`` (counted in ``route_429s``).
"""

from __future__ import annotations

import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable

import orjson
from aiohttp import web

GLOBAL_LIMIT = 50
INVALID_WINDOW_S = 600.0
INVALID_BAN_THRESHOLD = 10_000
INJECTED_RETRY_AFTER = 0.2
EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")
JSON_HEADERS = {"Content-Type": "application/json", "Via": "1.1 google"}


class RestLimits:
    """The sandbox's global REST limit, invalid-request count and fault queue (one per sandbox)."""

    def __init__(self, *, global_per_second: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        #: Requests per second over every connection; None = not enforced (most tests send faster than Discord allows).
        self.global_per_second = global_per_second
        self.clock = clock
        self._recent: deque[float] = deque()
        self._invalid: deque[float] = deque()
        self._faults: deque[int] = deque()
        self.global_429s = 0
        self.injected_served: dict[int, int] = {}
        self.route_rules: dict[str, tuple[int, float]] = {}  # route -> (requests, seconds) per major parameter
        self._route_windows: dict[tuple[str, str], list[float]] = {}  # (route, major) -> [used, reset at]
        self.route_429s = 0

    def limit_route(self, route: str, requests: int, seconds: float) -> None:
        """Give `route` (``"POST /channels/{}/messages"``) a bucket of `requests` per `seconds` per major parameter."""
        self.route_rules[route] = (requests, seconds)

    def admit_route(self, method: str, path: str) -> web.Response | dict[str, str]:
        """For a route with a bucket: its 429 when spent, else the ``X-RateLimit-*`` headers of its answer (one used).

        Routes without a bucket get no headers. `path` is below ``/api/v10`` (``/channels/1/messages``).
        """
        route, major = _route_of(method, path)
        rule = self.route_rules.get(route)
        if rule is None:
            return {}
        requests, seconds = rule
        now = self.clock()
        window = self._route_windows.get((route, major))
        if window is None or window[1] <= now:
            window = self._route_windows[(route, major)] = [0, now + seconds]
        reset_after = max(0.001, window[1] - now)
        headers = {
            "X-RateLimit-Limit": str(requests),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"sandbox-{zlib.crc32(route.encode()):08x}",
        }
        if window[0] >= requests:
            self.route_429s += 1
            self.record(429)
            body = {"message": "You are being rate limited.", "retry_after": round(reset_after, 3), "global": False}
            limited = {**JSON_HEADERS, **headers, "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"}
            limited["Retry-After"] = str(max(1, round(reset_after)))
            return web.Response(status=429, body=orjson.dumps(body), headers=limited)
        window[0] += 1
        headers["X-RateLimit-Remaining"] = str(requests - int(window[0]))
        return headers

    def inject(self, statuses: Iterable[int]) -> None:
        """Answer the next requests (any route, in order) with these statuses instead of running them."""
        self._faults.extend(statuses)

    @property
    def pending_faults(self) -> int:
        """Injected statuses not served yet."""
        return len(self._faults)

    def invalid_requests(self) -> int:
        """Invalid requests (401, 403, 429 but shared-scope ones) over the last 10 minutes."""
        self._expire(self._invalid, self.clock() - INVALID_WINDOW_S)
        return len(self._invalid)

    @property
    def banned(self) -> bool:
        """Whether the token has made too many invalid requests (Discord's temporary Cloudflare ban)."""
        return self.invalid_requests() >= INVALID_BAN_THRESHOLD

    def record(self, status: int, *, shared_scope: bool = False) -> None:
        """Count an answer sent by a route (401 and 403 are invalid requests)."""
        if status in (401, 403) or (status == 429 and not shared_scope):
            self._invalid.append(self.clock())

    def admit(self, path: str) -> web.Response | None:
        """None to run the request, or the refusal to send instead (ban, injected fault, global limit)."""
        if self.banned:
            return web.Response(status=429, text="error code: 1015", content_type="text/plain")
        if self._faults:
            status = self._faults.popleft()
            self.injected_served[status] = self.injected_served.get(status, 0) + 1
            self.record(status)
            return _route_limited() if status == 429 else _server_error(status)
        if self.global_per_second is None or path.startswith(EXEMPT_PREFIXES):
            return None
        now = self.clock()
        self._expire(self._recent, now - 1.0)
        if len(self._recent) >= self.global_per_second:
            self.global_429s += 1
            self.record(429)
            return _globally_limited(max(0.001, self._recent[0] + 1.0 - now))
        self._recent.append(now)
        return None

    @staticmethod
    def _expire(times: deque[float], before: float) -> None:
        while times and times[0] <= before:
            times.popleft()


def _route_of(method: str, path: str) -> tuple[str, str]:
    """``("POST /channels/{}/messages", "<channel id>")``: a route with its ids written ``{}``, and its major id."""
    parts = path.strip("/").split("/")
    major = parts[1] if len(parts) > 1 and parts[0] in ("channels", "guilds", "webhooks") else ""
    return f"{method.upper()} /" + "/".join("{}" if part.isdigit() else part for part in parts), major


def _globally_limited(retry_after: float) -> web.Response:
    body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": True}
    headers = {
        **JSON_HEADERS,
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Global": "true",
        "X-RateLimit-Scope": "global",
    }
    return web.Response(status=429, body=orjson.dumps(body), headers=headers)


def _route_limited() -> web.Response:
    body = {"message": "You are being rate limited.", "retry_after": INJECTED_RETRY_AFTER, "global": False}
    headers = {
        **JSON_HEADERS,
        "Retry-After": "1",
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + INJECTED_RETRY_AFTER:.3f}",
        "X-RateLimit-Reset-After": f"{INJECTED_RETRY_AFTER:.3f}",
        "X-RateLimit-Bucket": "sandbox-injected",
        "X-RateLimit-Scope": "user",
    }
    return web.Response(status=429, body=orjson.dumps(body), headers=headers)


def _server_error(status: int) -> web.Response:
    body = {"message": f"{status}: sandbox-injected server error", "code": 0}
    return web.Response(status=status, body=orjson.dumps(body), headers=JSON_HEADERS)
