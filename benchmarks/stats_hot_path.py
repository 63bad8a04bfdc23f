"""Per-message cost of the statistics module on the hot path (what each MESSAGE_CREATE adds), in microseconds.

* ``handler_us``: `Statistics.on_guild_message` end to end (a counter that already exists: the usual case);
* ``handler_new_counter_us``: the same when each message opens a new counter (a member's first message of an hour);
* ``empty_handler_us``: an `async def` that does nothing, awaited the same way (the floor of any module handler).

Prints ONE JSON line. `python benchmarks/stats_hot_path.py [--n 300000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from types import SimpleNamespace
from typing import Any

from wolaro.core.config_service import GuildConfig
from wolaro.modules.statistics.module import Statistics


async def _empty(config: Any, message: Any) -> None:
    return None


def _cog() -> Statistics:
    services = SimpleNamespace(cache=None, db=None, jobs=None)
    bot = SimpleNamespace(services=services, config=None)
    return Statistics(bot)


def _messages(n: int, authors: int) -> list[Any]:
    channel = SimpleNamespace(id=77)
    people = [SimpleNamespace(id=1000 + i, bot=False) for i in range(authors)]
    base = 1_180_000_000_000_000_000
    return [
        SimpleNamespace(id=base + (i << 12), webhook_id=None, author=people[i % authors], channel=channel)
        for i in range(n)
    ]


async def per_message_us(handle: Any, messages: list[Any]) -> float:
    config = GuildConfig(guild_id=1, enabled_modules=frozenset({"statistics"}), module_configs={})
    started = time.perf_counter()
    for message in messages:
        await handle(config, message)
    return round((time.perf_counter() - started) / len(messages) * 1e6, 3)


async def main(n: int) -> dict[str, float]:
    cog = _cog()
    figures = {"handler_us": await per_message_us(cog.on_guild_message, _messages(n, 50))}
    fresh = _cog()
    figures["handler_new_counter_us"] = await per_message_us(fresh.on_guild_message, _messages(n // 3, n // 3))
    figures["empty_handler_us"] = await per_message_us(_empty, _messages(n, 50))
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300_000)
    print(json.dumps(asyncio.run(main(parser.parse_args().n))))
