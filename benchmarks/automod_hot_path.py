"""Per-message cost of automod on a clean message: the pure rules, and the whole handler on the memory cache.

* ``rules_default_us``: `Ruleset.check_content` with the default rules (mentions, invites, zalgo);
* ``rules_all_us``: every text rule on (50 banned words, 2 regexes, a link deny list, caps, zalgo...);
* ``handler_default_us``: `Automod.on_guild_message` end to end with the defaults, spam counted by the
  in-process cache's `window_hit` and duplicates by the tracker (with Redis the spam count adds one round trip);
* ``handler_off_us``: the same handler when every rule is off (what a guild with automod enabled but unused costs).

Prints ONE JSON line. `python benchmarks/automod_hot_path.py [--n 200000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import timeit
from types import SimpleNamespace

from wolaro.core.config_service import GuildConfig
from wolaro.core.i18n import Translator
from wolaro.data.cache import MemoryCache
from wolaro.modules.automod import service
from wolaro.modules.automod.config import Config
from wolaro.modules.automod.module import Automod

MESSAGE = "Hey everyone, did you see the new update? It looks great to me"
ALL_RULES = {
    "words": {"enabled": True, "words": [f"badword{i}" for i in range(50)]},
    "regex": {"enabled": True, "patterns": [r"free\s+nitro", r"steam\s*gift"]},
    "links": {"enabled": True, "domains": ["evil.example"]},
    "caps": {"enabled": True},
}


def per_call_us(function, n: int) -> float:
    return round(timeit.timeit(function, number=n) / n * 1e6, 3)


async def handler_us(automod_config: dict, n: int) -> float:
    bot = SimpleNamespace(services=SimpleNamespace(cache=MemoryCache(max_entries=100_000)), translator=Translator())
    cog = Automod.__new__(Automod)
    Automod.__init__(cog, bot)  # type: ignore[arg-type]
    config = GuildConfig(guild_id=1, enabled_modules=frozenset({"automod"}), module_configs={"automod": automod_config})
    guild = SimpleNamespace(id=1)
    # Clean traffic: each member writes 4 different messages, under the spam and duplicate limits.
    count = max(1, n // 4)
    authors = [SimpleNamespace(id=1000 + i, bot=False, _roles=(11, 12)) for i in range(count)]
    channel = SimpleNamespace(id=77)
    messages = [
        SimpleNamespace(
            webhook_id=None,
            author=authors[i % count],
            channel=channel,
            guild=guild,
            content=f"{MESSAGE} {i}",
            mentions=[],
            role_mentions=[],
        )
        for i in range(n)
    ]
    handle = cog.on_guild_message
    started = time.perf_counter()
    for message in messages:
        await handle(config, message)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    assert cog.caught == 0, "clean traffic was caught"
    return round(elapsed / n * 1e6, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    n = parser.parse_args().n
    default = service.compile_rules(Config())
    full = service.compile_rules(Config.model_validate(ALL_RULES))
    figures = {
        "rules_default_us": per_call_us(lambda: default.check_content(MESSAGE, 0, 77, (11, 12)), n),
        "rules_all_us": per_call_us(lambda: full.check_content(MESSAGE, 0, 77, (11, 12)), n),
        "handler_default_us": asyncio.run(handler_us(Config().model_dump(mode="json"), n // 4)),
        "handler_off_us": asyncio.run(
            handler_us(
                {
                    **Config().model_dump(mode="json"),
                    **{k: {"enabled": False} for k in ("spam", "duplicates", "mentions", "invites", "zalgo")},
                },
                n // 4,
            )
        ),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
