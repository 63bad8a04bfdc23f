"""Per-message cost of automod's payload handler (`Automod.on_guild_chat`) on clean chat, and on a flood.

* ``clean_default_us``: a clean message with the default rules (spam and duplicates counted in this process,
  mentions, invites, zalgo), read from its gateway payload as the fast path hands it over (`ChatMessage`);
* ``clean_all_us``: every text rule on as well (50 banned words, 2 regexes, a link deny list, caps);
* ``clean_off_us``: every rule off (a guild with automod enabled but unused);
* ``flood_us``: every member sends the same text over and over (spam and duplicates catch nearly every message,
  deletions queued; Discord's side is a stub that answers at once).

Prints ONE JSON line. `python benchmarks/automod_chat_path.py [--n 200000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from types import SimpleNamespace
from typing import Any

import discord

from wolaro.core.chat import ChatMessage
from wolaro.core.config_service import GuildConfig
from wolaro.core.i18n import Translator
from wolaro.data.cache import MemoryCache
from wolaro.logging import configure_logging
from wolaro.modules.automod import discord_io
from wolaro.modules.automod.config import Config
from wolaro.modules.automod.module import Automod

MESSAGE = "Hey everyone, did you see the new update? It looks great to me"
ALL_RULES = {
    "words": {"enabled": True, "words": [f"badword{i}" for i in range(50)]},
    "regex": {"enabled": True, "patterns": [r"free\s+nitro", r"steam\s*gift"]},
    "links": {"enabled": True, "domains": ["evil.example"]},
    "caps": {"enabled": True},
}
OFF = {k: {"enabled": False} for k in ("spam", "duplicates", "mentions", "invites", "zalgo")}
GUILDS = 1000
"""Messages are spread over this many guilds, so none goes over its time budget (each guild is metered)."""


class Http:
    """Discord's side, answering at once."""

    async def delete_message(self, *args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0)

    async def delete_messages(self, *args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0)

    async def logs_from(self, *args: Any, **kwargs: Any) -> list[Any]:
        await asyncio.sleep(0)
        return []


def payloads(n: int, guilds: int, members: int, text: str | None) -> list[dict[str, Any]]:
    """Messages of `members` members per guild, over `guilds` guilds: `text`, else all different."""
    return [
        {
            "id": str((10**9 + i) << 22),
            "channel_id": "77",
            "content": text if text is not None else f"{MESSAGE} {i}",
            "author": {"id": str(1000 + (i // guilds) % members), "username": "ada"},
            "member": {"roles": ["11", "12"]},
        }
        for i in range(n)
    ]


async def handler_us(automod_config: dict[str, Any], n: int, *, flood: bool = False) -> float:
    guilds_seen = {
        g: SimpleNamespace(
            id=g,
            owner_id=1,
            default_role=SimpleNamespace(permissions=discord.Permissions.none()),
            get_role=lambda role_id: None,
        )
        for g in range(GUILDS)
    }
    bot = SimpleNamespace(
        services=SimpleNamespace(cache=MemoryCache(max_entries=100_000)),
        translator=Translator(),
        settings=SimpleNamespace(redis_url=None),
        http=Http(),
        get_guild=guilds_seen.get,
    )
    cog = Automod.__new__(Automod)
    Automod.__init__(cog, bot)  # type: ignore[arg-type]

    async def enforce(*args: Any, **kwargs: Any) -> None:  # the moderation module's case: not measured here
        return None

    cog._enforce = enforce  # type: ignore[method-assign]
    discord_io.member_of = lambda guild, data: None  # type: ignore[assignment]  # no discord.py state here
    guilds = 10 if flood else GUILDS  # a flood: 10 guilds of 50 members, as benchmarks/gateway_throughput.py
    configs = [
        GuildConfig(guild_id=g, enabled_modules=frozenset({"automod"}), module_configs={"automod": automod_config})
        for g in range(guilds)
    ]
    for config in configs:
        cog.rules_for(config)  # compiled once per config version: not per message
    # Clean traffic: each member writes 4 different messages, under the spam and duplicate limits.
    members = 50 if flood else max(1, n // guilds // 4)
    data = payloads(n, guilds, members, "hello" if flood else None)
    messages = [(configs[i % guilds], ChatMessage(d, i % guilds, None)) for i, d in enumerate(data)]
    handle = cog.on_guild_chat
    started = time.process_time()
    for index, (config, message) in enumerate(messages):
        handle(config, message)
        if index % 100 == 99:  # the gateway reads a batch, then the loop runs what was scheduled
            await asyncio.sleep(0)
    while cog._background:
        await asyncio.gather(*cog._background)
    elapsed = time.process_time() - started
    if flood:
        assert cog.caught > n * 0.5, "the flood was not caught"
    else:
        assert cog.caught == 0, "clean traffic was caught"
    return round(elapsed / n * 1e6, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    n = parser.parse_args().n
    configure_logging("WARNING")
    default = Config().model_dump(mode="json")
    figures = {
        "clean_default_us": asyncio.run(handler_us(default, n)),
        "clean_all_us": asyncio.run(handler_us({**default, **ALL_RULES}, n)),
        "clean_off_us": asyncio.run(handler_us({**default, **OFF}, n)),
        "flood_us": asyncio.run(handler_us(default, n // 4, flood=True)),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
