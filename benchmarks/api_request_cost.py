"""CPU time one cached `GET /api/guilds/{id}/settings` costs in the API app, without the server and the socket.

`sync_latency.py` measures requests per second through uvicorn, which on a shared machine swings with the load of
other processes (the load client, Redis and the servers compete for the same cores). This measures the part Wolaro
adds: the ASGI app called directly, 32 requests at a time in one event loop (uvloop), CPU time of this process per
request (`time.process_time`), for
- `wolaro_rate_limited`: Wolaro's app, per-IP and per-user limits on over Redis (quotas too high to refuse),
- `wolaro`: the same app, limits off,
- `baseline`: the one-route FastAPI app of `benchmarks/_baseline_api.py`,
measured in turn for `--rounds` rounds; each figure is its best round (the least disturbed by other load). Redis time
is not CPU time of this process, so a Redis round trip costs here only what the client does for it.

Prints ONE JSON line; needs Redis at 127.0.0.1:6379 (or --redis-url), keys under a unique prefix removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from wolaro.core.services import Services
from wolaro.data.models import BotGuild, utcnow
from wolaro.sandbox import Sandbox, payloads
from wolaro.sandbox.oauth import emulator
from wolaro.settings import Settings
from wolaro.web.app import create_app
from wolaro.web.security import SESSION_COOKIE, TokenCipher, Tokens
from wolaro.web.sessions import SessionStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _baseline_api import app as baseline_app
from _harness import forget, report

SECRET = "benchmark-secret-key-" + secrets.token_hex(16)
CONCURRENCY = 32
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def caller(app: ASGIApp, path: str, cookie: bytes, statuses: list[int]) -> Callable[[int], Awaitable[None]]:
    """`run(n)`: n GETs of `path` through `app`, CONCURRENCY at a time, as uvicorn would call it."""
    headers = [
        (b"host", b"127.0.0.1:8080"),
        (b"user-agent", b"Python/3.11 aiohttp"),
        (b"accept", b"*/*"),
        (b"accept-encoding", b"gzip, deflate"),
        (b"cookie", cookie),
    ]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def one() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 5555),
            "server": ("127.0.0.1", 8080),
            "state": {},
            "app": app,
        }
        await app(scope, receive, send)

    async def run(n: int) -> None:
        async def worker(count: int) -> None:
            for _ in range(count):
                await one()

        await asyncio.gather(*(worker(n // CONCURRENCY) for _ in range(CONCURRENCY)))

    return run


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="wolaro-bench-cost-"))
    prefix = f"wolaro-bench-{secrets.token_hex(6)}:"
    try:
        async with Sandbox(guilds=1, members_per_guild=5) as sb:
            guild_id = sb.guild_ids()[0]
            owner = sb.owner_id(guild_id)
            oauth = emulator(sb)
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                discord_token=SecretStr(sb.token),
                discord_api_base=sb.api_base,
                discord_client_id=sb.application_id,
                discord_client_secret=SecretStr(oauth.client_secret),
                secret_key=SecretStr(SECRET),
                database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
                redis_url=args.redis_url,
                redis_prefix=prefix,
                api_rate_limits=True,
                api_rate_ip="10000000/minute",
                api_rate_user="10000000/minute",
                data_dir=workdir,
                log_level="WARNING",
            )
            services = await Services.start(settings)
            try:
                async with services.db.transaction() as session:
                    session.add(BotGuild(id=guild_id, shard_id=0, name="bench", seen_at=utcnow()))
                record = await SessionStore(services.db, TokenCipher(SECRET)).create(
                    owner, oauth.issue_token(owner), max_age=86_400
                )
                token, claims = Tokens(SECRET, max_age=86_400).issue(payloads.user(sb.state.users[owner]), record.id)
                cookie = f"{SESSION_COOKIE}={token}; wolaro_csrf={claims.csrf}".encode()
                unlimited = dataclasses.replace(
                    services, settings=settings.model_copy(update={"api_rate_limits": False})
                )
                apps: dict[str, ASGIApp] = {
                    "wolaro_rate_limited": create_app(services),
                    "wolaro": create_app(unlimited),
                    "baseline": baseline_app,
                }
                statuses: list[int] = []
                path = f"/api/guilds/{guild_id}/settings"
                runs = {name: caller(app, path, cookie, statuses) for name, app in apps.items()}
                for run in runs.values():
                    await run(20 * CONCURRENCY)  # warm: guild list, session, config and JSON cached
                rounds: dict[str, list[float]] = {name: [] for name in runs}
                for _ in range(args.rounds):
                    for name, run in runs.items():
                        started = time.process_time()
                        await run(args.requests)
                        rounds[name].append(round((time.process_time() - started) / args.requests * 1e6, 1))
                if set(statuses) != {200}:
                    raise RuntimeError(f"answers other than 200: {sorted(set(statuses))}")
            finally:
                await services.close()
    finally:
        forget(args.redis_url, prefix)
    best = {name: min(values) for name, values in rounds.items()}
    return {
        "cpu_us_per_request": best,
        "rate_limited_vs_baseline": round(best["wolaro_rate_limited"] / best["baseline"], 2),
        "wolaro_vs_baseline": round(best["wolaro"] / best["baseline"], 2),
        "rate_limits_cost_us": round(best["wolaro_rate_limited"] - best["wolaro"], 1),
        "rounds": rounds,
        "requests_per_round": args.requests,
        "concurrency": CONCURRENCY,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3200, help="requests per app per round")
    parser.add_argument("--rounds", type=int, default=6, help="rounds (each app once per round)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    report(measure(args))


if __name__ == "__main__":
    main()
