"""A REST request's route bucket and the global budget in one script run: one round trip, the same waits as before.

Before, a request ran `_TAKE_ROUTE` (its route's shared bucket, waiting for the reset if spent) and then `_TAKE` (the
global window): two round trips. `RestBudget.take_request` runs both in one script; these tests hold it to the same
decisions, state changes and fall-back while Redis is down.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from redis.asyncio import Redis

from wolaro.core.rest_budget import (
    _TAKE,
    _TAKE_ROUTE,
    MAX_ROUTE_WAIT_S,
    RESET_MARGIN_S,
    WINDOW_S,
    RestBudget,
    route_of,
)
from wolaro.data.cache import redis_client

pytestmark = pytest.mark.asyncio

SEND = "/api/v10/channels/111/messages"
ROUTE = route_of("POST", SEND)
assert ROUTE is not None


def headers(remaining: int, reset_after: float, *, limit: int = 5) -> dict[str, str]:
    return {
        "X-RateLimit-Bucket": "abc123",
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset-After": str(reset_after),
    }


def budget_at(redis_url: str, prefix: str, *, limit: int = 50) -> RestBudget:
    return RestBudget(redis_client(redis_url), limit=limit, key=f"{prefix}discord:rest:global")


async def count_commands(budget: RestBudget, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every command the budget's client sends from now on (its name), its scripts loaded first."""
    client = budget.redis
    assert client is not None
    for script in (budget._take_global, budget._take_both):
        await client.script_load(script.script)
    sent: list[str] = []
    original = client.execute_command

    async def execute_command(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await original(*args, **options)

    monkeypatch.setattr(client, "execute_command", execute_command)
    return sent


async def test_one_round_trip_per_request_route_known_or_not(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = budget_at(redis_url, redis_prefix)
    assert budget.routes is not None
    sent = await count_commands(budget, monkeypatch)
    await budget.take_request("POST", SEND)  # nothing known of the route yet
    await budget.routes.record("POST", SEND, 200, headers(remaining=3, reset_after=5))
    del sent[:]
    for _ in range(3):
        await budget.take_request("POST", SEND)  # the route's bucket known: one of its 3 taken each time
    assert sent == ["EVALSHA"] * 3
    assert budget.waited_s == budget.routes.waited_s == 0
    # before: the route's script, then the global window's
    del sent[:]
    route = route_of("GET", "/api/v10/channels/111/messages")
    assert route is not None and budget.redis is not None
    routes = budget.routes
    await budget.redis.eval(_TAKE_ROUTE, 1, routes.routes + route[0], routes.buckets, route[1], RESET_MARGIN_S)  # type: ignore[misc]
    await budget.take()
    assert len(sent) == 2
    await budget.close()


async def test_a_spent_route_waits_for_its_reset_then_takes_one_of_each(redis_url: str, redis_prefix: str) -> None:
    budget = budget_at(redis_url, redis_prefix, limit=3)
    assert budget.routes is not None and budget.redis is not None
    await budget.routes.record("POST", SEND, 200, headers(remaining=1, reset_after=0.3))
    await budget.take_request("POST", SEND)
    assert budget.routes.waited_s == 0
    await budget.take_request("POST", SEND)  # none left: waits for the reset, then the new window's first
    assert 0.2 <= budget.routes.waited_s <= 0.5
    assert await budget.redis.zcard(budget.key) == 2  # one global slot per request, none while it waited
    bucket = f"{budget.routes.buckets}abc123:111"
    assert int(await budget.redis.hget(bucket, "remaining")) == 4  # the new window: 5, this request took one
    await budget.take_request("POST", SEND)
    await budget.take_request("POST", SEND)  # the global window (3 in 1.1 s) makes this one wait
    assert budget.waited_s > 0.5
    assert int(await budget.redis.hget(bucket, "remaining")) == 2  # its route's request taken once, not per try
    await budget.close()


async def test_a_reset_past_the_bound_is_left_to_discord_py_in_the_same_round_trip(
    redis_url: str, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = budget_at(redis_url, redis_prefix)
    assert budget.routes is not None and budget.redis is not None
    await budget.routes.record("POST", SEND, 200, headers(remaining=0, reset_after=3000))
    sent = await count_commands(budget, monkeypatch)
    await budget.take_request("POST", SEND)
    assert sent == ["EVALSHA"]
    assert budget.routes.waited_s == 0  # not held: discord.py sleeps or raises as it is configured to
    assert await budget.redis.zcard(budget.key) == 1  # the global slot taken all the same
    await budget.close()


async def old_first_try(client: Redis, budget: RestBudget, waited: float, member: str) -> float:
    """One try as the code before did it: the route's script, then (unless it waits) the global window's."""
    routes = budget.routes
    assert routes is not None and ROUTE is not None
    wait_ms = await client.eval(_TAKE_ROUTE, 1, routes.routes + ROUTE[0], routes.buckets, ROUTE[1], RESET_MARGIN_S)  # type: ignore[misc]
    delay = int(wait_ms) / 1000
    if delay > 0 and waited + delay <= MAX_ROUTE_WAIT_S:
        return -delay
    wait_ms = await client.eval(_TAKE, 1, budget.key, WINDOW_S, budget.limit, member)  # type: ignore[misc]
    return int(wait_ms) / 1000


async def put_state(client: Redis, budget: RestBudget, state: dict[str, Any]) -> None:
    """A route (known or not), its bucket and the global window, as other processes' requests left them."""
    routes = budget.routes
    assert routes is not None and ROUTE is not None
    seconds, micros = await client.time()
    now = seconds + micros / 1_000_000
    await client.delete(routes.routes + ROUTE[0], routes.buckets + "b1:111", budget.key)
    if state["route_known"]:
        await client.set(routes.routes + ROUTE[0], "b1")
    if state["bucket_known"]:
        await client.hset(
            routes.buckets + "b1:111",
            mapping={
                "limit": state["limit"],
                "remaining": state["remaining"],
                "reset_at": now + state["reset_in"],
                "window": state["window"],
            },
        )
    for index in range(state["global_count"]):
        await client.zadd(budget.key, {f"other:{index}": now - 0.9 * index / max(1, state["global_count"])})


async def observe(client: Redis, budget: RestBudget) -> tuple[Any, ...]:
    routes = budget.routes
    assert routes is not None
    remaining, reset_at = await client.hmget(routes.buckets + "b1:111", ["remaining", "reset_at"])
    seconds, micros = await client.time()
    now = seconds + micros / 1_000_000
    return (
        None if remaining is None else int(remaining),
        None if reset_at is None else float(reset_at) - now,
        await client.zcard(budget.key),
    )


async def test_same_decisions_and_state_as_the_two_scripts_one_after_the_other(
    redis_url: str, redis_prefix: str
) -> None:
    """Random states of a route's bucket and of the global window: one try of each way, then compare."""
    client = redis_client(redis_url)
    old, new = (
        budget_at(redis_url, redis_prefix + "old:", limit=3),
        budget_at(redis_url, redis_prefix + "new:", limit=3),
    )
    rng = random.Random(5)
    kinds: set[str] = set()
    try:
        for case in range(300):
            state = {
                "route_known": rng.random() < 0.85,
                "bucket_known": rng.random() < 0.9,
                "limit": (limit := rng.randint(1, 5)),
                "remaining": rng.randint(0, limit),
                "reset_in": rng.choice([-0.5, 0.2, 3.0, 20.0]),  # none near the bound: the two runs are ms apart
                "window": rng.choice([1.0, 5.0]),
                "global_count": rng.randint(0, 4),
            }
            waited = rng.choice([0.0, 5.0, 9.5])
            await put_state(client, old, state)
            await put_state(client, new, state)
            before = await old_first_try(client, old, waited, f"m{case}")
            after = await new._try(ROUTE, waited)
            assert (before > 0, before < 0) == (after > 0, after < 0), (state, waited)
            assert after == pytest.approx(before, abs=0.05), (state, waited)
            seen_old, seen_new = await observe(client, old), await observe(client, new)
            assert seen_new[0] == seen_old[0] and seen_new[2] == seen_old[2], (state, waited)
            if seen_old[1] is not None:
                assert seen_new[1] == pytest.approx(seen_old[1], abs=0.05), (state, waited)
            kinds.add("route waits" if after < 0 else "global waits" if after > 0 else "goes")
        assert kinds == {"route waits", "global waits", "goes"}
    finally:
        for budget in (old, new):
            await budget.close()
        await client.aclose()


async def test_redis_down_counts_the_global_window_in_this_process_and_holds_no_route(
    redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    budget = RestBudget(redis_client("redis://127.0.0.1:1/0"), limit=2, key=f"{redis_prefix}discord:rest:global")
    assert budget.routes is not None and budget.redis is not None
    tries: list[str] = []
    original = budget.redis.execute_command

    async def execute_command(*args: Any, **options: Any) -> Any:
        tries.append(str(args[0]))
        return await original(*args, **options)

    monkeypatch.setattr(budget.redis, "execute_command", execute_command)
    await budget.take_request("POST", SEND)
    await budget.take_request("POST", SEND)
    assert budget.waited_s < 0.5 and budget.routes.waited_s == 0  # (a failed try's own time counts, as before)
    assert tries == ["EVALSHA", "EVALSHA"]  # one failed try each (before: the route's, then the global window's)
    await budget.take_request("POST", SEND)  # this process's window of 2 per 1.1 s is full: waits for its oldest
    assert 0.8 < budget.waited_s < 1.5
    assert budget.routes.waited_s == 0
    await budget.close()
