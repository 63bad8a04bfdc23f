"""What counting members online costs per PRESENCE_UPDATE, with the host's presence intent on.

The same stream of PRESENCE_UPDATE payloads (members of one server going online, idle, dnd and offline) goes
through discord.py's parser alone (`bare_per_s`: what any bot with the presence intent pays; the bot caches only
members in voice, so discord.py builds the presence and throws it away) and through Wolaro's `OnlineMembers` in
front of it (`wolaro_per_s`: one set operation, discord.py's parser only for a member it caches). Both run in the
same process, alternately over `--rounds` rounds (medians). Also: bytes the tracker keeps per online member.

Prints ONE JSON line. `python benchmarks/presence_updates.py [--n 200000] [--members 5000] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import discord

from wolaro.core.bot import build_intents
from wolaro.core.online import OnlineMembers
from wolaro.sandbox import payloads
from wolaro.sandbox.snowflake import SnowflakeFactory
from wolaro.sandbox.world import build_world

STATUSES = ("online", "idle", "dnd", "offline", "online", "offline")


def _state(members: int) -> tuple[Any, int, list[int]]:
    """discord.py's connection state (as the bot sets it up) with one server of `members` members."""
    world = build_world(SnowflakeFactory(), guilds=1, members_per_guild=members, text_channels_per_guild=2, seed=7)
    (guild,) = world.guilds.values()
    client = discord.Client(
        intents=build_intents(True),
        member_cache_flags=discord.MemberCacheFlags(voice=True, joined=False),
        chunk_guilds_at_startup=False,
    )
    state = client._connection
    data = payloads.guild_create(world, guild, members_intent=True, large_threshold=250, presences_intent=True)
    state._add_guild_from_data(data)  # type: ignore[arg-type]
    return state, guild.id, [m for m in guild.members if m != world.bot_user_id]


def _stream(guild_id: int, members: list[int], n: int) -> list[dict[str, Any]]:
    rng = random.Random(11)
    out = []
    for _ in range(n):
        status = rng.choice(STATUSES)
        out.append(
            {
                "user": {"id": str(rng.choice(members))},
                "guild_id": str(guild_id),
                "status": status,
                "activities": [],
                "client_status": {} if status == "offline" else {"desktop": status},
            }
        )
    return out


def _rate(parse: Callable[[Any], None], events: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for data in events:
        parse(data)
    return len(events) / (time.perf_counter() - started)


def main(n: int, members: int, rounds: int) -> dict[str, Any]:
    state, guild_id, member_ids = _state(members)
    events = _stream(guild_id, member_ids, n)
    bare = state.parsers["PRESENCE_UPDATE"]
    online = OnlineMembers()
    parsers = {k: state.parsers[k] for k in ("GUILD_CREATE", "PRESENCE_UPDATE", "GUILD_MEMBER_REMOVE", "GUILD_DELETE")}
    guild = state._get_guild(guild_id)
    online.install(parsers, lambda g, u: guild is not None and guild.get_member(u) is not None)
    ours = parsers["PRESENCE_UPDATE"]
    bare_rates, our_rates = [], []
    for _ in range(rounds):
        bare_rates.append(_rate(bare, events))
        our_rates.append(_rate(ours, events))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = OnlineMembers()
    kept.seed(guild_id, [{"user": {"id": str(u)}, "status": "online"} for u in member_ids])
    per_member = (tracemalloc.get_traced_memory()[0] - before) / len(member_ids)
    tracemalloc.stop()
    bare_rate, our_rate = statistics.median(bare_rates), statistics.median(our_rates)
    return {
        "events": n,
        "members": members,
        "rounds": rounds,
        "bare_per_s": round(bare_rate),
        "wolaro_per_s": round(our_rate),
        "ratio": round(our_rate / bare_rate, 2),
        "online_now": online.count(guild_id),
        "bytes_per_online_member": round(per_member, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(main(args.n, args.members, args.rounds)))
