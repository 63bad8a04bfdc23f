"""Per-route REST buckets shared through Redis: what a route is, what an answer records, when a request waits."""

from __future__ import annotations

import asyncio

import pytest

from wolaro.core.rest_budget import RestBudget, route_of
from wolaro.data.cache import redis_client

SEND = "/api/v10/channels/111/messages"


def headers(remaining: int, reset_after: float, *, limit: int = 5, bucket: str = "abc123") -> dict[str, str]:
    return {
        "X-RateLimit-Bucket": bucket,
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset-After": str(reset_after),
    }


def test_a_route_is_its_method_and_path_with_ids_left_out_and_its_major_parameter() -> None:
    assert route_of("post", SEND) == ("POST /channels/{}/messages", "111")
    assert route_of("PUT", "/api/v10/guilds/5/bans/6") == ("PUT /guilds/{}/bans/{}", "5")
    assert route_of("GET", "/api/v10/users/@me") == ("GET /users/@me", "")
    # interaction and webhook paths carry tokens: never a shared bucket (their keys would hold the token)
    assert route_of("POST", "/api/v10/interactions/1/secret-token/callback") is None
    assert route_of("POST", "/api/v10/webhooks/1/secret-token") is None
    assert route_of("GET", "/gateway") is None


class Requests:
    """A process's REST budget with shared buckets: `take` is what each request waits for (route, then global)."""

    def __init__(self, budget: RestBudget) -> None:
        assert budget.routes is not None
        self.budget, self.routes = budget, budget.routes

    async def take(self, method: str, path: str) -> None:
        await self.budget.take_request(method, path)

    async def record(self, method: str, path: str, status: int, headers: dict[str, str]) -> None:
        await self.routes.record(method, path, status, headers)

    @property
    def waited_s(self) -> float:
        """Seconds spent waiting for route buckets."""
        return self.routes.waited_s


@pytest.fixture
async def buckets(redis_url: str, redis_prefix: str) -> Requests:
    return Requests(RestBudget(redis_client(redis_url), key=f"{redis_prefix}discord:rest:global"))


async def test_nothing_known_nothing_held(buckets: Requests) -> None:
    for _ in range(10):
        await buckets.take("POST", SEND)
    assert buckets.waited_s == 0  # no bucket learned yet: discord.py alone decides


async def test_requests_take_the_remaining_then_wait_for_the_reset(buckets: Requests) -> None:
    await buckets.record("POST", SEND, 200, headers(remaining=2, reset_after=0.5))
    await buckets.take("POST", SEND)
    await buckets.take("POST", SEND)
    assert buckets.waited_s == 0
    await buckets.take("POST", SEND)  # none left: waits for the reset Discord announced
    assert buckets.waited_s >= 0.3
    # a new window holds the limit again (this request took one of its 5)
    for _ in range(4):
        await buckets.take("POST", SEND)
    assert buckets.waited_s < 1.0


async def test_other_channels_and_routes_are_other_buckets(buckets: Requests) -> None:
    await buckets.record("POST", SEND, 200, headers(remaining=0, reset_after=5))
    await buckets.take("POST", "/api/v10/channels/222/messages")  # another major parameter
    await buckets.take("GET", "/api/v10/channels/111/messages")  # another route, its bucket not learned
    assert buckets.waited_s == 0


async def test_an_answer_counting_fewer_requests_than_were_taken_does_not_give_them_back(
    buckets: Requests,
) -> None:
    await buckets.record("POST", SEND, 200, headers(remaining=3, reset_after=5))
    for _ in range(3):
        await buckets.take("POST", SEND)  # another process took the 3 left
    await buckets.record("POST", SEND, 200, headers(remaining=2, reset_after=4.9))  # an older request's answer
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):
            await buckets.take("POST", SEND)


async def test_a_route_429_empties_the_bucket_until_retry_after(buckets: Requests) -> None:
    limited = {**headers(remaining=0, reset_after=0.4), "Retry-After": "1", "X-RateLimit-Scope": "user"}
    await buckets.record("POST", SEND, 429, limited)
    await buckets.take("POST", SEND)
    assert buckets.waited_s >= 0.2


async def test_a_long_429_does_not_make_later_windows_longer(buckets: Requests) -> None:
    await buckets.record("POST", SEND, 200, headers(remaining=4, reset_after=0.3))  # a 0.3 s window
    await buckets.record("POST", SEND, 429, headers(remaining=0, reset_after=0.9))  # a 429 telling 0.9 s
    await buckets.take("POST", SEND)  # waits for that reset, then opens a new window
    first = buckets.waited_s
    for _ in range(5):  # the new window's other 4 requests, then one more: it waits for that window's end
        await buckets.take("POST", SEND)
    assert 0 < buckets.waited_s - first <= 0.4  # the window is 0.3 s long, as Discord's answers said, not 0.9 s


async def test_a_wait_longer_than_the_bound_is_left_to_discord_py(buckets: Requests) -> None:
    await buckets.record("POST", SEND, 200, headers(remaining=0, reset_after=3000))
    await buckets.take("POST", SEND)
    assert buckets.waited_s == 0  # not held at all: discord.py sleeps or raises as it is configured to


async def test_without_redis_there_are_no_shared_buckets() -> None:
    assert RestBudget(None).routes is None
