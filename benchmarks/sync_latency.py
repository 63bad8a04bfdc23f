"""Real-time sync latency over Redis, and cached-GET throughput of one API process, against a baseline.

Processes: `wolaro api` runs as a subprocess (its own core, uvloop, as production runs it). This process holds the
"bot side" (its own `Services` on the same database and Redis, as a bot process has), a dashboard WebSocket
client in the guild's room, the HTTP clients, and a Discord sandbox that answers the API's OAuth calls. All times
are `time.perf_counter()` readings of this one process, so they compare directly.

1. Sync: N sequential `PATCH /api/guilds/{id}/settings` (a new prefix each). For each, from "API write accepted"
   (the PATCH response received by the client) to
   - "bot cache invalidated": the bot-side GuildConfigService drops its L1 entry (its invalidation listener), and
   - "WebSocket message received": the dashboard client receives the matching `config:updated`.
   The config service publishes right after its commit, *before* the API answers, so these can be ~0 or negative
   (the message overtook the response): both are also given from "PATCH sent" (the whole write, database included).
2. Throughput: `GET /api/guilds/{id}/settings` (warm: every cache hit, as a dashboard polling it) by keep-alive
   aiohttp connections for a few seconds, from `wolaro api` with rate limits off, `wolaro api` with the per-IP and
   per-user limits on over Redis, and a one-route FastAPI app under the same server
   (`benchmarks/_baseline_api.py`), all three up at once and measured in turn for `--rounds` rounds (a burst of
   other load on the machine then hits all three); figures: each one's best round in req/s, every round, and the
   ratios to the baseline; and each server process's own CPU time per request (`/proc`, best round) with the
   requests per second one fully used core would serve at that cost (`rps_at_one_core`): on a machine whose cores
   the load client, Redis and other work share, req/s says as much about them as about the server.

`--profile DIR` runs each `wolaro api` under cProfile (stats written to DIR when it stops: read them with
`python -m pstats`); `--writes 0` skips part 1.

Prints ONE JSON line on stdout; progress goes to stderr. Redis: 127.0.0.1:6379 (or --redis-url), a unique key
prefix removed afterwards. Database: a temporary SQLite file (or --database-url, e.g. PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from _harness import forget, report
from pydantic import SecretStr

from wolaro.core.services import Services
from wolaro.data.models import BotGuild, utcnow
from wolaro.sandbox import Sandbox, payloads
from wolaro.sandbox.oauth import emulator
from wolaro.settings import Settings
from wolaro.web.security import CSRF_HEADER, SESSION_COOKIE, TokenCipher, Tokens
from wolaro.web.sessions import SessionStore

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-key-" + secrets.token_hex(16)


def say(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(values, 0.50), 3),
        "p99": round(percentile(values, 0.99), 3),
        "max": round(max(values), 3),
    }


@contextlib.contextmanager
def subprocess_server(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]  # noqa: ASYNC240 - once, on failure
                raise RuntimeError(f"server exited ({process.returncode}):\n{tail}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status < 500:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


# ------------------------------------------------------------------------------------------------ sync latency
async def measure_sync(
    base: str, guild_id: int, cookies: dict[str, str], csrf: str, bot: Services, writes: int
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    dropped: dict[str, Any] = {"event": asyncio.Event(), "at": 0.0}

    async def on_drop(dropped_guild: int | None) -> None:
        if dropped_guild == guild_id:
            dropped["at"] = time.perf_counter()
            dropped["event"].set()

    bot.config.add_invalidation_listener(on_drop)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    headers = {CSRF_HEADER: csrf, "Content-Type": "application/json"}
    url = f"{base}/api/guilds/{guild_id}/settings"
    to_bot, to_ws, bot_from_request, ws_from_request, write_ms = [], [], [], [], []
    ws_url = base.replace("http", "ws", 1) + f"/ws?guild_id={guild_id}"
    async with (
        connect(ws_url, additional_headers={"Cookie": cookie}, proxy=None) as ws,
        aiohttp.ClientSession(cookies=cookies) as http,
    ):
        while orjson.loads(await ws.recv())["type"] != "joined":
            pass
        for i in range(writes):
            prefix = f"b{i}!"
            await bot.config.get(guild_id)  # the bot holds the guild in L1, as it does while messages flow
            dropped["event"].clear()
            sent = time.perf_counter()
            async with http.patch(url, data=orjson.dumps({"prefix": prefix}), headers=headers) as response:
                body = await response.read()
                accepted = time.perf_counter()
                if response.status != 200:
                    raise RuntimeError(f"PATCH answered {response.status}: {body[:300]!r}")
            while True:
                message = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                if message["type"] == "config:updated" and message["data"].get("settings", {}).get("prefix") == prefix:
                    received = time.perf_counter()
                    break
            await asyncio.wait_for(dropped["event"].wait(), 5)
            write_ms.append((accepted - sent) * 1000)
            to_bot.append((dropped["at"] - accepted) * 1000)
            to_ws.append((received - accepted) * 1000)
            bot_from_request.append((dropped["at"] - sent) * 1000)
            ws_from_request.append((received - sent) * 1000)
    return {
        "writes": writes,
        "write_accepted_to_bot_cache_dropped_ms": summary(to_bot),
        "write_accepted_to_websocket_ms": summary(to_ws),
        "patch_sent_to_bot_cache_dropped_ms": summary(bot_from_request),
        "patch_sent_to_websocket_ms": summary(ws_from_request),
        "patch_round_trip_ms": summary(write_ms),
    }


# ------------------------------------------------------------------------------------------------ throughput
def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used (Linux `/proc`; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(
    url: str, cookies: dict[str, str], seconds: float, concurrency: int, pid: int | None = None
) -> tuple[float, float | None]:
    """Requests per second that `concurrency` keep-alive connections get from `url` (after a short warm-up), and
    the server process `pid`'s CPU microseconds per request meanwhile (None without `pid` or `/proc`)."""
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(cookies=cookies, connector=connector) as http:
        count = 0
        stop_at = 0.0
        measuring = False

        async def worker() -> None:
            nonlocal count
            while True:
                async with http.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"GET {url} answered {response.status}")
                now = time.perf_counter()
                if now >= stop_at:
                    return
                if measuring:
                    count += 1

        stop_at = time.perf_counter() + 1.0  # warm-up: connections opened, caches and JIT-ish paths hot
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        count = 0
        measuring = True
        cpu_before = cpu_seconds(pid) if pid is not None else None
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        rps = count / (time.perf_counter() - started)
        cpu_after = cpu_seconds(pid) if pid is not None else None
        if cpu_before is None or cpu_after is None or not count:
            return rps, None
        return rps, (cpu_after - cpu_before) / count * 1e6


# ------------------------------------------------------------------------------------------------ main
@contextlib.contextmanager
def api_process(
    env: dict[str, str], log: Path, profile: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`wolaro api` on a free port (uvloop, as production runs it); under cProfile into `profile` if given."""
    port = free_port()
    wrapper = ["-m", "cProfile", "-o", str(profile)] if profile is not None else []
    cmd = [sys.executable, *wrapper, "-m", "wolaro.cli", "api", "--host", "127.0.0.1", "--port", str(port)]
    with subprocess_server(cmd, env, log) as process:
        yield f"http://127.0.0.1:{port}", process


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="wolaro-bench-sync-"))
    prefix = f"wolaro-bench-{secrets.token_hex(6)}:"
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    try:
        async with Sandbox(guilds=1, members_per_guild=5) as sb:
            guild_id = sb.guild_ids()[0]
            owner = sb.owner_id(guild_id)
            oauth = emulator(sb)
            values: dict[str, Any] = {
                "discord_token": SecretStr(sb.token),
                "discord_api_base": sb.api_base,
                "discord_client_id": sb.application_id,
                "discord_client_secret": SecretStr(oauth.client_secret),
                "secret_key": SecretStr(SECRET),
                "database_url": database_url,
                "redis_url": args.redis_url,
                "redis_prefix": prefix,
                "api_rate_limits": False,
                "data_dir": workdir,
                "log_level": "WARNING",
            }
            bot_settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
            env = {
                "DISCORD_TOKEN": sb.token,
                "DISCORD_API_BASE": sb.api_base,
                "DISCORD_CLIENT_ID": str(sb.application_id),
                "DISCORD_CLIENT_SECRET": oauth.client_secret,
                "SECRET_KEY": SECRET,
                "DATABASE_URL": database_url,
                "REDIS_URL": args.redis_url,
                "REDIS_PREFIX": prefix,
                "API_RATE_LIMITS": "false",
                "DATA_DIR": str(workdir),
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "json",
                "PYTHONUNBUFFERED": "1",
            }
            say(f"database {database_url.split(':')[0]}, redis {args.redis_url} prefix {prefix}")
            bot = await Services.start(bot_settings)  # migrates the database first
            try:
                async with bot.db.transaction() as session:
                    session.add(BotGuild(id=guild_id, shard_id=0, name="bench", seen_at=utcnow()))
                sessions = SessionStore(bot.db, TokenCipher(SECRET))  # the API process derives the same key
                record = await sessions.create(owner, oauth.issue_token(owner), max_age=86_400)
                jwt_value, claims = Tokens(SECRET, max_age=86_400).issue(
                    payloads.user(sb.state.users[owner]), record.id
                )
                cookies = {SESSION_COOKIE: jwt_value, "wolaro_csrf": claims.csrf}
                result: dict[str, Any] = {
                    "database": database_url.split("+")[0].split(":")[0],
                    "redis": args.redis_url.split("@")[-1],
                }
                profiles: Path | None = args.profile  # made by main()
                # the same API with the per-IP and per-user rate limits on (Redis), quotas too high to refuse anything
                limited = {**env, "API_RATE_LIMITS": "true", "API_RATE_IP": "10000000/minute"}
                limited["API_RATE_USER"] = "10000000/minute"
                baseline_port = free_port()
                baseline_cmd = [sys.executable, str(ROOT / "benchmarks" / "_baseline_api.py"), str(baseline_port)]
                path = f"/api/guilds/{guild_id}/settings"
                with (
                    api_process(env, workdir / "api.log", profiles and profiles / "api.prof") as (base, api),
                    api_process(limited, workdir / "api-limited.log", profiles and profiles / "api-limited.prof") as (
                        limited_base,
                        limited_api,
                    ),
                    subprocess_server(baseline_cmd, {}, workdir / "baseline.log") as baseline,
                ):
                    baseline_base = f"http://127.0.0.1:{baseline_port}"
                    await wait_http(f"{base}/api/health", api, workdir / "api.log")
                    await wait_http(f"{limited_base}/api/health", limited_api, workdir / "api-limited.log")
                    await wait_http(baseline_base + path, baseline, workdir / "baseline.log")
                    if args.writes > 0:
                        say(f"wolaro api on {base}; {args.writes} writes...")
                        result.update(await measure_sync(base, guild_id, cookies, claims.csrf, bot, args.writes))
                        say(json.dumps(result))
                    say(f"GET throughput, {args.concurrency} connections, {args.rounds} rounds of {args.seconds} s...")
                    servers = {
                        "get_settings_rps": (base + path, cookies, api.pid),
                        "get_settings_rps_rate_limited": (limited_base + path, cookies, limited_api.pid),
                        "baseline_rps": (baseline_base + path, {}, baseline.pid),
                    }
                    rounds: dict[str, list[int]] = {name: [] for name in servers}
                    cpu: dict[str, list[float]] = {name: [] for name in servers}
                    for _ in range(args.rounds):  # interleaved: a burst of other load on the machine hits all three
                        for name, (url, jar, pid) in servers.items():
                            rps, cpu_us = await load(url, jar, args.seconds, args.concurrency, pid)
                            rounds[name].append(round(rps))
                            if cpu_us is not None:
                                cpu[name].append(round(cpu_us, 1))
                    say(json.dumps(rounds))
                for name, figures in rounds.items():
                    result[name] = max(figures)  # the best round: the least disturbed by the machine's other load
                result["rounds"] = rounds
                if all(cpu.values()):
                    # the server's own CPU per request (its best round): what one fully used core would serve,
                    # whatever the load client and the machine's other processes take meanwhile
                    labels = dict(zip(servers, ("wolaro", "wolaro_rate_limited", "baseline"), strict=True))
                    best_cpu = {labels[name]: min(values) for name, values in cpu.items()}
                    result["server_cpu_us_per_request"] = best_cpu
                    result["rps_at_one_core"] = {name: round(1e6 / us) for name, us in best_cpu.items()}
                    result["cpu_rounds"] = {labels[name]: values for name, values in cpu.items()}
                result["get_vs_baseline"] = round(result["get_settings_rps"] / result["baseline_rps"], 3)
                result["rate_limited_vs_baseline"] = round(
                    result["get_settings_rps_rate_limited"] / result["baseline_rps"], 3
                )
                result["rate_limited_vs_baseline_per_round"] = [
                    round(limited_rps / baseline_rps, 3)
                    for limited_rps, baseline_rps in zip(
                        rounds["get_settings_rps_rate_limited"], rounds["baseline_rps"], strict=True
                    )
                ]
                result["concurrency"] = args.concurrency
                result["seconds"] = args.seconds
                result["rounds_run"] = args.rounds
                result["targets"] = {"patch_sent_to_websocket_p99_ms": 20, "get_settings_rps": 3000}
                return result
            finally:
                await bot.close()
    finally:
        forget(args.redis_url, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=500, help="PATCHes timed for the sync latency")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput run")
    parser.add_argument("--concurrency", type=int, default=32, help="keep-alive connections of the load client")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (each server once per round)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--profile", type=Path, default=None, help="run each `wolaro api` under cProfile into DIR")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    report(run(args))


if __name__ == "__main__":
    main()
