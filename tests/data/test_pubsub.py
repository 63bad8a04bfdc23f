"""Pub/sub: delivery in one process and across processes, isolation, failures, and a Redis restart."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from wolaro.data.pubsub import (
    CONFIG_UPDATE,
    MODULE_TOGGLE,
    MemoryPubSub,
    PubSub,
    RedisPubSub,
    make_pubsub,
)

Received = list[tuple[str, dict[str, Any]]]


def recorder(into: Received) -> Any:
    async def handler(channel: str, message: dict[str, Any]) -> None:
        into.append((channel, message))

    return handler


# --------------------------------------------------------------------------- both backends


async def test_publish_reaches_every_subscriber_of_the_channel(any_pubsub: PubSub, eventually) -> None:
    first: Received = []
    second: Received = []
    other: Received = []
    any_pubsub.subscribe(CONFIG_UPDATE, recorder(first))
    any_pubsub.subscribe(CONFIG_UPDATE, recorder(second))
    any_pubsub.subscribe(MODULE_TOGGLE, recorder(other))
    assert await any_pubsub.wait_subscribed()

    await any_pubsub.publish(CONFIG_UPDATE, {"guild_id": 1, "keys": ["prefix"], "big": 2**62})
    await eventually(lambda: first and second)
    assert first == second == [(CONFIG_UPDATE, {"guild_id": 1, "keys": ["prefix"], "big": 2**62})]
    assert other == []
    assert any_pubsub.available is True


async def test_each_handler_gets_its_own_copy(any_pubsub: PubSub, eventually) -> None:
    seen: Received = []

    async def mutating(channel: str, message: dict[str, Any]) -> None:
        message["guild_id"] = "changed"

    any_pubsub.subscribe(CONFIG_UPDATE, mutating)
    any_pubsub.subscribe(CONFIG_UPDATE, recorder(seen))
    assert await any_pubsub.wait_subscribed()
    original = {"guild_id": 5}
    await any_pubsub.publish(CONFIG_UPDATE, original)
    await eventually(lambda: seen)
    assert seen == [(CONFIG_UPDATE, {"guild_id": 5})]
    assert original == {"guild_id": 5}


async def test_a_failing_handler_does_not_break_the_others(any_pubsub: PubSub, eventually) -> None:
    seen: Received = []

    async def broken(channel: str, message: dict[str, Any]) -> None:
        raise RuntimeError("handler bug")

    async def slow(channel: str, message: dict[str, Any]) -> None:
        await asyncio.sleep(30)  # never finishes during the test: must not delay the others

    any_pubsub.subscribe(CONFIG_UPDATE, broken)
    any_pubsub.subscribe(CONFIG_UPDATE, slow)
    any_pubsub.subscribe(CONFIG_UPDATE, recorder(seen))
    assert await any_pubsub.wait_subscribed()
    for guild_id in range(3):
        await any_pubsub.publish(CONFIG_UPDATE, {"guild_id": guild_id})
    await eventually(lambda: len(seen) == 3)
    assert sorted(message["guild_id"] for _, message in seen) == [0, 1, 2]


async def test_unsubscribe_stops_delivery(any_pubsub: PubSub, eventually) -> None:
    kept: Received = []
    dropped: Received = []
    keep, drop = recorder(kept), recorder(dropped)
    any_pubsub.subscribe(CONFIG_UPDATE, keep)
    any_pubsub.subscribe(CONFIG_UPDATE, drop)
    assert await any_pubsub.wait_subscribed()
    any_pubsub.unsubscribe(CONFIG_UPDATE, drop)
    any_pubsub.unsubscribe(CONFIG_UPDATE, drop)  # twice is harmless
    await any_pubsub.publish(CONFIG_UPDATE, {"n": 1})
    await eventually(lambda: kept)
    any_pubsub.unsubscribe(CONFIG_UPDATE, keep)
    await any_pubsub.publish(CONFIG_UPDATE, {"n": 2})
    # A sentinel on another channel, published after, arrives after anything still in flight.
    sentinel: Received = []
    any_pubsub.subscribe(MODULE_TOGGLE, recorder(sentinel))
    assert await any_pubsub.wait_subscribed()
    await any_pubsub.publish(MODULE_TOGGLE, {"done": True})
    await eventually(lambda: sentinel)
    assert kept == [(CONFIG_UPDATE, {"n": 1})]
    assert dropped == []


def test_make_pubsub_without_redis_is_memory(make_settings) -> None:
    assert isinstance(make_pubsub(make_settings()), MemoryPubSub)


# --------------------------------------------------------------------------- Redis: several processes


@pytest.mark.redis
def test_make_pubsub_with_redis(make_settings, redis_url: str, redis_prefix: str) -> None:
    pubsub = make_pubsub(make_settings(redis_url=redis_url, redis_prefix=redis_prefix, redis_health_interval=4))
    assert isinstance(pubsub, RedisPubSub)
    assert pubsub.prefix == redis_prefix
    assert pubsub.reconnect_max == 4
    asyncio.run(pubsub.close())


async def _started(url: str, prefix: str, **kwargs: Any) -> RedisPubSub:
    pubsub = RedisPubSub(url, prefix=prefix, **kwargs)
    await pubsub.start()
    return pubsub


@pytest.mark.redis
async def test_every_process_including_the_writer_sees_each_message_once(
    redis_url: str, redis_prefix: str, eventually
) -> None:
    bot = await _started(redis_url, redis_prefix)
    api = await _started(redis_url, redis_prefix)
    elsewhere = await _started(redis_url, redis_prefix.replace("wolaro-test-", "wolaro-test-other-"))
    bot_seen: Received = []
    api_seen: Received = []
    elsewhere_seen: Received = []
    try:
        bot.subscribe(CONFIG_UPDATE, recorder(bot_seen))
        api.subscribe(CONFIG_UPDATE, recorder(api_seen))
        elsewhere.subscribe(CONFIG_UPDATE, recorder(elsewhere_seen))
        for pubsub in (bot, api, elsewhere):
            assert await pubsub.wait_subscribed()

        await api.publish(CONFIG_UPDATE, {"guild_id": 1})
        await bot.publish(CONFIG_UPDATE, {"guild_id": 2})
        await elsewhere.publish(CONFIG_UPDATE, {"guild_id": "other deployment"})
        # Sentinels: each connection receives in publish order, so duplicates would arrive before these.
        await api.publish(CONFIG_UPDATE, {"guild_id": "end"})
        await elsewhere.publish(CONFIG_UPDATE, {"guild_id": "end"})
        await eventually(lambda: all(seen and seen[-1][1]["guild_id"] == "end" for seen in (bot_seen, api_seen)))
        await eventually(lambda: elsewhere_seen and elsewhere_seen[-1][1]["guild_id"] == "end")
        expected = [{"guild_id": 1}, {"guild_id": 2}, {"guild_id": "end"}]
        assert [message for _, message in bot_seen] == expected
        assert [message for _, message in api_seen] == expected
        assert [message for _, message in elsewhere_seen] == [{"guild_id": "other deployment"}, {"guild_id": "end"}]
    finally:
        for pubsub in (bot, api, elsewhere):
            await pubsub.close()


@pytest.mark.redis
async def test_subscribing_after_start(redis_url: str, redis_prefix: str, eventually) -> None:
    publisher = await _started(redis_url, redis_prefix)
    listener = await _started(redis_url, redis_prefix)  # no handler yet: it waits without a connection
    seen: Received = []
    try:
        listener.subscribe(MODULE_TOGGLE, recorder(seen))
        assert await listener.wait_subscribed()
        await publisher.publish(MODULE_TOGGLE, {"module": "economy", "enabled": True})
        await eventually(lambda: seen)
        listener.subscribe(CONFIG_UPDATE, recorder(seen))  # a second channel on the live connection
        assert await listener.wait_subscribed()
        await publisher.publish(CONFIG_UPDATE, {"guild_id": 3})
        await eventually(lambda: len(seen) == 2)
        assert seen[1] == (CONFIG_UPDATE, {"guild_id": 3})
    finally:
        await publisher.close()
        await listener.close()


@pytest.mark.redis
async def test_channels_on_redis_carry_the_prefix(redis_url: str, redis_prefix: str) -> None:
    listener = await _started(redis_url, redis_prefix)
    try:
        listener.subscribe(CONFIG_UPDATE, recorder([]))
        assert await listener.wait_subscribed()
        channels = await listener._publisher.pubsub_channels(redis_prefix + "*")
        assert [c.decode() if isinstance(c, bytes) else c for c in channels] == [redis_prefix + CONFIG_UPDATE]
    finally:
        await listener.close()


@pytest.mark.redis
async def test_every_process_receives_every_update_in_order(redis_url: str, redis_prefix: str) -> None:
    """200 updates published one after another reach each of three listening processes, each once, in order.

    How fast they arrive is measured by benchmarks/sync_latency.py, not here."""
    writer = await _started(redis_url, redis_prefix)
    bots = [await _started(redis_url, redis_prefix) for _ in range(3)]
    seen: list[list[int]] = [[] for _ in bots]
    done = asyncio.Event()

    def on_update_of(index: int) -> Any:
        async def on_update(channel: str, message: dict[str, Any]) -> None:
            seen[index].append(message["n"])
            if all(len(got) == 200 for got in seen):
                done.set()

        return on_update

    try:
        for index, bot in enumerate(bots):
            bot.subscribe(CONFIG_UPDATE, on_update_of(index))
            assert await bot.wait_subscribed()
        for n in range(200):
            await writer.publish(CONFIG_UPDATE, {"guild_id": 1, "n": n})
        await asyncio.wait_for(done.wait(), timeout=30)
        assert seen == [list(range(200))] * 3
    finally:
        for pubsub in (writer, *bots):
            await pubsub.close()


# --------------------------------------------------------------------------- Redis outage


async def test_listener_reconnects_after_a_redis_restart(redis_server_process, eventually) -> None:
    server = redis_server_process
    bot = await _started(server.url, "t:", reconnect_max=0.1)
    api = await _started(server.url, "t:", reconnect_max=0.1)
    seen: Received = []
    reconnected: list[bool] = []

    async def on_reconnect() -> None:
        reconnected.append(True)

    bot.subscribe(CONFIG_UPDATE, recorder(seen))
    bot.add_reconnect_listener(on_reconnect)
    try:
        assert await bot.wait_subscribed()
        await api.publish(CONFIG_UPDATE, {"n": 1})
        await eventually(lambda: len(seen) == 1)

        server.stop()
        await eventually(lambda: not bot.available, timeout=5)
        started = time.monotonic()
        await bot.publish(CONFIG_UPDATE, {"n": "local"})  # never raises; this process still hears itself
        await api.publish(CONFIG_UPDATE, {"n": "lost"})  # nobody can hear this one
        assert time.monotonic() - started < 1.0
        await eventually(lambda: len(seen) == 2)
        assert seen[1] == (CONFIG_UPDATE, {"n": "local"})
        assert reconnected == []

        server.start()
        await eventually(lambda: reconnected, timeout=5, message="reconnect listener not called")
        assert bot.available
        assert await bot.wait_subscribed()
        await api.publish(CONFIG_UPDATE, {"n": 3})
        await eventually(lambda: len(seen) == 3)
        assert seen[2] == (CONFIG_UPDATE, {"n": 3})
        assert reconnected == [True]
        assert bot.reconnects == 1
    finally:
        await bot.close()
        await api.close()


async def test_start_while_redis_is_down_then_it_comes_up(redis_server_process, eventually) -> None:
    server = redis_server_process
    server.stop()
    bot = RedisPubSub(server.url, prefix="t:", reconnect_max=0.1)
    seen: Received = []
    reconnected: list[bool] = []

    async def on_reconnect() -> None:
        reconnected.append(True)

    bot.subscribe(CONFIG_UPDATE, recorder(seen))
    bot.add_reconnect_listener(on_reconnect)
    try:
        started = time.monotonic()
        await bot.start()  # must not raise, nor hang
        assert time.monotonic() - started < 2.5
        assert bot.available is False
        assert await bot.wait_subscribed(timeout=0.05) is False

        server.start()
        await eventually(lambda: reconnected, timeout=5)  # messages may have been missed since start
        assert await bot.wait_subscribed()
        await bot.publish(CONFIG_UPDATE, {"n": 1})
        await eventually(lambda: seen)
        assert seen == [(CONFIG_UPDATE, {"n": 1})]
    finally:
        await bot.close()
