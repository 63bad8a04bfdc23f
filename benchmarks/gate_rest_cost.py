"""CPU time and Redis round trips of the two rate-limit steps every command and every REST request pass, over Redis.

- `command_gate`: the rate limits of `WolaroBot._gate`: the command's cooldown, then (only if it allowed the command)
  the user's global rate. `sequential` is two `RateLimiter.hit` calls one after the other (the gate until this
  benchmark's commit); `in_order` is one `RateLimiter.hit_in_order` call (when the code has it).
- `rest_request`: what each Discord REST request waits for before it is sent: its route's shared bucket, then the
  global budget. `sequential` is `RouteBuckets.take` then `RestBudget.take`; `one_script` is
  `RestBudget.take_request` (when the code has it). The route's bucket is known (recorded from an answer) and
  limits are too high to refuse anything.

Each is run with 1 and with `--concurrency` callers at once (the limiter shares round trips between concurrent
callers), `--ops` operations per round, `--rounds` rounds; the figure is the best round's CPU time of this process
per operation (`time.process_time`, uvloop), and the Redis commands this process sent per operation. Redis's own
time is not CPU time of this process.

Prints ONE JSON line; needs Redis at 127.0.0.1:6379 (or --redis-url), keys under a unique prefix removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _harness import forget, report

from wolaro.core.ratelimit import RateLimiter
from wolaro.core.rest_budget import _TAKE_ROUTE, RESET_MARGIN_S, RestBudget, route_of
from wolaro.data.cache import redis_client

SEND = "/api/v10/channels/111/messages"
HIGH = "10000000/minute"
USERS = 2000
Op = Callable[[int], Awaitable[None]]


def count_commands(client: Any) -> list[int]:
    """Count every command `client` (a redis.asyncio.Redis) sends: `[n]`, updated in place."""
    sent = [0]
    original = client.execute_command

    async def execute_command(*args: Any, **options: Any) -> Any:
        sent[0] += 1
        return await original(*args, **options)

    client.execute_command = execute_command
    return sent


async def run(op: Op, ops: int, concurrency: int) -> None:
    async def worker(start: int) -> None:
        for n in range(start, ops, concurrency):
            await op(n)

    await asyncio.gather(*(worker(start) for start in range(concurrency)))


async def figures(ops: dict[str, Op], sent: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """Per op name and concurrency: best round's CPU µs per operation and Redis commands per operation."""
    result: dict[str, Any] = {}
    for concurrency in (1, args.concurrency):
        for name, op in ops.items():
            await run(op, 200, concurrency)  # warm: scripts loaded, connections open
            best, commands = float("inf"), 0.0
            for _ in range(args.rounds):
                before, started = sent[0], time.process_time()
                await run(op, args.ops, concurrency)
                best = min(best, (time.process_time() - started) / args.ops * 1e6)
                commands = (sent[0] - before) / args.ops
            result[f"{name}_c{concurrency}"] = {"cpu_us": round(best, 1), "redis_commands": round(commands, 3)}
    return result


async def command_gate(args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    limiter = RateLimiter(args.redis_url, prefix=prefix)
    assert limiter._shared_storage is not None
    sent = count_commands(limiter._shared_storage.bridge.get_connection())

    async def sequential(n: int) -> None:
        user = str(n % USERS)
        wait = await limiter.hit(HIGH, "command", "ping", user)
        if not wait:
            wait = await limiter.hit(HIGH, "user", user)
        assert not wait

    ops: dict[str, Op] = {"sequential": sequential}
    if hasattr(limiter, "hit_in_order"):

        async def in_order(n: int) -> None:
            user = str(n % USERS)
            assert not await limiter.hit_in_order((HIGH, ("command", "ping", user)), (HIGH, ("user", user)))

        ops["in_order"] = in_order
    return await figures(ops, sent, args)


async def rest_request(args: argparse.Namespace, prefix: str) -> dict[str, Any]:
    budget = RestBudget(redis_client(args.redis_url), limit=10**9, key=f"{prefix}discord:rest:global")
    routes = budget.routes
    assert routes is not None
    headers = {
        "X-RateLimit-Bucket": "bench",
        "X-RateLimit-Limit": str(10**9),
        "X-RateLimit-Remaining": str(10**9),
        "X-RateLimit-Reset-After": "3600",
    }
    await routes.record("POST", SEND, 200, headers)
    sent = count_commands(budget.redis)

    route = route_of("POST", SEND)
    assert route is not None and budget.redis is not None
    redis = budget.redis

    async def sequential(n: int) -> None:  # before: the route's script, then the global window's
        await redis.eval(_TAKE_ROUTE, 1, routes.routes + route[0], routes.buckets, route[1], RESET_MARGIN_S)  # type: ignore[misc]
        await budget.take()

    ops: dict[str, Op] = {"sequential": sequential}
    if hasattr(budget, "take_request"):

        async def one_script(n: int) -> None:
            await budget.take_request("POST", SEND)

        ops["one_script"] = one_script
    try:
        result = await figures(ops, sent, args)
    finally:
        await budget.close()
    if routes.waited_s:
        raise RuntimeError("a request waited for its route: the limits were meant to be too high to refuse")
    return result


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    prefix = f"wolaro-bench-{secrets.token_hex(6)}:"
    try:
        return {
            "command_gate": await command_gate(args, prefix),
            "rest_request": await rest_request(args, prefix),
            "ops_per_round": args.ops,
            "rounds": args.rounds,
        }
    finally:
        forget(args.redis_url, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=4000, help="operations per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the best one is kept)")
    parser.add_argument("--concurrency", type=int, default=32, help="callers at once in the second set")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()
    report(measure(args))


if __name__ == "__main__":
    main()
