"""Per-message cost of leveling on the hot path, and the cost of one batched write.

* ``handler_cooldown_us``: `Leveling.on_guild_chat` (what the gateway's read loop calls per message) with the
  defaults (60 s cooldown): most messages of a chatting member are refused by the in-memory cooldown;
* ``handler_every_message_us``: cooldown 0, every message earns XP (the buffer adds it up per member);
* ``handler_boosts_us``: the same with 20 channel and 20 role boosts and no-XP lists to check;
* ``flush_500_members_ms``: one upsert of 500 members' XP on SQLite (what a flush writes for a busy process),
  ``flush_per_member_us`` the same per member.

No SQL and no network run in the handler. Prints ONE JSON line. `python benchmarks/leveling_hot_path.py [--n 200000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from wolaro.core.chat import ChatMessage
from wolaro.core.config_service import GuildConfig
from wolaro.core.services import upgrade_schema
from wolaro.data.database import Database
from wolaro.logging import configure_logging
from wolaro.modules.leveling import store
from wolaro.modules.leveling.config import Config
from wolaro.modules.leveling.module import Leveling


def _cog() -> Any:
    bot = SimpleNamespace(settings=SimpleNamespace(redis_url=None), services=SimpleNamespace())
    cog = Leveling.__new__(Leveling)
    Leveling.__init__(cog, bot)
    return cog


async def handler_us(leveling: dict[str, Any], n: int) -> float:
    cog = _cog()
    settings = Config.model_validate(leveling).model_dump(mode="json")
    config = GuildConfig(guild_id=1, enabled_modules=frozenset({"leveling"}), module_configs={"leveling": settings})
    channel = SimpleNamespace(id=77, category_id=70)
    messages = [
        ChatMessage(
            {
                "id": str(1_180_000_000_000_000_000 + (i << 12)),
                "channel_id": "77",
                "author": {"id": str(1000 + i % 50), "username": f"member {i % 50}", "avatar": None},
                "member": {"roles": ["11", "12"]},
            },
            1,
            channel,
        )
        for i in range(n)
    ]
    handle = cog.on_guild_chat
    started = time.perf_counter()
    for message in messages:
        handle(config, message)
    return round((time.perf_counter() - started) / n * 1e6, 3)


async def flush_ms(members: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade_schema, url)
        db = Database(url)
        try:
            awards = [store.Award(1, 1000 + i, 20, f"member {i}") for i in range(members)]
            await store.add_batch(db, awards)  # rows exist: later flushes update, as in a chatting server
            runs = 20
            started = time.perf_counter()
            for _ in range(runs):
                await store.add_batch(db, awards)
            return round((time.perf_counter() - started) / runs * 1e3, 3)
        finally:
            await db.dispose()


async def main(n: int) -> dict[str, Any]:
    boosts = {
        "cooldown_seconds": 0,
        "channel_multipliers": [{"channel_id": 100 + i, "multiplier": 2} for i in range(20)],
        "role_multipliers": [{"role_id": 200 + i, "multiplier": 1.5} for i in range(20)],
        "no_xp_channel_ids": [300 + i for i in range(20)],
    }
    flush = await flush_ms(500)
    return {
        "n": n,
        "handler_cooldown_us": await handler_us({}, n),
        "handler_every_message_us": await handler_us({"cooldown_seconds": 0}, n),
        "handler_boosts_us": await handler_us(boosts, n),
        "flush_500_members_ms": flush,
        "flush_per_member_us": round(flush / 500 * 1e3, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="messages per handler measurement")
    configure_logging("WARNING", "console", sys.stderr)  # stdout carries only the JSON line (migrations log there)
    print(json.dumps(asyncio.run(main(parser.parse_args().n))), flush=True)
