"""Per-message cost of the statistics module on the hot path (what each MESSAGE_CREATE adds), in microseconds.

* ``handler_us``: `Statistics.on_guild_chat` (what the gateway's read loop calls per message) end to end, a counter
  that already exists (the usual case);
* ``handler_new_counter_us``: the same when each message opens a new counter (a member's first message of an hour);
* ``empty_handler_us``: a function that does nothing, called the same way (the floor of any counting handler);
* ``chat_message_us``: reading a `ChatMessage` from a MESSAGE_CREATE payload (done once per message for every
  counting module of the server).

Prints ONE JSON line. `python benchmarks/stats_hot_path.py [--n 300000]`.
"""

from __future__ import annotations

import argparse
import json
import time
from types import SimpleNamespace
from typing import Any

from wolaro.core.chat import ChatMessage
from wolaro.core.config_service import GuildConfig
from wolaro.modules.statistics.module import Statistics


def _empty(config: Any, message: Any) -> None:
    return None


def _cog() -> Statistics:
    services = SimpleNamespace(cache=None, db=None, jobs=None)
    bot = SimpleNamespace(services=services, config=None)
    return Statistics(bot)


def _payloads(n: int, authors: int) -> list[dict[str, Any]]:
    base = 1_180_000_000_000_000_000
    return [
        {"id": str(base + (i << 12)), "channel_id": "77", "author": {"id": str(1000 + i % authors)}} for i in range(n)
    ]


def _messages(n: int, authors: int) -> list[ChatMessage]:
    return [ChatMessage(payload, 1, None) for payload in _payloads(n, authors)]


def per_message_us(handle: Any, messages: list[Any]) -> float:
    config = GuildConfig(guild_id=1, enabled_modules=frozenset({"statistics"}), module_configs={})
    started = time.perf_counter()
    for message in messages:
        handle(config, message)
    return round((time.perf_counter() - started) / len(messages) * 1e6, 3)


def chat_message_us(n: int) -> float:
    payloads = _payloads(n, 50)
    started = time.perf_counter()
    for payload in payloads:
        ChatMessage(payload, 1, None)
    return round((time.perf_counter() - started) / n * 1e6, 3)


def main(n: int) -> dict[str, float]:
    cog = _cog()
    figures = {"handler_us": per_message_us(cog.on_guild_chat, _messages(n, 50))}
    fresh = _cog()
    figures["handler_new_counter_us"] = per_message_us(fresh.on_guild_chat, _messages(n // 3, n // 3))
    figures["empty_handler_us"] = per_message_us(_empty, _messages(n, 50))
    figures["chat_message_us"] = chat_message_us(n)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300_000)
    print(json.dumps(main(parser.parse_args().n)))
