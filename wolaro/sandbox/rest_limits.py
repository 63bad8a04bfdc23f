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
"""

from __future__ import annotations

import time
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
